"""The checks a save needs beyond the row itself, each written once and called by the services.

- a number is free: no other user has the extension (`user_number_free`), no other device
  the id (`device_number_free`);
- a DAHDI channel is free (`channel_free`);
- a user's devices still fit in Asterisk's list of them (`device_list_fits`);
- a dial string is typed only for a custom device (`dial_string`);
- a device's users are on the device's server (`same_server`; README "Several servers").

Pages, the API, imports and commands reach them only through the services
(`directory/*/services.py`), so all refuse the same things in the same words.

An import judges many rows before it saves any. Inside `batch()` every check also counts
what the batch's earlier rows claimed (a number, a channel, a device for a user) as if
they were saved, and the database is read once per kind of claim (`preload`) rather than
once per row: the services need no switch to leave a check out.
"""

import contextlib
import contextvars
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from directory.devices.models import Device, Tech
from directory.servers.models import Server
from directory.techs import TECHS
from directory.users.models import PbxUser

# The code of the error a number already taken raises (the API answers it with 409).
IN_USE = "in_use"
# The code of the error a user and a device on different servers raise.
OTHER_SERVER = "other_server"

# AMPUSER/<ext>/device lists a user's devices joined by "&". The sync sends it to AstDB as
# one AMI header ("Val: …"), and no header longer than 1,000 characters goes out (Asterisk
# refuses lines over 1,022; asterisk/ami_wire.py keeps a margin, and a test holds the two
# equal): a list too long for it would stop every sync, so the device that would make it so
# is refused.
AMI_HEADER_MAX = 1000
DEVICE_LIST_MAX = AMI_HEADER_MAX - len("Val: ")

# A custom dial string is TECH/resource. No `,` (Dial() argument separator), `&`
# (it would ring a second channel) or `$` / brackets (dialplan expressions).
_CUSTOM_DIAL = re.compile(r"[A-Za-z][A-Za-z0-9_]*/[A-Za-z0-9_.@:+*#/=-]+")


@dataclass
class _Batch:
    """What the batch's rows claimed so far, and what it read from the database once."""

    users: set[str] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)
    # Numbers read from the database: user extension -> name (None: free); device ids taken.
    known_users: dict[str, str | None] = field(default_factory=dict)
    known_devices: dict[str, bool] = field(default_factory=dict)
    # DAHDI channel -> the device on it (the database's, read on the first DAHDI row, and the batch's).
    channels: dict[str, str] | None = None
    # user -> the devices they are on, as the batch leaves them (read per user, on first use).
    on_devices: dict[str, set[str]] = field(default_factory=dict)


_batch: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("rules_batch", default=None)


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Judge many rows as one import: each check counts what earlier rows claimed. A batch inside
    a batch adds to the outer one."""
    if _batch.get() is not None:
        yield
        return
    token = _batch.set(_Batch())
    try:
        yield
    finally:
        _batch.reset(token)


def preload(*, users: Iterable[str] = (), devices: Iterable[str] = ()) -> None:
    """Read in two queries whether these numbers are taken (inside a batch; outside, nothing)."""
    current = _batch.get()
    if current is None:
        return
    users = [u for u in users if u and u not in current.known_users]
    devices = [d for d in devices if d and d not in current.known_devices]
    if users:
        names = dict(PbxUser.objects.filter(pk__in=users).values_list("pk", "name"))
        current.known_users.update({u: names.get(u) for u in users})
    if devices:
        taken = set(Device.objects.filter(pk__in=devices).values_list("pk", flat=True))
        current.known_devices.update({d: d in taken for d in devices})


def _user_name(extension: str) -> str | None:
    current = _batch.get()
    if current is not None and extension in current.known_users:
        return current.known_users[extension]
    return PbxUser.objects.filter(pk=extension).values_list("name", flat=True).first()


def _device_taken(device_id: str) -> bool:
    current = _batch.get()
    if current is not None and device_id in current.known_devices:
        return current.known_devices[device_id]
    return Device.objects.filter(pk=device_id).exists()


def user_number_free(extension: str, *, field_name: str = "extension") -> None:
    """A new user's number: refused when a user has it (or an earlier row of the batch)."""
    current = _batch.get()
    if current is not None and extension in current.users:
        raise ValidationError(
            {field_name: ValidationError(f"Extension {extension} is given twice.", code=IN_USE)}
        )
    taken = _user_name(extension)
    if taken is not None:
        raise ValidationError(
            {field_name: ValidationError(f"Extension {extension} is already in use by {taken}.", code=IN_USE)}
        )
    if current is not None:
        current.users.add(extension)


def device_number_free(device_id: str, *, field_name: str = "id") -> None:
    """A new device's number: refused when a device has it (or an earlier row of the batch)."""
    current = _batch.get()
    if (current is not None and device_id in current.devices) or _device_taken(device_id):
        raise ValidationError(
            {field_name: ValidationError(f"Device {device_id} already exists.", code=IN_USE)}
        )
    if current is not None:
        current.devices.add(device_id)


def _channels() -> dict[str, str]:
    # A key of the settings' JSON reads back decoded on some databases (3, not "3"): as text.
    channels = Device.objects.filter(tech=Tech.DAHDI).values_list("endpoint__settings__channel", "id")
    return {str(channel): device_id for channel, device_id in channels}


