"""Business operations on trunks, outbound routes and inbound routes.

One service per operation, each with every rule it needs, each one transaction that records
its audit entry and tells the Asterisk boundary what changed (`directory.announce`): a
trunk's technology and fields (its files and the dialplan follow), or "the routes" (the
dialplan follows). Pages, the API, imports and commands call these and nothing else.
"""

import copy

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from audit import trail
from directory import announce
from directory.connectivity import validators as v
from directory.connectivity.models import (
    Destination,
    InboundRoute,
    OutboundRoute,
    RouteTrunk,
    Trunk,
    TrunkTech,
)
from directory.errors import ErrorCollector
from directory.rules import server_of
from directory.secrets import REGENERATE
from directory.servers.current import default as default_server
from directory.servers.models import Server
from directory.techs.spec import codecs as clean_codecs
from directory.users.models import NO_VOICEMAIL, PbxUser
from directory.validators import generate_secret
from directory.versions import Expected, check_version, version_of

# What an administrator may set on a trunk (its technology is chosen once, at creation).
TRUNK_FIELDS = (
    "name",
    "host",
    "port",
    "username",
    "secret",
    "register",
    "codecs",
    "outbound_cid",
    "force_cid",
    "max_channels",
    "dial_rules",
    "enabled",
    "server",
)
OUTBOUND_ROUTE_FIELDS = ("name", "patterns", "trunks", "route_cid", "pin", "emergency")
INBOUND_ROUTE_FIELDS = ("did", "cid", "description", "destination", "user", "cid_name_prefix")

MAX_CHANNELS = 999
# More rules or patterns than anyone types: a bound on what one save renders.
MAX_RULES = 100

Changes = dict[str, tuple[object, object]]


def _unknown(fields: dict, allowed: tuple[str, ...], what: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unexpected {what} fields {sorted(unknown)}")


# Kept exactly as typed: a caller-ID name prefix's trailing space is what separates it from the name.
_NOT_STRIPPED = frozenset({"cid_name_prefix"})


def _strip(fields: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) and k not in _NOT_STRIPPED else v for k, v in fields.items()}


def _changes(before, after, names) -> Changes:
    return {
        n: (getattr(before, n), getattr(after, n)) for n in names if getattr(before, n) != getattr(after, n)
    }


# Dial rules (a trunk's) and dial patterns (a route's): FreePBX's prepend / prefix / match
# pattern (/ caller ID), each judged by the validators, so nothing but pattern characters
# reaches a dialplan line.

RULE_KEYS = ("prepend", "prefix", "match")
PATTERN_KEYS = (*RULE_KEYS, "callerid")
_PART_CHECKS = {
    "prepend": v.dial_prepend,
    "prefix": v.dial_prefix,
    "match": v.dial_pattern,
    "callerid": v.dial_pattern,
}


def clean_dial_rules(rules, *, keys: tuple[str, ...], field: str, need_number: bool) -> list[dict[str, str]]:
    """Rules as a list of dicts with exactly `keys` (missing ones empty), each part checked.

    `need_number`: a route's pattern must say which numbers it takes (a prefix or a match
    pattern); a trunk's rule may be a bare prepend (every number).
    """
    if not isinstance(rules, list | tuple):
        raise ValidationError({field: ValidationError("Give a list of rules.", code="invalid")})
    if len(rules) > MAX_RULES:
        raise ValidationError({field: ValidationError(f"At most {MAX_RULES} rules.", code="max_length")})
    problems: list[ValidationError] = []
    clean: list[dict[str, str]] = []
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or set(rule) - set(keys):
            problems.append(
                ValidationError(f"Rule {number}: use the keys {', '.join(keys)}.", code="invalid")
            )
            continue
        row = {k: str(rule.get(k) or "").strip() for k in keys}
        for key, value in row.items():
            try:
                _PART_CHECKS[key](value)
            except ValidationError as e:
                problems.append(ValidationError(f"Rule {number}, {key}: {' '.join(e.messages)}", code=e.code))
        if need_number and not (row["prefix"] or row["match"]):
            problems.append(
                ValidationError(f"Rule {number}: give a prefix or a match pattern.", code="empty_pattern")
            )
        if "." in row["prefix"] + row["match"][:-1]:
            problems.append(ValidationError(f"Rule {number}: . may only end the match pattern.", code="dot"))
        elif not row["prefix"] and row["match"] == ".":
            # `_.` would also take Asterisk's own `h`, `i` and `t` extensions (it warns about it).
            problems.append(
                ValidationError(
                    f"Rule {number}: a . needs something before it (X. takes any number).", code="dot"
                )
            )
        if row in clean:
            problems.append(ValidationError(f"Rule {number} repeats an earlier one.", code="duplicate"))
        clean.append(row)
    if need_number and not rules:
        problems.append(ValidationError("Give at least one dial pattern.", code="required"))
    if problems:
        raise ValidationError({field: problems})
    return clean


