"""Business operations on PBX users: create, update, delete.

Each write has a `*_check` twin that validates without saving; the bulk
import's dry run calls the checks, so a row is judged exactly as a save would.
"""

import copy

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit import trail
from directory import announce, rules
from directory.connectivity.models import InboundRoute
from directory.devices.models import Device
from directory.errors import ErrorCollector
from directory.servers.current import default as default_server
from directory.servers.models import Server
from directory.users.call_features import rules as call_feature_rules
from directory.users.mailboxes import generate_pin
from directory.users.models import PbxUser
from directory.versions import Expected, check_version, version_of

# Everything an administrator may set on a user; the extension is its identity.
# What a page, a file or a call may set; not the copies kept for searching (editable=False).
# Not the server either: moving a user to another server is an operation of its own.
USER_FIELDS = tuple(
    f.name
    for f in PbxUser._meta.concrete_fields
    if f.editable and f.name not in ("extension", "server", "created_at", "updated_at")
)


def _strip(fields: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"unexpected user fields {sorted(unknown)}")


# The shortest PIN taken, for hot desking and for a mailbox: three digits are a thousand
# guesses. Judged where a PIN is set (a new user, a changed PIN), so one kept from before
# the rule (FreePBX takes any) does not block the user's other changes.
PIN_MIN_LENGTH = 4
PIN_FIELDS = ("password", "vm_pin")


def _pin_rules(user: PbxUser, errors: ErrorCollector, before: PbxUser | None = None) -> None:
    for field in PIN_FIELDS:
        value = getattr(user, field)
        if field in errors.errors or not value or len(value) >= PIN_MIN_LENGTH:
            continue
        if before is None or getattr(before, field) != value:
            errors.add(
                field, ValidationError(f"A PIN has at least {PIN_MIN_LENGTH} digits.", code="pin_length")
            )


# voicemail.conf's own sections: app_voicemail reads them as settings (in any case), so a
# mailbox context of that name would hold no mailboxes (its lines taken for settings).
RESERVED_VOICEMAIL_CONTEXTS = frozenset({"general", "zonemessages"})


def _voicemail_rules(user: PbxUser, errors: ErrorCollector) -> None:
    if "voicemail" not in errors.errors and user.voicemail.lower() in RESERVED_VOICEMAIL_CONTEXTS:
        errors.add(
            "voicemail",
            ValidationError(
                f"{user.voicemail} is a section of voicemail.conf, not a voicemail context: choose another name.",
                code="reserved_context",
            ),
        )


def _give_mailbox_a_pin(user: PbxUser) -> None:
    """A user with a mailbox always has a PIN: a random one unless the administrator chose one."""
    if user.has_voicemail and not user.vm_pin:
        user.vm_pin = generate_pin()


def build_user(*, extension: str, name: str, server: Server | None = None, **fields) -> PbxUser:
    """Validate a new user without saving it. `server`: the Asterisk server they live on
    (default: the default server); moving them later is `directory.servers.moves.move_user`."""
    _check_fields(fields)
    user = PbxUser(
        extension=str(extension).strip(),
        server=server or default_server(),
        **_strip({"name": name, **fields}),
    )
    call_feature_rules.normalise(user)
    errors = ErrorCollector()
    errors.collect(user.full_clean, validate_unique=False)
    errors.collect(call_feature_rules.check, user)
    _pin_rules(user, errors)
    _voicemail_rules(user, errors)
    if "extension" not in errors.errors:
        errors.collect(rules.user_number_free, user.extension)
    errors.raise_if_any()
    _give_mailbox_a_pin(user)
    return user


@transaction.atomic
@trail.operation()
def user_create(*, extension: str, name: str, server: Server | None = None, **fields) -> PbxUser:
    user = build_user(extension=extension, name=name, server=server, **fields)
    user.save(force_insert=True)
    trail.created(user)
    announce.changed(users={user.pk})
    return user


Changes = dict[str, tuple[object, object]]


def user_update_check(*, user: PbxUser, **fields) -> tuple[PbxUser, Changes]:
    """Validate a change without saving it: the changed user, and each field that changes (before, after)."""
    _check_fields(fields)
    updated = copy.copy(user)
    for name, value in _strip(fields).items():
        setattr(updated, name, value)
    call_feature_rules.normalise(updated)
    errors = ErrorCollector()
    errors.collect(updated.full_clean, validate_unique=False)
    errors.collect(call_feature_rules.check, updated)
    _pin_rules(updated, errors, before=user)
    _voicemail_rules(updated, errors)
    errors.raise_if_any()
    _give_mailbox_a_pin(updated)
    return updated, {
        f: (getattr(user, f), getattr(updated, f))
        for f in {*fields, "vm_pin"}
        if getattr(user, f) != getattr(updated, f)
    }


def save_user_changes(updated: PbxUser, changes: Changes) -> PbxUser:
    """Store a user checked by `user_update_check` (inside the caller's transaction)."""
    if changes:
        updated.save()
        announce.changed(users={updated.pk}, fields=changes)
    return updated


def user_version(user: PbxUser) -> str:
    """What `user_update`'s `expected_version` compares with (the Users page, the API's ETag)."""
    return version_of(user)


@transaction.atomic
@trail.operation()
def user_update(*, user: PbxUser, expected_version: Expected = None, **fields) -> PbxUser:
    """Change a user's settings. The extension number is its identity and does not change.

    With `expected_version` (from `user_version` when the caller read the user), a user
    changed meanwhile is refused with StaleVersion and nothing is saved.
    """
    user = PbxUser.objects.select_for_update().get(pk=user.pk)
    check_version(expected_version, user, what=f"User {user.pk}")
    before = trail.snapshot(user)
    updated = save_user_changes(*user_update_check(user=user, **fields))
    trail.changed(before, updated)
    return updated


@transaction.atomic
@trail.operation()
def user_delete(*, user: PbxUser) -> None:
    """Delete a user. Devices they were on, or belonged to, are detached (user = none)."""
    # Devices it was on or belonged to: their DEVICE/<id>/user and default_user become none.
    devices = set(Device.objects.filter(Q(user=user) | Q(default_user=user)).values_list("pk", flat=True))
    # Inbound routes that rang them or reached their voicemail now hang up: on the audit log
    # as a change of each route, so the DID's new fate is not silent.
    routes = list(InboundRoute.objects.filter(user=user))
    before = trail.snapshot(*routes)
    # The foreign keys empty themselves (SET_NULL); "on it since" goes with the person.
    Device.objects.filter(user=user).update(user_since=None, updated_at=timezone.now())
    PbxUser.objects.filter(pk=user.pk).delete()
    trail.deleted(user)
    if routes:
        trail.changed(before, *InboundRoute.objects.filter(pk__in=[r.pk for r in routes]))
        announce.routes_changed()
    announce.changed(users={user.pk}, devices=devices)