def channel_free(device_id: str, tech: str, settings: dict[str, str]) -> None:
    """A DAHDI device's channel: refused when another device is on it (or an earlier row's)."""
    channel = settings.get("channel")
    if tech != Tech.DAHDI or not channel:
        return
    current = _batch.get()
    if current is None:
        owner = (
            Device.objects.filter(tech=Tech.DAHDI, endpoint__settings__channel=channel)
            .exclude(pk=device_id)
            .values_list("pk", flat=True)
            .first()
        ) or device_id
    else:
        if current.channels is None:
            current.channels = _channels()
        owner = current.channels.setdefault(channel, device_id)
    if owner != device_id:
        raise ValidationError({"channel": f"DAHDI channel {channel} is already used by device {owner}."})


def device_list_problem(user_id: str, device_ids: Iterable[str]) -> str:
    """Why a user cannot be on all these devices at once, or ""."""
    if len("&".join(device_ids)) <= DEVICE_LIST_MAX:
        return ""
    return (
        f"User {user_id} is on too many devices for Asterisk's list of them "
        f"(AMPUSER/{user_id}/device, at most {DEVICE_LIST_MAX} characters): log them out of one first."
    )


def _devices_of(user_id: str, device_id: str) -> set[str]:
    current = _batch.get()
    if current is None:
        return set(Device.objects.filter(user_id=user_id).exclude(pk=device_id).values_list("pk", flat=True))
    if user_id not in current.on_devices:
        current.on_devices[user_id] = set(Device.objects.filter(user_id=user_id).values_list("pk", flat=True))
    return current.on_devices[user_id]


def device_list_fits(user: PbxUser | None, device_id: str) -> None:
    """Putting `user` on this device: refused when their list of devices would be too long."""
    if user is None:
        return
    on = _devices_of(user.pk, device_id)
    if problem := device_list_problem(user.pk, sorted(on | {device_id})):
        raise ValidationError(problem, code="too_many_devices")
    current = _batch.get()
    if current is not None:
        on.add(device_id)


def dial_string(tech: str, device_id: str, dial: str, settings: dict[str, str]) -> str:
    """The device's dial string: typed for a custom device, its technology's for the others
    (given anyway, it must be that one: an export from FreePBX writes it)."""
    dial = (dial or "").strip()
    if tech != Tech.CUSTOM:
        try:
            derived = TECHS[tech].dial(device_id, settings)
        except KeyError:  # its settings were refused (a DAHDI channel): nothing to compare with
            derived = ""
        if dial and dial.lower() != derived.lower():
            follows = f"is dialled as {derived}" if derived else "is dialled as its technology says"
            raise ValidationError(
                {"dial": f"Only custom devices take a dial string: a {TECHS[tech].LABEL} device {follows}."}
            )
        return derived
    if not _CUSTOM_DIAL.fullmatch(dial):
        raise ValidationError(
            {
                "dial": "Type a dial string such as SIP/joe@example.com or Local/5551234@from-internal "
                "(no spaces, commas, & or $)."
            }
        )
    return dial


def server_of(value: "Server | str | None", *, field_name: str = "server") -> "Server | None":
    """The server a create names: a Server, or its name (a form, a file's `server` cell, the
    API); None (or blank) for none named. A name that is no server is refused on the field."""
    if value is None or isinstance(value, Server):
        return value
    name = str(value).strip()
    if not name:
        return None
    found = Server.objects.filter(name=name).first()
    if found is None:
        known = ", ".join(Server.objects.order_by("name").values_list("name", flat=True))
        raise ValidationError(
            {field_name: ValidationError(f"There is no server {name} (there are: {known}).", code="invalid")}
        )
    return found


def same_server(user: PbxUser | None, device: Device, *, hot_desking: bool = False) -> None:
    """Putting `user` on `device` (as its default user or its current one): refused when they are
    on different servers. A phone registers with one Asterisk and a user's keys, mailbox and
    entry are on theirs, so a user is only ever on the devices of their own server (hot
    desking included: a login on a phone of another server is refused)."""
    if user is None:
        return
    if transaction.get_connection().in_atomic_block:
        # The user's server as committed, the row held until this transaction ends: a move of
        # the user running alongside (`moves.move_user`, which holds it too) either finished
        # before, and is seen, or waits for this one and then sees the device it must refuse.
        server_id = (
            PbxUser.objects.select_for_update().filter(pk=user.pk).values_list("server_id", flat=True).first()
        )
        if server_id is not None:
            user.server_id = server_id
    if user.server_id == device.server_id:
        return
    names = dict(Server.objects.filter(pk__in=[user.server_id, device.server_id]).values_list("pk", "name"))
    user_server, device_server = names.get(user.server_id, "?"), names.get(device.server_id, "?")
    if hot_desking:
        message = (
            f"User {user.pk} is on server {user_server} and device {device.pk} on server {device_server}: "
            "hot desking works only on the phones of the user's own server."
        )
    else:
        message = (
            f"User {user.pk} is on server {user_server} and device {device.pk} on server {device_server}: "
            "a device's users are on its server (move the user first)."
        )
    raise ValidationError(message, code=OTHER_SERVER)