# Trunks


def _trunk_secret(trunk: Trunk, errors: ErrorCollector, *, changed: bool) -> None:
    if isinstance(trunk.secret, str) and trunk.secret.upper() == REGENERATE:
        trunk.secret = generate_secret()
        return
    if trunk.secret and changed:
        # The carrier chose it: its characters are checked (they reach a config file), its
        # strength is the carrier's business.
        try:
            v.trunk_secret(trunk.secret)
        except ValidationError as e:
            errors.add("secret", e)


def _trunk_rules(trunk: Trunk, errors: ErrorCollector, *, before: Trunk | None = None) -> None:
    try:
        trunk.dial_rules = clean_dial_rules(
            trunk.dial_rules, keys=RULE_KEYS, field="dial_rules", need_number=False
        )
    except ValidationError as e:
        errors.add(None, e)
    if isinstance(trunk.codecs, str) and trunk.codecs:
        try:
            trunk.codecs = clean_codecs(trunk.codecs)
        except ValidationError as e:
            errors.add("codecs", e)
    if not trunk.codecs:
        errors.add("codecs", ValidationError("Give at least one codec.", code="required"))
    errors.collect(trunk.full_clean, exclude=["dial_rules", "codecs"], validate_unique=False)
    if isinstance(trunk.max_channels, int) and trunk.max_channels > MAX_CHANNELS:
        errors.add("max_channels", ValidationError(f"At most {MAX_CHANNELS}.", code="max_value"))
    if trunk.port is not None and not (isinstance(trunk.port, int) and 1 <= trunk.port <= 65535):
        errors.add("port", ValidationError("A port is 1 to 65535.", code="port"))
    _trunk_secret(trunk, errors, changed=before is None or before.secret != trunk.secret)
    if trunk.tech == TrunkTech.IAX2 and not trunk.secret and not v.IPV4.fullmatch(trunk.host or ""):
        # An IAX2 trunk takes the carrier's calls as a user: with no secret, only an address
        # pins down who may call in as it (a host name is not one: anyone could).
        errors.add(
            "secret",
            ValidationError(
                "An IAX2 trunk needs a secret, or its host given as an IPv4 address.", code="iax2_open"
            ),
        )
    if trunk.register and not (trunk.username and trunk.secret):
        errors.add(
            "register",
            ValidationError("A trunk that registers needs a username and a secret.", code="register"),
        )
    if "name" not in errors.errors:
        taken = Trunk.objects.filter(name__iexact=trunk.name).exclude(pk=trunk.pk)
        if taken.exists():
            errors.add("name", ValidationError(f"A trunk named {trunk.name} already exists.", code="in_use"))


def _trunk_server(value) -> Server:
    """The server a trunk is on: a Server or its name; none named: the default server."""
    return server_of(value) or default_server()


def build_trunk(*, name: str, tech: str, host: str, **fields) -> Trunk:
    """Validate a new trunk without saving it. A secret of `REGEN` (or none, for a trunk that
    registers) is made from the CSPRNG."""
    _unknown(fields, TRUNK_FIELDS, "trunk")
    fields = _strip({"name": name, "host": host, **fields})
    if fields.get("secret", "") is None:
        fields["secret"] = ""  # none given: as a blank (made for a trunk that registers)
    fields["server"] = _trunk_server(fields.get("server"))
    trunk = Trunk(tech=str(tech).strip().lower(), **fields)
    if trunk.register and not trunk.secret:
        trunk.secret = REGENERATE
    errors = ErrorCollector()
    _trunk_rules(trunk, errors)
    errors.raise_if_any()
    return trunk


@transaction.atomic
@trail.operation()
def trunk_create(*, name: str, tech: str, host: str, **fields) -> Trunk:
    """Create a trunk. Fields: TRUNK_FIELDS."""
    trunk = build_trunk(name=name, tech=tech, host=host, **fields)
    trunk.save(force_insert=True)
    trail.created(trunk)
    announce.trunks_changed(techs={trunk.tech})
    return trunk


