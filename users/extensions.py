"""Extensions mode: one operation makes a user, a fixed device with the same number, and its endpoint."""

from django.db import transaction

from devices.models import Device, DeviceType
from devices.services import build_device, device_delete, device_update, save_new_device
from endpoints.techs import ALIASES, TECHS
from pbxadmin.asterisk import asterisk_changed
from pbxadmin.errors import ErrorCollector
from users.models import PbxUser
from users.services import build_user, user_delete, user_update


def _with_accountcode(tech: str, settings: dict | None, accountcode: str | None) -> dict:
    """One account code serves the user and its device (FreePBX's devinfo_accountcode)."""
    settings = dict(settings or {})
    module = TECHS.get(ALIASES.get(tech, tech))
    has_setting = module is not None and any(s.key == "accountcode" for s in module.SETTINGS)
    if accountcode is not None and has_setting:
        settings.setdefault("accountcode", accountcode)
    return settings


@transaction.atomic
def extension_create(
    *,
    extension: str,
    name: str,
    tech: str,
    emergency_cid: str = "",
    dial: str = "",
    settings: dict[str, object] | None = None,
    **user_fields,
) -> PbxUser:
    """Create user `extension`, fixed device `extension` and its endpoint, or nothing.

    Every problem (user, device and endpoint settings) is reported at once.
    """
    errors = ErrorCollector()
    user = errors.collect(build_user, extension=extension, name=name, **user_fields)
    built = errors.collect(
        build_device,
        id=extension,
        tech=tech,
        devicetype=DeviceType.FIXED,
        description=name,
        emergency_cid=emergency_cid,
        dial=dial,
        settings=_with_accountcode(tech, settings, user_fields.get("accountcode")),
        # One message about a number in use is enough.
        check_duplicate="extension" not in errors.errors,
        # The device carries the same number and name: report on the extension's fields.
        rename={"id": "extension", "description": "name"},
    )
    errors.raise_if_any()
    device, clean = built
    user.save(force_insert=True)
    device.user = device.default_user = user
    save_new_device(device, clean)
    asterisk_changed(users={user.pk})
    return user


@transaction.atomic
def extension_update(
    *,
    user: PbxUser,
    settings: dict[str, object] | None = None,
    emergency_cid: str | None = None,
    dial: str | None = None,
    **user_fields,
) -> PbxUser:
    """Update an extension's user and its fixed device together, or neither."""
    errors = ErrorCollector()
    updated = errors.collect(user_update, user=user, **user_fields)
    device = Device.objects.filter(pk=user.pk).first()
    if device is not None:
        device_fields = {"description": user_fields.get("name", user.name)}
        if emergency_cid is not None:
            device_fields["emergency_cid"] = emergency_cid
        if dial is not None:
            device_fields["dial"] = dial
        settings = _with_accountcode(device.tech, settings, user_fields.get("accountcode"))
        errors.collect(
            device_update, device=device, settings=settings, rename={"description": "name"}, **device_fields
        )
    errors.raise_if_any()
    return updated


@transaction.atomic
def extension_delete(*, user: PbxUser) -> None:
    """Delete an extension: its user and its own device. Adhoc devices it was on are freed."""
    device = Device.objects.filter(pk=user.pk).first()
    if device is not None:
        device_delete(device=device)
    user_delete(user=user)
