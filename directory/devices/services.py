"""Business operations on devices: create, update, delete, attach, and hot-desk login/logout.

Every entry point (pages, admin, CSV import, commands, the FastAGI service)
calls these; they validate, write in one transaction and tell the Asterisk
boundary what changed.
"""

import copy
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit import trail
from directory import announce, rules
from directory.devices.models import Device, DeviceType, Tech
from directory.endpoints.models import Endpoint
from directory.errors import ErrorCollector
from directory.secrets import REGENERATE
from directory.servers.current import default as default_server
from directory.servers.models import Server
from directory.techs import TECHS, clean_settings, normalise_tech
from directory.users.models import PbxUser
from directory.validators import generate_secret, is_weak_secret
from directory.versions import Expected, check_version, version_of

DEVICE_FIELDS = ("description", "emergency_cid", "devicetype", "default_user", "dial")


def _new_secret_wanted(settings: dict, *, blank: bool = False) -> bool:
    """`REGEN` as the secret (a page, a CSV cell, an API call), or, for a new device, none."""
    secret = settings.get("secret")
    return (blank and not secret) or (isinstance(secret, str) and secret.upper() == REGENERATE)


def _weak(settings: dict[str, str]) -> bool:
    return bool(settings.get("secret")) and is_weak_secret(settings["secret"])


def build_device(
    *,
    id: str,
    tech: str,
    devicetype: str = DeviceType.FIXED,
    description: str = "",
    default_user: PbxUser | None = None,
    emergency_cid: str = "",
    dial: str = "",
    settings: dict[str, object] | None = None,
    server: Server | None = None,
) -> tuple[Device, dict[str, str]]:
    """Validate a new device without saving it; return it and its clean endpoint settings.

    `server`: the Asterisk server it registers with (default: its default user's, else the
    default server); its default user must be on it."""
    try:
        tech = normalise_tech(tech)
    except ValidationError as e:
        raise ValidationError({"tech": e.error_list}) from None
    errors = ErrorCollector()
    settings = dict(settings or {})
    if any(s.key == "secret" for s in TECHS[tech].SETTINGS) and _new_secret_wanted(settings, blank=True):
        settings["secret"] = generate_secret()
    clean = errors.collect(clean_settings, tech, settings) or {}
    device = Device(
        id=str(id).strip(),
        tech=tech,
        devicetype=devicetype,
        description=description.strip() if isinstance(description, str) else description,
        default_user=default_user,
        user=default_user,
        user_since=timezone.now() if default_user else None,
        emergency_cid=emergency_cid.strip() if isinstance(emergency_cid, str) else emergency_cid,
        weak_credential=_weak(clean),
        server=server or (default_user.server if default_user is not None else default_server()),
    )
    if clean or dial or tech == Tech.CUSTOM:
        device.dial = errors.collect(rules.dial_string, tech, device.id, dial, clean) or ""
    errors.collect(
        device.full_clean,
        exclude=["dial"] if not device.dial else None,
        validate_unique=False,
    )
    if "id" not in errors.errors:
        errors.collect(rules.device_number_free, device.id)
    errors.collect(rules.channel_free, device.id, tech, clean)
    try:
        rules.same_server(default_user, device)
        rules.device_list_fits(default_user, device.id)
    except ValidationError as e:
        errors.add("default_user", e)
    errors.raise_if_any()
    return device, clean


def save_new_device(device: Device, settings: dict[str, str], *, users: set[str] = frozenset()) -> Device:
    """Insert a device built by `build_device`; `users` are recorded as changed with it."""
    device.save(force_insert=True)
    trail.created(device, Endpoint.objects.create(device=device, settings=settings))
    announce.changed(devices={device.id}, users=users)
    return device


@transaction.atomic
@trail.operation()
def device_create(**fields) -> Device:
    """Create a device and its endpoint. Fields as `build_device`."""
    device, settings = build_device(**fields)
    return save_new_device(device, settings)


# What a change can alter on a device row, as named in a list of changes.
_COMPARED = ("description", "emergency_cid", "devicetype", "default_user_id", "user_id", "dial")

Changes = dict[str, tuple[object, object]]