def trunk_update_check(*, trunk: Trunk, **fields) -> tuple[Trunk, Changes]:
    """Validate a change without saving it: the changed trunk and each field that changes.
    A blank secret keeps the one there is (write-only: forms never show it); None removes it
    (an IP-authenticated trunk)."""
    _unknown(fields, TRUNK_FIELDS, "trunk")
    fields = _strip(fields)
    if fields.get("secret") == "":
        del fields["secret"]
    elif "secret" in fields and fields["secret"] is None:
        fields["secret"] = ""
    if "server" in fields:
        fields["server"] = server_of(fields["server"]) or trunk.server
    updated = copy.copy(trunk)
    for key, value in fields.items():
        setattr(updated, key, value)
    errors = ErrorCollector()
    _trunk_rules(updated, errors, before=trunk)
    errors.raise_if_any()
    return updated, _changes(trunk, updated, TRUNK_FIELDS)


def trunk_version(trunk: Trunk) -> str:
    return version_of(trunk)


@transaction.atomic
@trail.operation()
def trunk_update(*, trunk: Trunk, expected_version: Expected = None, **fields) -> Trunk:
    """Change a trunk's settings (not its technology)."""
    trunk = Trunk.objects.select_for_update().get(pk=trunk.pk)
    check_version(expected_version, trunk, what=f"Trunk {trunk.name}")
    before = trail.snapshot(trunk)
    updated, changes = trunk_update_check(trunk=trunk, **fields)
    if changes:
        updated.save()
        trail.changed(before, updated)
        announce.trunks_changed(techs={updated.tech}, fields=changes)
    return updated


@transaction.atomic
@trail.operation()
def trunk_delete(*, trunk: Trunk) -> None:
    """Delete a trunk; refused while a route uses it (the message names the routes)."""
    trunk = Trunk.objects.select_for_update().get(pk=trunk.pk)
    routes = list(OutboundRoute.objects.filter(route_trunks__trunk=trunk).values_list("name", flat=True))
    if routes:
        raise ValidationError(
            f"Trunk {trunk.name} is used by the outbound routes {', '.join(sorted(routes))}: "
            "take it out of them first.",
            code="in_use",
        )
    Trunk.objects.filter(pk=trunk.pk).delete()
    trail.deleted(trunk)
    announce.trunks_changed(techs={trunk.tech})


# Outbound routes


def _pk(value, model) -> int | None:
    """An object's id, from the object or its id (an int, or digits from a form or a file)."""
    if isinstance(value, model):
        return value.pk
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _route_trunks(value, errors: ErrorCollector) -> list[Trunk]:
    """Trunks (or their ids), in order, each once, at least one."""
    if not isinstance(value, list | tuple):
        errors.add("trunks", ValidationError("Give the trunks in order.", code="invalid"))
        return []
    ids = [_pk(t, Trunk) for t in value]
    found = Trunk.objects.in_bulk([i for i in ids if i is not None])
    trunks = [found.get(i) for i in ids]
    if not trunks:
        errors.add("trunks", ValidationError("Choose at least one trunk.", code="required"))
    elif None in trunks:
        errors.add("trunks", ValidationError("Choose trunks that exist.", code="invalid"))
    elif len(set(ids)) != len(ids):
        errors.add("trunks", ValidationError("Each trunk once in a route.", code="duplicate"))
    return [t for t in trunks if t is not None]


def _route_rules(route: OutboundRoute, trunks, errors: ErrorCollector) -> list[Trunk]:
    try:
        route.patterns = clean_dial_rules(
            route.patterns, keys=PATTERN_KEYS, field="patterns", need_number=True
        )
    except ValidationError as e:
        errors.add(None, e)
    errors.collect(route.full_clean, exclude=["patterns", "position"], validate_unique=False)
    if route.emergency and route.pin:
        # A caller in an emergency must never be stopped by a password (FreePBX's rule too).
        errors.add("pin", ValidationError("An emergency route never asks for a PIN.", code="emergency_pin"))
    chosen = _route_trunks(trunks, errors)
    taken = OutboundRoute.objects.filter(name__iexact=route.name).exclude(pk=route.pk)
    if "name" not in errors.errors and taken.exists():
        errors.add("name", ValidationError(f"A route named {route.name} already exists.", code="in_use"))
    return chosen


