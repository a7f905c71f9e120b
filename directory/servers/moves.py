"""Moving a user to another server, with their phones (README "Several servers", "Moving a user").

A device's users are on the device's server (`directory.rules.same_server`): a phone registers
with one Asterisk, and a user's keys, mailbox and dialplan entry are on theirs. So a user moves
with their own (fixed) phones, and the move is refused when it would leave a phone and one of
its users on different servers:

- an adhoc (hot-desk) phone the user is logged into, or is the default user of: it is the
  office's shared phone and stays; log them out, or give it another default user, first;
- a phone the user shares with someone who stays;
- a DAHDI phone: its channel is a port of its server's hardware.

The move changes the rows and announces them as changed in every way (`fields=None`): every
server then works out what it must hold (the new one the user's keys, mailbox and entry; the
old one and the others the entry that reaches them over the trunk) and converges.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit import trail
from directory import announce
from directory.devices.models import Device, DeviceType, Tech
from directory.servers.models import Server
from directory.users.models import PbxUser
from directory.versions import Expected, check_version


def _problems(user: PbxUser, devices: list[Device], names: dict[int, str]) -> list[str]:
    """Why moving `user` with these devices would break the rule, one sentence each."""
    problems = []
    for device in devices:
        where = names.get(device.server_id, "?")
        if device.devicetype == DeviceType.ADHOC:
            if device.default_user_id == user.pk:
                problems.append(
                    f"User {user.pk} is the default user of adhoc device {device.pk}, a shared phone that "
                    f"stays on server {where}: give it another default user (or none) first."
                )
            else:
                problems.append(
                    f"User {user.pk} is logged into adhoc device {device.pk}, a shared phone that stays on "
                    f"server {where}: log them out of it first."
                )
            continue
        others = sorted({device.user_id, device.default_user_id} - {user.pk, None})
        if others:
            problems.append(
                f"Device {device.pk} is shared with user {', '.join(others)}, who stays on server {where}: "
                "make it theirs or move them first."
            )
        elif device.tech == Tech.DAHDI:
            problems.append(
                f"Device {device.pk} is a DAHDI channel, a port of server {where}'s hardware: "
                "it cannot move to another server; detach it from the user first."
            )
    return problems


def move_check(*, user: PbxUser, server: Server) -> list[str]:
    """Why `user` could not move to `server` now (nothing: they could), without moving anything:
    what an import's check shows on the row before its confirm."""
    if user.server_id == server.pk:
        return []
    devices = list(Device.objects.filter(Q(user=user) | Q(default_user=user)).order_by("pk"))
    return _problems(user, devices, dict(Server.objects.values_list("pk", "name")))


@transaction.atomic
@trail.operation()
def move_user(*, extension: str, server: Server, expected_version: Expected = None) -> PbxUser:
    """Move user `extension` and their own phones to `server`; every problem at once
    (ValidationError on `server`), and nothing moves. Moving a user to the server they are on
    changes nothing. With `expected_version` (`user_version`), a user changed meanwhile is
    refused with StaleVersion.

    Who moved them is who is acting (`audit.actors`): the audit log records the user's and each
    phone's server, before and after."""
    user = PbxUser.objects.select_for_update().get(pk=extension)
    check_version(expected_version, user, what=f"User {user.pk}")
    target = Server.objects.get(pk=server.pk)
    if user.server_id == target.pk:
        return user
    devices = list(
        Device.objects.select_for_update().filter(Q(user=user) | Q(default_user=user)).order_by("pk")
    )
    names = dict(Server.objects.values_list("pk", "name"))
    problems = _problems(user, devices, names)
    if problems:
        raise ValidationError({"server": [ValidationError(p, code="cannot_move") for p in problems]})
    now = timezone.now()
    PbxUser.objects.filter(pk=user.pk).update(server=target, updated_at=now)
    Device.objects.filter(pk__in=[d.pk for d in devices]).update(server=target, updated_at=now)
    # The servers by name, not by id, on the record: what an administrator reads.
    for obj in (user, *devices):
        trail.record(
            action=trail.Action.CHANGED,
            obj=obj,
            changes={"server": [names.get(obj.server_id, ""), target.name]},
        )
    announce.changed(users={user.pk}, devices={d.pk for d in devices})
    user.refresh_from_db()
    return user


@transaction.atomic
@trail.operation()
def move_device(*, device_id: str, server: Server, expected_version: Expected = None) -> Device:
    """Move a phone nobody is on (an adhoc phone with no default user, a spare) to `server`. A
    phone with a user moves with that user (`move_user`); a DAHDI channel stays with its
    hardware. Refused (ValidationError on `server`) otherwise; on the audit log as `move_user`."""
    device = Device.objects.select_for_update().get(pk=device_id)
    check_version(expected_version, device, what=f"Device {device.pk}")
    target = Server.objects.get(pk=server.pk)
    if device.server_id == target.pk:
        return device
    names = dict(Server.objects.values_list("pk", "name"))
    where = names.get(device.server_id, "?")
    users = sorted({device.user_id, device.default_user_id} - {None})
    if users:
        problem = (
            f"Device {device.pk} is user {', '.join(users)}'s, on server {where}: "
            "a phone moves with its user (move the user), or once nobody is on it."
        )
    elif device.tech == Tech.DAHDI:
        problem = (
            f"Device {device.pk} is a DAHDI channel, a port of server {where}'s hardware: "
            "it cannot move to another server."
        )
    else:
        problem = ""
    if problem:
        raise ValidationError({"server": ValidationError(problem, code="cannot_move")})
    Device.objects.filter(pk=device.pk).update(server=target, updated_at=timezone.now())
    trail.record(action=trail.Action.CHANGED, obj=device, changes={"server": [where, target.name]})
    announce.changed(devices={device.pk})
    device.refresh_from_db()
    return device
