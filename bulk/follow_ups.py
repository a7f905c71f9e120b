"""What a row sets on a device once every row of the file exists: the import's last step.

A device's default user and the user on it now may be any user of the file,
a later row's too (in an extensions file, device 2001 may be on user 2005), so
these are read and checked with the row but applied after the last row,
through the device services, in file order. Then the order each user's devices
arrived in is restored from `user_since` (AMPUSER/<ext>/device lists them in
that order), for the users on more than one device only: for the others the
moment changes nothing Asterisk reads.
"""

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count

from bulk.columns import to_moment, user_ref
from directory.devices.models import ARRIVAL_ORDER, Device, DeviceType
from directory.devices.services import device_restore_user, device_update
from directory.users.models import PbxUser

UNSET = object()  # a cell left empty: the services decide (a new device) or it stays (an existing one)


@dataclass
class FollowUp:
    device_id: str
    # device_update's fields (devicetype, description, default_user as a number or None).
    fields: dict[str, object] = field(default_factory=dict)
    user: object = UNSET  # the current user's number, None (nobody), or UNSET
    since: datetime | None = None
    # The CSV column each of the above came from, to name it in an error.
    columns: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.needs_apply or self.since is not None

    @property
    def needs_apply(self) -> bool:
        """Something to set through the services (a `since` alone only orders a user's devices)."""
        return bool(self.fields) or self.user is not UNSET


def read_device_cells(cells: dict[str, str], *, default_user_column: str = "user") -> tuple[FollowUp, list]:
    """The `user` (default user), `current_user` and `user_since` cells of a row, and cell errors."""
    follow_up = FollowUp(device_id="")
    problems = []
    for column, target in ((default_user_column, "default_user"), ("current_user", "user")):
        value = cells.get(column, "")
        if value == "":
            continue
        try:
            number = user_ref(value)
        except ValidationError as e:
            problems.append((column, " ".join(e.messages)))
            continue
        if target == "default_user":
            follow_up.fields["default_user"] = number
        else:
            follow_up.user = number
        follow_up.columns[target] = column
    if cells.get("user_since", ""):
        try:
            follow_up.since = to_moment(cells["user_since"])
        except ValidationError as e:
            problems.append(("user_since", " ".join(e.messages)))
    return follow_up, problems


def check_follow_up(
    follow_up: FollowUp, *, devicetype: str, default_user: str | None, known_users
) -> list[tuple[str, str]]:
    """What the dry run can say of it: the users it names exist (in the system or the file), and
    a fixed device is on its default user (`default_user`: the one it will have), FreePBX's rule."""
    problems = []
    for target, number in (
        ("default_user", follow_up.fields.get("default_user", UNSET)),
        ("user", follow_up.user),
    ):
        if number not in (UNSET, None) and number not in known_users:
            problems.append(
                (follow_up.columns[target], f"There is no user {number}, in the system or in this file.")
            )
    if devicetype == DeviceType.FIXED and follow_up.user is not UNSET and follow_up.user != default_user:
        problems.append(
            (
                follow_up.columns["user"],
                f"A fixed device is always on its default user ({default_user or 'none'}): "
                "make it adhoc, or name that user.",
            )
        )
    return problems


def shown_changes(device: Device, follow_up: FollowUp) -> dict[str, tuple[object, object]]:
    """The follow-up's changes to an existing device, for the dry run's list (before, after)."""
    changes = {}
    for name, value in follow_up.fields.items():
        current = device.default_user_id if name == "default_user" else getattr(device, name)
        if current != value:
            changes[name] = (current, value)
    if follow_up.user is not UNSET and device.user_id != follow_up.user:
        changes["user"] = (device.user_id, follow_up.user)
    if follow_up.since is not None and device.user_since != follow_up.since:
        changes["user_since"] = (
            device.user_since.isoformat() if device.user_since else None,
            follow_up.since.isoformat(),
        )
    return changes


def _user(number):
    return None if number is None else PbxUser.objects.get(pk=number)


def apply_follow_up(follow_up: FollowUp) -> None:
    """The device's fields and default user (device_update), then who is on it (device_restore_user)."""
    device = Device.objects.select_related("endpoint").get(pk=follow_up.device_id)
    fields = {k: (_user(v) if k == "default_user" else v) for k, v in follow_up.fields.items()}
    now = {k: getattr(device, k) for k in fields}
    if any(now[k] != v for k, v in fields.items()):
        device = device_update(device=device, **fields)
    if follow_up.user is not UNSET and device.user_id != follow_up.user:
        device_restore_user(device=device, user=_user(follow_up.user), since=follow_up.since)


def apply_all(follow_ups: list[FollowUp]) -> None:
    """Every follow-up in file order, then the order of each user's devices. A refusal
    (ValidationError) carries `device_id`, so the import can name the row."""
    for follow_up in follow_ups:
        if follow_up.needs_apply:
            with _naming(follow_up.device_id):
                apply_follow_up(follow_up)
    restore_arrival_order(follow_ups)


@contextlib.contextmanager
def _naming(device_id: str):
    try:
        yield
    except ValidationError as e:
        e.device_id = device_id
        raise


def restore_arrival_order(follow_ups: list[FollowUp]) -> None:
    """Each user on several devices gets them back in the order their `user_since` gives."""
    given = {f.device_id: f.since for f in follow_ups if f.since is not None}
    if not given:
        return
    # Users on several devices, whatever the file's size: one aggregate, no list of ids.
    several = [
        row["user_id"]
        for row in Device.objects.filter(user__isnull=False)
        .values("user_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by()
    ]
    by_user: dict[str, list[Device]] = defaultdict(list)
    for start in range(0, len(several), 500):
        chunk = several[start : start + 500]
        for device in Device.objects.filter(user_id__in=chunk).order_by("user_id", *ARRIVAL_ORDER):
            by_user[device.user_id].append(device)
    for devices in by_user.values():
        wanted = sorted(devices, key=lambda d: _arrival(given.get(d.id, d.user_since), d.id))
        if [d.id for d in wanted] == [d.id for d in devices]:
            continue
        for device in devices:
            since = given.get(device.id)
            if since is not None and since != device.user_since:
                with _naming(device.id):
                    device_restore_user(device=device, user=device.user, since=since)


def _arrival(since: datetime | None, device_id: str) -> tuple:
    # As ARRIVAL_ORDER sorts: no moment first, then by moment, then by id.
    return (since is not None, since or datetime.min, device_id)