def _save_sequence(route: OutboundRoute, trunks: list[Trunk]) -> None:
    RouteTrunk.objects.filter(route=route).delete()
    RouteTrunk.objects.bulk_create(
        [RouteTrunk(route=route, trunk=t, position=i) for i, t in enumerate(trunks, start=1)]
    )


def build_outbound_route(*, name: str, patterns, trunks, **fields) -> tuple[OutboundRoute, list[Trunk]]:
    """Validate a new route without saving it: the route and its trunks in order."""
    _unknown(fields, OUTBOUND_ROUTE_FIELDS, "outbound route")
    if fields.get("pin", "") is None:
        fields["pin"] = ""  # none asked for: the route has no PIN
    route = OutboundRoute(**_strip({"name": name, "patterns": patterns, **fields}))
    errors = ErrorCollector()
    chosen = _route_rules(route, trunks, errors)
    errors.raise_if_any()
    return route, chosen


@transaction.atomic
@trail.operation()
def outbound_route_create(*, name: str, patterns, trunks, **fields) -> OutboundRoute:
    """Create an outbound route, last in the order. `patterns`: [{prepend, prefix, match,
    callerid}]; `trunks`: Trunk objects or ids, in the order they are tried."""
    route, chosen = build_outbound_route(name=name, patterns=patterns, trunks=trunks, **fields)
    # Two routes created at once may share a position: they are then ordered by id.
    last = OutboundRoute.objects.aggregate(last=Max("position"))["last"]
    route.position = (last or 0) + 1
    route.save(force_insert=True)
    _save_sequence(route, chosen)
    trail.created(route)
    announce.routes_changed()
    return route


def outbound_route_version(route: OutboundRoute) -> str:
    return version_of(route)


def outbound_route_update_check(
    *, route: OutboundRoute, **fields
) -> tuple[OutboundRoute, list[Trunk], Changes]:
    """Validate a change without saving it: the route, its trunks in order, and what changes
    (`trunks` as the list of names). A blank PIN keeps the one there is, unless the route
    becomes an emergency route (which never has one): then it is removed. None removes it."""
    _unknown(fields, OUTBOUND_ROUTE_FIELDS, "outbound route")
    fields = _strip(fields)
    trunks = fields.pop("trunks", None)
    if fields.get("pin") == "" and not fields.get("emergency"):
        del fields["pin"]
    elif "pin" in fields and fields["pin"] is None:
        fields["pin"] = ""
    updated = copy.copy(route)
    for key, value in fields.items():
        setattr(updated, key, value)
    if updated.emergency and "pin" not in fields:
        updated.pin = ""
    current = route.trunk_sequence()
    errors = ErrorCollector()
    chosen = _route_rules(updated, current if trunks is None else trunks, errors)
    errors.raise_if_any()
    changes = _changes(route, updated, [f for f in OUTBOUND_ROUTE_FIELDS if f != "trunks"])
    if [t.pk for t in chosen] != [t.pk for t in current]:
        changes["trunks"] = ([t.name for t in current], [t.name for t in chosen])
    return updated, chosen, changes


@transaction.atomic
@trail.operation()
def outbound_route_update(
    *, route: OutboundRoute, expected_version: Expected = None, **fields
) -> OutboundRoute:
    route = OutboundRoute.objects.select_for_update().get(pk=route.pk)
    check_version(expected_version, route, what=f"Outbound route {route.name}")
    before = trail.snapshot(route)
    updated, chosen, changes = outbound_route_update_check(route=route, **fields)
    if changes:
        updated.save()
        if "trunks" in changes:
            _save_sequence(updated, chosen)
        trail.changed(before, updated)
        old_names, new_names = changes.get("trunks", ([], []))
        if old_names != new_names and sorted(old_names) == sorted(new_names):
            # The same trunks in another order: the entry's trunk set does not show it.
            trail.record(
                action=trail.Action.CHANGED, obj=updated, changes={"trunk order": [old_names, new_names]}
            )
        announce.routes_changed()
    return updated


@transaction.atomic
@trail.operation()
def outbound_route_delete(*, route: OutboundRoute) -> None:
    route = OutboundRoute.objects.select_for_update().get(pk=route.pk)
    trail.deleted(route)  # first: the entry lists the trunks it had
    OutboundRoute.objects.filter(pk=route.pk).delete()
    announce.routes_changed()


