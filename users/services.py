"""Business operations on PBX users: create, update, delete."""

from django.db import transaction
from django.db.models import Q

from asterisk import outbox
from devices.models import Device
from portal.errors import ErrorCollector
from users.mailboxes import generate_pin
from users.models import PbxUser

# Everything an administrator may set on a user; the extension is its identity.
USER_FIELDS = tuple(
    f.name for f in PbxUser._meta.concrete_fields if f.name not in ("extension", "created_at", "updated_at")
)


def _strip(fields: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"unexpected user fields {sorted(unknown)}")


def _give_mailbox_a_pin(user: PbxUser) -> None:
    """A user with a mailbox always has a PIN: a random one unless the administrator chose one."""
    if user.has_voicemail and not user.vm_pin:
        user.vm_pin = generate_pin()


def build_user(*, extension: str, name: str, check_duplicate: bool = True, **fields) -> PbxUser:
    """Validate a new user without saving it."""
    _check_fields(fields)
    user = PbxUser(extension=str(extension).strip(), **_strip({"name": name, **fields}))
    errors = ErrorCollector()
    errors.collect(user.full_clean, validate_unique=False)
    if check_duplicate and "extension" not in errors.errors:
        taken = PbxUser.objects.filter(pk=user.extension).values_list("name", flat=True).first()
        if taken is not None:
            errors.add("extension", f"Extension {user.extension} is already in use by {taken}.")
    errors.raise_if_any()
    _give_mailbox_a_pin(user)
    return user


@transaction.atomic
def user_create(*, extension: str, name: str, **fields) -> PbxUser:
    user = build_user(extension=extension, name=name, **fields)
    user.save(force_insert=True)
    outbox.changed(users={user.pk})
    return user


@transaction.atomic
def user_update(*, user: PbxUser, **fields) -> PbxUser:
    """Change a user's settings. The extension number is its identity and does not change."""
    _check_fields(fields)
    user = PbxUser.objects.select_for_update().get(pk=user.pk)
    for name, value in _strip(fields).items():
        setattr(user, name, value)
    user.full_clean(validate_unique=False)
    _give_mailbox_a_pin(user)
    user.save()
    outbox.changed(users={user.pk})
    return user


@transaction.atomic
def user_delete(*, user: PbxUser) -> None:
    """Delete a user. Devices they were on, or belonged to, are detached (user = none)."""
    # Devices it was on or belonged to: their DEVICE/<id>/user and default_user become none.
    devices = set(Device.objects.filter(Q(user=user) | Q(default_user=user)).values_list("pk", flat=True))
    PbxUser.objects.filter(pk=user.pk).delete()
    outbox.changed(users={user.pk}, devices=devices)