def device_update_check(
    *, device: Device, settings: dict[str, object] | None = None, **fields
) -> tuple[Device, dict[str, str], Changes]:
    """Validate a change without saving it: the changed device, its endpoint settings, and
    each field that changes (before, after; settings as `settings.<key>`).

    `device` must come with its endpoint (select_related). The id and technology stay.
    """
    unknown = set(fields) - set(DEVICE_FIELDS)
    if unknown:
        raise TypeError(f"device_update() got unexpected fields {sorted(unknown)}")
    updated = copy.copy(device)
    was_fixed = device.devicetype == DeviceType.FIXED
    errors = ErrorCollector()
    for name, value in fields.items():
        setattr(updated, name, value.strip() if isinstance(value, str) else value)
    before = device.endpoint.settings
    clean = before
    if settings:
        if device.tech != Tech.CUSTOM and "secret" in settings and not settings["secret"]:
            settings = {k: v for k, v in settings.items() if k != "secret"}  # blank keeps the old one
        elif _new_secret_wanted(settings):
            settings = {**settings, "secret": generate_secret()}
        clean = errors.collect(clean_settings, device.tech, settings, base=before) or clean
    updated.dial = (
        errors.collect(rules.dial_string, device.tech, device.id, fields.get("dial", device.dial), clean)
        or device.dial
    )
    # FreePBX's rules: a fixed device always belongs to its default user; a
    # device turned adhoc starts from its default user; an adhoc device keeps
    # whoever is logged in.
    if updated.default_user_id != device.default_user_id:
        try:
            rules.same_server(updated.default_user, updated)
        except ValidationError as e:
            errors.add("default_user", e)
    if updated.devicetype == DeviceType.FIXED or was_fixed:
        errors.collect(_set_current_user, updated, updated.default_user)
    updated.weak_credential = _weak(clean)
    errors.collect(updated.full_clean, validate_unique=False)
    errors.collect(rules.channel_free, device.id, device.tech, clean)
    errors.raise_if_any()
    changes = {f: (getattr(device, f), getattr(updated, f)) for f in _COMPARED}
    changes |= {f"settings.{k}": (before.get(k), clean.get(k)) for k in {*before, *clean}}
    return updated, clean, {k: v for k, v in changes.items() if v[0] != v[1]}


def save_device_changes(updated: Device, clean: dict[str, str], changes: Changes) -> Device:
    """Store a device checked by `device_update_check` (inside the caller's transaction)."""
    if changes:
        updated.save()
        if clean != updated.endpoint.settings:
            Endpoint.objects.filter(device=updated).update(settings=clean)
            updated.endpoint.settings = clean
        announce.changed(devices={updated.id}, fields=changes)
    return updated


def device_secret_reveal(*, device: Device) -> str:
    """The device's secret, for an administrator who asked to see it (the page's Reveal). On the
    record as an export: the secret leaves the portal, as with an export with secrets."""
    trail.record(action=trail.Action.EXPORTED, obj=device, changes={"secret": "revealed"})
    return device.endpoint.settings.get("secret", "")


def device_version(device: Device) -> str:
    """What `device_update`'s `expected_version` compares with (the Devices page, the API's ETag).

    A hot-desk login moves it too: the device page's copy of the device is then old.
    """
    return version_of(device)


@transaction.atomic
@trail.operation()
def device_update(
    *,
    device: Device,
    settings: dict[str, object] | None = None,
    expected_version: Expected = None,
    **fields,
) -> Device:
    """Change a device's fields and (some of) its endpoint settings. The id and technology stay.

    With `expected_version` (from `device_version` when the caller read the device), a device
    changed meanwhile is refused with StaleVersion and nothing is saved.
    """
    device = Device.objects.select_for_update(of=("self",)).select_related("endpoint").get(pk=device.pk)
    check_version(expected_version, device, what=f"Device {device.pk}")
    before = trail.snapshot(device, device.endpoint)
    updated = save_device_changes(*device_update_check(device=device, settings=settings, **fields))
    trail.changed(before, updated, updated.endpoint)
    return updated


@transaction.atomic
@trail.operation()
def device_delete(*, device: Device) -> None:
    """Delete a device and its endpoint; its user keeps their other devices."""
    Device.objects.filter(pk=device.pk).delete()
    trail.deleted(device)
    announce.changed(devices={device.pk})