@transaction.atomic
@trail.operation()
def outbound_routes_reorder(*, routes) -> list[OutboundRoute]:
    """Put the routes in this order (Route objects or ids): every route, each once."""
    all_routes = {r.pk: r for r in OutboundRoute.objects.select_for_update()}
    ids = [_pk(r, OutboundRoute) for r in routes]
    if sorted(ids, key=str) != sorted(all_routes, key=str) or len(set(ids)) != len(ids):
        raise ValidationError("Give every outbound route once, in the new order.", code="invalid")
    ordered = [all_routes[i] for i in ids]
    for position, route in enumerate(ordered, start=1):
        if route.position != position:
            before = trail.snapshot(route)
            route.position = position
            route.save(update_fields=["position", "updated_at"])
            trail.changed(before, route)
    announce.routes_changed()
    return ordered


# Inbound routes


def _inbound_user(fields: dict) -> dict:
    """`user` as a PbxUser, or its extension (a form, a file, the API): looked up here, so a
    number that is no user is reported on the field rather than raised."""
    user = fields.get("user")
    if user is None or isinstance(user, PbxUser):
        return fields
    found = PbxUser.objects.filter(pk=str(user).strip()).first()
    if found is None:
        raise ValidationError({"user": ValidationError(f"There is no user {user}.", code="invalid")})
    return {**fields, "user": found}


def _inbound_rules(route: InboundRoute, errors: ErrorCollector) -> None:
    if route.destination == Destination.HANGUP:
        route.user = None
    errors.collect(route.full_clean, exclude=["user"], validate_unique=False)
    if route.user_id and not PbxUser.objects.filter(pk=route.user_id).exists():
        errors.add("user", ValidationError("Choose a user that exists.", code="invalid"))
    elif route.destination in (Destination.USER, Destination.VOICEMAIL) and route.user is None:
        errors.add("user", ValidationError("Choose the user this route rings.", code="required"))
    elif route.destination == Destination.VOICEMAIL and route.user.voicemail in ("", NO_VOICEMAIL):
        errors.add("user", ValidationError(f"User {route.user_id} has no voicemail.", code="novm"))
    if "did" not in errors.errors and "cid" not in errors.errors:
        taken = InboundRoute.objects.filter(did=route.did, cid=route.cid).exclude(pk=route.pk)
        if taken.exists():
            what = "the catch-all route" if route.is_catch_all else f"a route for {route}"
            errors.add("did", ValidationError(f"There is already {what}.", code="in_use"))


def build_inbound_route(**fields) -> InboundRoute:
    _unknown(fields, INBOUND_ROUTE_FIELDS, "inbound route")
    route = InboundRoute(**_inbound_user(_strip(fields)))
    errors = ErrorCollector()
    _inbound_rules(route, errors)
    errors.raise_if_any()
    return route


@transaction.atomic
@trail.operation()
def inbound_route_create(**fields) -> InboundRoute:
    """Create an inbound route. Fields: INBOUND_ROUTE_FIELDS; `did` and `cid` empty: catch-all."""
    route = build_inbound_route(**fields)
    route.save(force_insert=True)
    trail.created(route)
    announce.routes_changed()
    return route


def inbound_route_version(route: InboundRoute) -> str:
    return version_of(route)


def inbound_route_update_check(*, route: InboundRoute, **fields) -> tuple[InboundRoute, Changes]:
    _unknown(fields, INBOUND_ROUTE_FIELDS, "inbound route")
    updated = copy.copy(route)
    for key, value in _inbound_user(_strip(fields)).items():
        setattr(updated, key, value)
    errors = ErrorCollector()
    _inbound_rules(updated, errors)
    errors.raise_if_any()
    names = [f if f != "user" else "user_id" for f in INBOUND_ROUTE_FIELDS]
    return updated, _changes(route, updated, names)


@transaction.atomic
@trail.operation()
def inbound_route_update(*, route: InboundRoute, expected_version: Expected = None, **fields) -> InboundRoute:
    route = InboundRoute.objects.select_for_update().get(pk=route.pk)
    check_version(expected_version, route, what=f"Inbound route {route}")
    before = trail.snapshot(route)
    updated, changes = inbound_route_update_check(route=route, **fields)
    if changes:
        updated.save()
        trail.changed(before, updated)
        announce.routes_changed()
    return updated


@transaction.atomic
@trail.operation()
def inbound_route_delete(*, route: InboundRoute) -> None:
    route = InboundRoute.objects.select_for_update().get(pk=route.pk)
    InboundRoute.objects.filter(pk=route.pk).delete()
    trail.deleted(route)
    announce.routes_changed()
