"""Hot-desk PINs resist guessing across calls: failures counted per user and per device, growing lock-outs.

A PIN is a few digits, so a limit per call is no limit: an attacker simply
calls again. Every wrong PIN counts against the user and against the device
it was typed on; after PBXADMIN_HOTDESK_MAX_FAILURES in a row, both are locked
out for PBXADMIN_HOTDESK_LOCKOUT seconds, doubling with each further failure
up to PBXADMIN_HOTDESK_LOCKOUT_MAX. While locked, attempts are refused without
looking at the PIN (a right guess during a lock-out teaches nothing). A right
PIN, or an administrator lifting the lock-out, starts the count again.

The typed digits are never logged or stored; the device, user and channel are.
"""

import enum
import hmac
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit import trail
from directory.devices.models import Device, HotdeskLockout
from directory.users.models import PbxUser

log = logging.getLogger(__name__)

# 2**20 lock-out periods is far beyond any sensible cap; stops the exponent growing without end.
_MAX_DOUBLINGS = 20


class PinCheck(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"


def _lockouts(device: Device | None, user: PbxUser | None):
    query = Q(pk__in=[])
    if device is not None:
        query |= Q(device=device)
    if user is not None:
        query |= Q(user=user)
    return HotdeskLockout.objects.filter(query)


def hotdesk_locked_until(*, device: Device | None = None, user: PbxUser | None = None) -> datetime | None:
    """When the lock-out of this device or user (the later of the two) ends; None if neither is locked."""
    until = (
        _lockouts(device, user)
        .filter(locked_until__gt=timezone.now())
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return until


def hotdesk_lockout_of(*, user: PbxUser | None = None, device: Device | None = None) -> HotdeskLockout | None:
    """The failed attempts and lock-out of one user or one device, for its page; None if there are none."""
    return _lockouts(device, user).filter(failures__gt=0).first()


def _lockout_seconds(failures: int) -> int:
    over = failures - settings.PBXADMIN_HOTDESK_MAX_FAILURES
    if over < 0:
        return 0
    seconds = settings.PBXADMIN_HOTDESK_LOCKOUT * 2 ** min(over, _MAX_DOUBLINGS)
    return min(seconds, settings.PBXADMIN_HOTDESK_LOCKOUT_MAX)


def _count_failure(row: HotdeskLockout, now: datetime, channel: str) -> None:
    row.failures += 1
    row.last_failure_at = now
    row.last_channel = channel[: HotdeskLockout._meta.get_field("last_channel").max_length]
    seconds = _lockout_seconds(row.failures)
    if seconds:
        row.locked_until = now + timedelta(seconds=seconds)
    row.save()


def _same(pin: str, expected: str) -> bool:
    # Bytes, so a non-ASCII stored PIN cannot make compare_digest raise.
    return bool(pin) and bool(expected) and hmac.compare_digest(pin.encode(), expected.encode())


@transaction.atomic
def hotdesk_pin_check(*, device: Device, user: PbxUser, pin: str, channel: str) -> PinCheck:
    """One PIN typed on `device` (reached over `channel`) to log in as `user`: count it, and say what to do.

    LOCKED: the device or the user is locked out; the PIN was not looked at.
    WRONG: counted against both. ACCEPTED: both counts start again.
    """
    now = timezone.now()
    # The rows are locked for the whole check, so concurrent calls (other
    # processes) count one after the other instead of all slipping through.
    # They must exist to be locked: two first failures at once would both insert.
    HotdeskLockout.objects.get_or_create(user=user)
    HotdeskLockout.objects.get_or_create(device=device)
    rows = list(_lockouts(device, user).select_for_update())
    locked = [row for row in rows if row.locked_until and row.locked_until > now]
    if locked:
        log.warning(
            "hot desk: refused without checking the PIN: user %s on device %s (channel %r) is locked out until %s",
            user.pk,
            device.pk,
            channel,
            max(row.locked_until for row in locked).isoformat(timespec="seconds"),
        )
        return PinCheck.LOCKED
    if _same(pin, user.password):
        if rows:
            HotdeskLockout.objects.filter(pk__in=[row.pk for row in rows]).delete()
        return PinCheck.ACCEPTED
    by_user = next((row for row in rows if row.user_id == user.pk), None) or HotdeskLockout(user=user)
    by_device = next((row for row in rows if row.device_id == device.pk), None) or HotdeskLockout(
        device=device
    )
    for row in (by_user, by_device):
        _count_failure(row, now, channel)
    until = max((row.locked_until for row in (by_user, by_device) if row.is_locked), default=None)
    log.warning(
        "hot desk: wrong PIN for user %s on device %s (channel %r): %d failed attempts for the user, "
        "%d for the device%s",
        user.pk,
        device.pk,
        channel,
        by_user.failures,
        by_device.failures,
        f"; locked out until {until.isoformat(timespec='seconds')}" if until else "",
    )
    return PinCheck.WRONG


@transaction.atomic
@trail.operation()
def hotdesk_lockout_lift(*, user: PbxUser | None = None, device: Device | None = None) -> bool:
    """An administrator lifts the lock-out of a user or a device and clears its failed attempts
    (on the record: lifting one undoes a guard against guessing)."""
    if (user is None) == (device is None):
        raise TypeError("hotdesk_lockout_lift() takes a user or a device")
    rows = _lockouts(device, user).select_for_update()
    failures = max((row.failures for row in rows), default=0)
    deleted, _ = rows.delete()
    if deleted:
        trail.record(
            action=trail.Action.UNLOCKED,
            obj=user if user is not None else device,
            changes={"failed attempts": [failures, 0]},
        )
        log.info(
            "hot desk: lock-out of %s lifted",
            f"user {user.pk}" if user is not None else f"device {device.pk}",
        )
    return bool(deleted)
