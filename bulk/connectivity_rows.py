"""What one row of a trunks, outbound routes or DIDs file does (see `bulk/connectivity_columns.py`).

As for extensions (`bulk/rows.py`): planning a row only reads, judging it with the
services' own checks (`build_*`, `*_update_check`); the plan carries the service call the
import makes. Files name what they refer to: a route names its trunks, a DID its user, so
import trunks before routes, and extensions before DIDs.
"""

import contextlib

from django.core.exceptions import ValidationError
from django.db.models import Count, Max

from bulk.columns import to_bool, to_int
from bulk.connectivity_columns import (
    DID_FIELD_COLUMNS,
    DID_IGNORED_WHY,
    DID_USED,
    HANGUP,
    ROUTE_COLUMNS,
    TRUNK_COLUMNS,
    read_destination,
    read_rules,
)
from bulk.rows import RowPlan, Rows
from directory.connectivity.models import InboundRoute, OutboundRoute, Trunk
from directory.connectivity.services import (
    build_inbound_route,
    build_outbound_route,
    build_trunk,
    inbound_route_create,
    inbound_route_update,
    inbound_route_update_check,
    outbound_route_create,
    outbound_route_update,
    outbound_route_update_check,
    trunk_create,
    trunk_update,
    trunk_update_check,
)
from directory.secrets import MASK
from directory.users.models import PbxUser


def _problems(error: ValidationError, columns: dict[str, str], fallback: str) -> list[tuple[str, str]]:
    if not hasattr(error, "error_dict"):
        return [(fallback, m) for m in error.messages]
    return [
        (fallback if name == "__all__" else columns.get(name, name), message)
        for name, errors in error.error_dict.items()
        for e in errors
        for message in e.messages
    ]


def _changes_shown(changes: dict) -> dict:
    """What an update changes, a trunk's secret and a route's PIN masked: the check's rows are
    stored and shown, and a secret's value never leaves the server."""
    return {
        name: (MASK if before else "", f"{MASK} (new)" if after else "")
        if name in ("secret", "pin")
        else (before, after)
        for name, (before, after) in changes.items()
    }


class _ConnectivityRows(Rows):
    """What the three kinds share: cells read into service fields, then create or update."""

    # The services' field names → the file's columns.
    columns: dict[str, str] = {}

    @classmethod
    def stamps(cls, keys: list[str]) -> dict[str, str]:
        """What the check saw, for every key alike: the connectivity tables and the users, each
        as its count and latest `updated_at` (a route names trunks, a DID a user, so a change to
        any of them may change what a row does)."""
        parts = []
        for model in (Trunk, OutboundRoute, InboundRoute, PbxUser):
            seen = model.objects.aggregate(n=Count("pk"), latest=Max("updated_at"))
            parts.append(f"{model.__name__}:{seen['n']}:{seen['latest']}")
        return dict.fromkeys(keys, "|".join(parts))

    def preload(self, rows):
        return None

    def _plan(self, line, key, name, read, existing, *, build, create, check, update, what):
        """`read`: (the service's fields from the row's cells, the cells' problems)."""
        fields, problems = read
        if existing is None:
            if self.validate and not problems:
                try:
                    build(**fields)
                except ValidationError as e:
                    problems += _problems(e, self.columns, self.key_column)
            if problems:
                return RowPlan(line, key, "error", problems, name=name)
            return RowPlan(line, key, "create", name=name, apply=lambda: create(**fields))
        if not self.replace:
            return self._skip(line, key, name)
        changes = {}
        if not problems:
            try:
                changes = check(**{what: existing}, **fields)[-1]
            except ValidationError as e:
                problems += _problems(e, self.columns, self.key_column)
        if problems:
            return RowPlan(line, key, "error", problems, name=name)
        if not changes:
            return RowPlan(line, key, "unchanged", name=name)
        return RowPlan(
            line,
            key,
            "update",
            name=name,
            apply=lambda: update(**{what: existing}, **fields),
            changes=_changes_shown(changes),
        )


def _cell(cells, column, read, fields, field, problems) -> None:
    """Set `fields[field]` from a filled cell; an empty cell sets nothing (the default, or the
    current value on an update)."""
    value = cells.get(column, "")
    if value == "":
        return
    try:
        fields[field] = read(value)
    except ValidationError as e:
        problems.extend((column, m) for m in e.messages)


