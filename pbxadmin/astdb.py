"""The AstDB contents the database implies, for all or some users and devices.

Keys are full paths without the leading slash, `FAMILY/rest/of/key`, as
`database show` prints them. Only the families pbxadmin owns are computed.
"""

from collections import defaultdict
from collections.abc import Iterable

from devices.astdb import device_keys
from devices.models import ARRIVAL_ORDER, Device
from users.astdb import user_keys
from users.models import PbxUser

FAMILIES = ("AMPUSER", "DEVICE", "CW")

_DEVICE_COLUMNS = ("id", "tech", "dial", "devicetype", "user_id", "default_user_id", "emergency_cid")


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def devices_of_users(extensions: list[str] | None) -> dict[str, list[str]]:
    """Each user's current devices, in the order they arrived."""
    queryset = Device.objects.filter(user__isnull=False).order_by(*ARRIVAL_ORDER)
    result: dict[str, list[str]] = defaultdict(list)
    batches = [None] if extensions is None else _chunks(extensions)
    for batch in batches:
        qs = queryset if batch is None else queryset.filter(user_id__in=batch)
        for device_id, user_id in qs.values_list("id", "user_id"):
            result[user_id].append(device_id)
    return result


def desired_keys(
    *, users: Iterable[str] | None = None, devices: Iterable[str] | None = None
) -> dict[str, str]:
    """The keys for these users and devices (None: all of them; empty: none)."""
    result: dict[str, str] = {}
    user_list = None if users is None else sorted(set(users))
    if user_list is None or user_list:
        attached = devices_of_users(user_list)
        batches = [None] if user_list is None else _chunks(user_list)
        for batch in batches:
            qs = PbxUser.objects.all() if batch is None else PbxUser.objects.filter(pk__in=batch)
            for user in qs.iterator(chunk_size=2000):
                result.update(user_keys(user, attached.get(user.extension, [])))
    device_list = None if devices is None else sorted(set(devices))
    if device_list is None or device_list:
        batches = [None] if device_list is None else _chunks(device_list)
        for batch in batches:
            qs = Device.objects.all() if batch is None else Device.objects.filter(pk__in=batch)
            for row in qs.order_by().values_list(*_DEVICE_COLUMNS).iterator(chunk_size=2000):
                result.update(device_keys(**dict(zip(_DEVICE_COLUMNS, row, strict=True))))
    return result


def split_key(path: str) -> tuple[str, str]:
    """`AMPUSER/1000/cidname` -> (`AMPUSER`, `1000/cidname`), as DBPut takes them."""
    family, _, key = path.partition("/")
    return family, key


def owner_of(path: str) -> tuple[str, str]:
    """The family and object a key belongs to: `AMPUSER/1000/recording/priority` -> (`AMPUSER`, `1000`)."""
    family, _, rest = path.partition("/")
    return family, rest.partition("/")[0]
