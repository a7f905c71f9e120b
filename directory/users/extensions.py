"""Extensions mode: one operation makes a user, a fixed device with the same number, and its endpoint."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit import trail
from directory import announce, rules
from directory.devices.models import Device, DeviceType
from directory.devices.services import (
    build_device,
    device_delete,
    device_update_check,
    save_device_changes,
    save_new_device,
)
from directory.endpoints.models import Endpoint
from directory.errors import ErrorCollector
from directory.servers.current import default as default_server
from directory.servers.models import Server
from directory.techs import ALIASES, TECHS
from directory.users.models import PbxUser
from directory.users.services import build_user, save_user_changes, user_delete, user_update_check
from directory.versions import Expected, check_version, version_of


def _with_accountcode(tech: str, settings: dict | None, accountcode: str | None) -> dict:
    """One account code serves the user and its device (FreePBX's devinfo_accountcode)."""
    settings = dict(settings or {})
    module = TECHS.get(ALIASES.get(tech, tech))
    has_setting = module is not None and any(s.key == "accountcode" for s in module.SETTINGS)
    if accountcode is not None and has_setting:
        settings.setdefault("accountcode", accountcode)
    return settings


def _without_in_use(**fields):
    """build_device, when the number is already refused for the user: one message about it is enough."""
    try:
        return build_device(**fields)
    except ValidationError as e:
        if hasattr(e, "error_dict"):
            kept = {k: [x for x in v if x.code != rules.IN_USE] for k, v in e.error_dict.items()}
            raise ValidationError({k: v for k, v in kept.items() if v}) from None
        raise


def build_extension(
    *,
    extension: str,
    name: str,
    tech: str,
    emergency_cid: str = "",
    dial: str = "",
    settings: dict[str, object] | None = None,
    server: Server | None = None,
    **user_fields,
) -> tuple[PbxUser, Device, dict[str, str]]:
    """Validate a new extension without saving it. Every problem (user, device, settings) is reported at once.

    `server`: the Asterisk server the user and their phone are on (default: the default server)."""
    errors = ErrorCollector()
    server = server or default_server()
    user = errors.collect(build_user, extension=extension, name=name, server=server, **user_fields)
    number_taken = any(e.code == rules.IN_USE for e in errors.errors.get("extension", ()))
    built = errors.collect(
        _without_in_use if number_taken else build_device,
        id=extension,
        tech=tech,
        devicetype=DeviceType.FIXED,
        description=name,
        emergency_cid=emergency_cid,
        dial=dial,
        settings=_with_accountcode(tech, settings, user_fields.get("accountcode")),
        server=server,
        # The device carries the same number and name: report on the extension's fields.
        rename={"id": "extension", "description": "name"},
    )
    errors.raise_if_any()
    device, clean = built
    device.user = device.default_user = user
    device.user_since = timezone.now()
    return user, device, clean


@transaction.atomic
@trail.operation()
def extension_create(**fields) -> PbxUser:
    """Create user `extension`, fixed device `extension` and its endpoint, or nothing. Fields as build_extension."""
    user, device, clean = build_extension(**fields)
    user.save(force_insert=True)
    trail.created(user)
    save_new_device(device, clean, users={user.pk})
    return user


@transaction.atomic
def extension_create_many(rows: list[dict]) -> dict[int, ValidationError]:
    """Create many extensions in a few queries (bulk import); each row checked exactly as extension_create.

    Returns the problems by row index; when there are any, nothing is created.
    """
    problems: dict[int, ValidationError] = {}
    built = []
    with rules.batch():
        numbers = [str(r.get("extension", "")).strip() for r in rows]
        rules.preload(users=numbers, devices=numbers)
        default = default_server()  # read once, not once per row
        for index, row in enumerate(rows):
            try:
                built.append(build_extension(**{**row, "server": row.get("server") or default}))
            except ValidationError as e:
                problems[index] = e
    if problems:
        return problems
    PbxUser.objects.bulk_create([user for user, _, _ in built])
    Device.objects.bulk_create([device for _, device, _ in built])
    endpoints = Endpoint.objects.bulk_create([Endpoint(device=d, settings=clean) for _, d, clean in built])
    for (user, device, _), endpoint in zip(built, endpoints, strict=True):
        with trail.operation():  # one entry per extension, as extension_create records it
            trail.created(user, device, endpoint)
    announce.changed(
        users={user.pk for user, _, _ in built},
        devices={device.pk for _, device, _ in built},
    )
    return {}


def extension_update_check(
    *,
    user: PbxUser,
    device: Device | None,
    settings: dict[str, object] | None = None,
    emergency_cid: str | None = None,
    dial: str | None = None,
    **user_fields,
):
    """Validate a change to an extension without saving it; every problem at once.

    Returns what `save_extension_changes` stores, and the fields that change
    (before, after) in one dict, device settings as `settings.<key>`.
    """
    errors = ErrorCollector()
    user_checked = errors.collect(user_update_check, user=user, **user_fields)
    device_checked = None
    if device is not None:
        device_fields = {"description": user_fields.get("name", user.name)}
        if emergency_cid is not None:
            device_fields["emergency_cid"] = emergency_cid
        if dial is not None:
            device_fields["dial"] = dial
        settings = _with_accountcode(device.tech, settings, user_fields.get("accountcode"))
        device_checked = errors.collect(
            device_update_check,
            device=device,
            settings=settings,
            rename={"description": "name"},
            **device_fields,
        )
    errors.raise_if_any()
    changes = dict(user_checked[1])
    if device_checked is not None:
        # The description follows the name: one change to report, not two.
        changes |= {k: v for k, v in device_checked[2].items() if k != "description"}
    return (user_checked, device_checked), changes


def save_extension_changes(checked) -> None:
    user_checked, device_checked = checked
    save_user_changes(*user_checked)
    if device_checked is not None:
        save_device_changes(*device_checked)


def extension_version(user: PbxUser, device: Device | None) -> str:
    """What `extension_update`'s `expected_version` compares with: the user and its own device
    (`device`: the device with the same number, or None), as the page and the API's ETag read them."""
    return version_of(user, device)


@transaction.atomic
@trail.operation()
def extension_update(*, user: PbxUser, expected_version: Expected = None, **fields) -> PbxUser:
    """Update an extension's user and its fixed device together, or neither. Fields as the check.

    With `expected_version` (from `extension_version` when the caller read the extension), an
    extension changed meanwhile (its user or its device) is refused with StaleVersion and
    nothing is saved.
    """
    user = PbxUser.objects.select_for_update().get(pk=user.pk)
    device = (
        Device.objects.select_for_update(of=("self",)).select_related("endpoint").filter(pk=user.pk).first()
    )
    check_version(expected_version, user, device, what=f"Extension {user.pk}")
    before = trail.snapshot(user, device, device.endpoint if device else None)
    checked, _changes = extension_update_check(user=user, device=device, **fields)
    save_extension_changes(checked)
    (updated, _), device_checked = checked
    trail.changed(
        before, updated, *((device_checked[0], device_checked[0].endpoint) if device_checked else ())
    )
    return updated


@transaction.atomic
@trail.operation()
def extension_delete(*, user: PbxUser) -> None:
    """Delete an extension: its user and its own device. Adhoc devices it was on are freed."""
    device = Device.objects.filter(pk=user.pk).first()
    if device is not None:
        device_delete(device=device)
    user_delete(user=user)