class TrunkRows(_ConnectivityRows):
    """pbxadmin's trunks file: one trunk a row, by name."""

    key_column = "name"
    required = ("name", "tech", "host")
    used = frozenset(TRUNK_COLUMNS)
    columns = {f: f for f in TRUNK_COLUMNS}

    def preload(self, rows):
        return Trunk.objects.in_bulk([cells.get("name", "") for cells in rows], field_name="name")

    def read(self, cells):
        fields, problems = {}, []
        for column in ("host", "username", "secret", "codecs", "outbound_cid", "server"):
            _cell(cells, column, str, fields, column, problems)
        for column in ("port", "max_channels"):
            _cell(cells, column, to_int, fields, column, problems)
        for column in ("register", "force_cid", "enabled"):
            _cell(cells, column, to_bool, fields, column, problems)
        _cell(cells, "dial_rules", lambda v: read_rules(v, callerid=False), fields, "dial_rules", problems)
        return fields, problems

    def plan(self, line, cells, trunks):
        name = cells.get("name", "")
        trunk = trunks.get(name)
        if trunk is not None and cells.get("tech", "").lower() not in ("", trunk.tech):
            return self._error(
                line,
                name,
                "tech",
                f"Trunk {name} is {trunk.get_tech_display()}: an import does not change the technology.",
            )

        def build(**fields):
            return build_trunk(name=name, tech=cells.get("tech", ""), **fields)

        def create(**fields):
            return trunk_create(name=name, tech=cells.get("tech", ""), **fields)

        return self._plan(
            line, name, name, self.read(cells), trunk,
            build=build, create=create, check=trunk_update_check, update=trunk_update, what="trunk",
        )  # fmt: skip


class OutboundRouteRows(_ConnectivityRows):
    """pbxadmin's outbound routes file: one route a row, by name; new routes go last, in the
    file's order (an export lists them in the order they are tried)."""

    key_column = "name"
    required = ("name", "patterns", "trunks")
    used = frozenset(ROUTE_COLUMNS)
    columns = {f: f for f in ROUTE_COLUMNS}

    def preload(self, rows):
        names = [cells.get("name", "") for cells in rows]
        routes = OutboundRoute.objects.in_bulk(names, field_name="name")
        wanted = {n for cells in rows for n in cells.get("trunks", "").split()}
        return routes, Trunk.objects.in_bulk(list(wanted), field_name="name")

    def read(self, cells, trunks):
        fields, problems = {}, []
        for column in ("route_cid", "pin"):
            _cell(cells, column, str, fields, column, problems)
        _cell(cells, "emergency", to_bool, fields, "emergency", problems)
        _cell(cells, "patterns", lambda v: read_rules(v, callerid=True), fields, "patterns", problems)
        names = cells.get("trunks", "").split()
        if names:
            missing = [n for n in names if n not in trunks]
            if missing:
                problems.append(
                    ("trunks", f"There is no trunk {', '.join(missing)}: import the trunks file first.")
                )
            else:
                fields["trunks"] = [trunks[n] for n in names]
        return fields, problems

    def plan(self, line, cells, loaded):
        routes, trunks = loaded
        name = cells.get("name", "")

        def build(**fields):
            return build_outbound_route(name=name, **{"patterns": [], "trunks": [], **fields})

        def create(**fields):
            return outbound_route_create(name=name, **{"patterns": [], "trunks": [], **fields})

        return self._plan(
            line, name, name, self.read(cells, trunks), routes.get(name),
            build=build, create=create, check=outbound_route_update_check, update=outbound_route_update,
            what="route",
        )  # fmt: skip


class DidRows(_ConnectivityRows):
    """FreePBX Bulk Handler's dids file: one inbound route a row, by DID and caller number
    (`extension` and `cidnum`; both empty: the catch-all)."""

    key_column = "extension"
    required = ("extension", "destination")
    used = DID_USED
    ignored_why = DID_IGNORED_WHY
    columns = DID_FIELD_COLUMNS

    @classmethod
    def key_of(cls, cells):
        # Never empty, so the catch-all's row (no DID, no caller number) is a row like any other.
        return f"{cells.get('extension', '')}/{cells.get('cidnum', '')}"

    def preload(self, rows):
        routes = {f"{r.did}/{r.cid}": r for r in InboundRoute.objects.select_related("user")}
        numbers = []
        for cells in rows:
            with contextlib.suppress(ValidationError):
                numbers.append(read_destination(cells.get("destination", ""))[1])
        return routes, PbxUser.objects.in_bulk([n for n in numbers if n])

    def read(self, cells, users):
        fields = {
            "did": cells.get("extension", ""),
            "cid": cells.get("cidnum", ""),
            "description": cells.get("description", ""),
            "cid_name_prefix": cells.get("grppre", ""),
        }
        problems = []
        try:
            destination, number = read_destination(cells.get("destination", ""))
        except ValidationError as e:
            return fields, [("destination", m) for m in e.messages]
        fields["destination"] = destination
        fields["user"] = None
        if destination != HANGUP:
            fields["user"] = users.get(number)
            if fields["user"] is None:
                problems.append(("destination", f"There is no user {number}: import the extensions first."))
        return fields, problems

    def plan(self, line, cells, loaded):
        routes, users = loaded
        key = self.key_of(cells)
        name = cells.get("description", "")
        return self._plan(
            line, key, name, self.read(cells, users), routes.get(key),
            build=build_inbound_route, create=inbound_route_create,
            check=inbound_route_update_check, update=inbound_route_update, what="route",
        )  # fmt: skip