def _set_current_user(device: Device, user: PbxUser | None, *, check: bool = True) -> None:
    if device.user_id != (user.pk if user else None):
        if check:
            rules.device_list_fits(user, device.pk)
        device.user = user
        device.user_since = timezone.now() if user else None


@transaction.atomic
@trail.operation()
def device_attach(*, device: Device, user: PbxUser | None) -> Device:
    """Make `user` the owner of `device`: its default user, and its current user now."""
    return (
        device_update(device=device, default_user=user)
        if device.devicetype == DeviceType.FIXED
        else _attach_adhoc(device, user)
    )


def _attach_adhoc(device: Device, user: PbxUser | None) -> Device:
    device = Device.objects.select_for_update().get(pk=device.pk)
    rules.same_server(user, device)
    before = trail.snapshot(device)
    device.default_user = user
    _set_current_user(device, user)
    device.save(update_fields=["default_user", "user", "user_since", "updated_at"])
    trail.changed(before, device)
    announce.changed(devices={device.pk})
    return device


@transaction.atomic
@trail.operation()
def device_restore_user(*, device: Device, user: PbxUser | None, since: datetime | None = None) -> Device:
    """Put `user` (or nobody) on `device` since `since` (default: now): an import restoring who
    was on which phone, and so the order each user's phones arrived in (AMPUSER/<ext>/device
    lists them by `user_since`). A fixed device is always on its default user (FreePBX's rule).
    """
    device = Device.objects.select_for_update().get(pk=device.pk)
    wanted = user.pk if user is not None else None
    if device.devicetype == DeviceType.FIXED and wanted != device.default_user_id:
        raise ValidationError(
            {
                "current_user": f"Device {device.id} is fixed: the user on it is its default user "
                f"({device.default_user_id or 'none'})."
            }
        )
    since = (
        (since or (device.user_since if wanted == device.user_id else None) or timezone.now())
        if user
        else None
    )
    if (device.user_id, device.user_since) == (wanted, since):
        return device
    if user is not None and wanted != device.user_id:
        rules.same_server(user, device)
        rules.device_list_fits(user, device.pk)
    before = trail.snapshot(device)
    device.user, device.user_since = user, since
    device.save(update_fields=["user", "user_since", "updated_at"])
    trail.changed(before, device)
    announce.changed(devices={device.pk})
    return device


@transaction.atomic
def device_login(*, device: Device, user: PbxUser) -> Device:
    """Hot desking: log `user` into an adhoc device (FreePBX's rules: README, "Hot desking from phones").

    The device's previous user loses only this device; their others stay.
    """
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.devicetype != DeviceType.ADHOC:
        raise ValidationError(
            f"Device {device.id} is fixed: only adhoc devices can be logged into.",
            code="fixed",
        )
    if device.user_id != user.pk:
        rules.same_server(user, device, hot_desking=True)
        before = trail.snapshot(device)
        _set_current_user(device, user)
        device.save(update_fields=["user", "user_since", "updated_at"])
        trail.changed(before, device, action=trail.Action.LOGGED_IN)
        announce.changed(devices={device.pk})
    return device


@transaction.atomic
@trail.operation()
def device_logout(*, device: Device) -> Device:
    """Hot desking: give an adhoc device back to its default user (or to nobody)."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.devicetype != DeviceType.ADHOC:
        raise ValidationError(f"Device {device.id} is fixed: there is nobody to log out.", code="fixed")
    if device.user_id != device.default_user_id:
        before = trail.snapshot(device)
        # A log-off is never refused (a phone's *12 must work): the device goes home, or to
        # nobody when its default user's list of devices is full (a list too long for
        # Asterisk would stop every sync).
        home = device.default_user
        if home is not None and rules.device_list_problem(
            home.pk, [*Device.objects.filter(user=home).values_list("pk", flat=True), device.pk]
        ):
            home = None
        _set_current_user(device, home, check=False)
        device.save(update_fields=["user", "user_since", "updated_at"])
        trail.changed(before, device, action=trail.Action.LOGGED_OUT)
        announce.changed(devices={device.pk})
    return device
