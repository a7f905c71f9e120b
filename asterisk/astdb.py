"""The AstDB layout: the keys FreePBX 17 writes (README "Keeping Asterisk in step"), and what the database implies.

Keys are full paths without the leading slash, `FAMILY/rest/of/key`, as
`database show` prints them. pbxadmin owns only the keys listed in `OWNED`:
a FreePBX system holds others under the same users (`novmpw`, `vmx/*`,
`followme/*`, other modules' keys), and a full sync leaves those alone.
"""

from collections import defaultdict
from collections.abc import Iterable

from asterisk.call_features import astdb as call_features
from directory.devices.models import ARRIVAL_ORDER, Device
from directory.servers.current import current_id
from directory.users.models import PbxUser

# The families of one key per user (`CW/1000`): call waiting, and the call features'.
ONE_KEY_FAMILIES = ("CW", *call_features.FAMILIES)
FAMILIES = ("AMPUSER", "DEVICE", *ONE_KEY_FAMILIES)

# The keys pbxadmin writes and may delete, per family, relative to their user or
# device (`AMPUSER/<ext>/<key>`; `CW/<ext>` itself is ""). A name ending in `/*`
# owns a whole subtree (e.g. "followme/*" once follow-me is pbxadmin's). Every key
# `desired_keys` computes must be listed here (a test checks it); anything else
# under a user or device is someone else's and survives a full sync unless the
# administrator asks for `--prune-unknown`. The README's list is this one.
OWNED: dict[str, tuple[str, ...]] = {
    "AMPUSER": (
        "accountcode",
        "answermode",
        "cfringtimer",
        "cidname",
        "cidnum",
        "concurrency_limit",
        "cwtone",
        "device",
        "hint",
        "intercom",
        "language",
        "noanswer",
        "outboundcid",
        "password",
        "recording",
        "recording/in/external",
        "recording/in/internal",
        "recording/ondemand",
        "recording/out/external",
        "recording/out/internal",
        "recording/priority",
        "ringtimer",
        "rvolume",
        "voicemail",
        *(call_features.FOLLOWME + key for key in call_features.FOLLOWME_KEYS),
    ),
    "DEVICE": ("default_user", "dial", "emergency_cid", "tech", "type", "user"),
    **{family: ("",) for family in ONE_KEY_FAMILIES},
}


def object_key(path: str) -> str:
    """The key below its user or device: `AMPUSER/1000/recording/priority` -> `recording/priority`."""
    return path.partition("/")[2].partition("/")[2]


def is_owned(path: str) -> bool:
    """Whether pbxadmin writes (and so may delete) this key; see OWNED."""
    family = path.partition("/")[0]
    names = OWNED.get(family)
    if names is None:
        return False
    key = object_key(path)
    return any(key == name or (name.endswith("/*") and key.startswith(name[:-1])) for name in names)


_DEVICE_COLUMNS = ("id", "tech", "dial", "devicetype", "user_id", "default_user_id", "emergency_cid")


def user_keys(user: PbxUser, devices: list[tuple[str, str]]) -> dict[str, str]:
    """`AMPUSER/<ext>/…` and `CW/<ext>` as the dialplan reads them.

    `devices`: (id, dial string) of the devices the user is on now, in the order they arrived.
    """
    ext = user.extension
    prefix = f"AMPUSER/{ext}/"
    keys = {
        "answermode": user.answermode,
        "accountcode": user.accountcode,
        "cfringtimer": str(user.cfringtimer),
        "cidname": user.name,
        "cidnum": user.cid_num_alias or ext,
        "concurrency_limit": str(user.concurrency_limit),
        "cwtone": user.cwtone,
        "intercom": user.intercom,
        "language": user.language,
        "noanswer": "",
        "outboundcid": user.outboundcid,
        "password": user.password,
        "recording": "",
        "recording/in/external": user.recording_in_external,
        "recording/in/internal": user.recording_in_internal,
        "recording/ondemand": user.recording_ondemand,
        "recording/out/external": user.recording_out_external,
        "recording/out/internal": user.recording_out_internal,
        "recording/priority": str(user.recording_priority),
        "ringtimer": str(user.ringtimer),
        "rvolume": "",
        "voicemail": user.voicemail,
    }
    result = {prefix + key: value for key, value in keys.items()}
    if devices:
        # FreePBX deletes the key when the list becomes empty.
        result[prefix + "device"] = "&".join(device_id for device_id, _dial in devices)
        # What FreePBX's reload stores for its intercom hints (`_nointercomX.,hint`):
        # the devices' dial strings, then the user's presence. Kept current here,
        # where FreePBX's goes stale until its next reload after a hot-desk login.
        result[prefix + "hint"] = "&".join(dial for _id, dial in devices) + f",CustomPresence:{ext}"
    if user.callwaiting:
        result[f"CW/{ext}"] = "ENABLED"
    result.update(call_features.user_keys(user))
    return result


def device_keys(
    *,
    id: str,
    tech: str,
    dial: str,
    devicetype: str,
    user_id: str | None,
    default_user_id: str | None,
    emergency_cid: str,
) -> dict[str, str]:
    prefix = f"DEVICE/{id}/"
    keys = {
        prefix + "default_user": default_user_id or "none",
        prefix + "dial": dial,
        prefix + "tech": tech,
        prefix + "type": devicetype,
        prefix + "user": user_id or "none",
    }
    if emergency_cid:
        # Deleted, not left empty, when blank.
        keys[prefix + "emergency_cid"] = emergency_cid
    return keys


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def devices_of_users(extensions: list[str] | None) -> dict[str, list[tuple[str, str]]]:
    """Each user's current devices, (id, dial string), in the order they arrived."""
    queryset = Device.objects.filter(user__isnull=False, server_id=current_id()).order_by(*ARRIVAL_ORDER)
    result: dict[str, list[tuple[str, str]]] = defaultdict(list)
    batches = [None] if extensions is None else _chunks(extensions)
    for batch in batches:
        qs = queryset if batch is None else queryset.filter(user_id__in=batch)
        for device_id, user_id, dial in qs.values_list("id", "user_id", "dial"):
            result[user_id].append((device_id, dial))
    return result


def desired_by_owner(
    *, users: Iterable[str] | None = None, devices: Iterable[str] | None = None
) -> dict[str, dict[str, str]]:
    """The keys the server in use (`current()`) must hold for these users and devices (None: all
    of them; empty: none), by owner (`AMPUSER/1000`, `CW/1000`, `DEVICE/2001`; see `owner_of`).
    A server holds the keys of its own users and devices only: one on another server, or gone,
    has none here (so its keys are deleted from this server)."""
    result: dict[str, dict[str, str]] = {}
    server = current_id()
    local_users = PbxUser.objects.filter(server_id=server)
    local_devices = Device.objects.filter(server_id=server)
    user_list = None if users is None else sorted(set(users))
    if user_list is None or user_list:
        attached = devices_of_users(user_list)
        batches = [None] if user_list is None else _chunks(user_list)
        for batch in batches:
            qs = local_users if batch is None else local_users.filter(pk__in=batch)
            for user in qs.iterator(chunk_size=2000):
                keys = user_keys(user, attached.get(user.extension, []))
                for family in ONE_KEY_FAMILIES:
                    one = f"{family}/{user.extension}"
                    if one in keys:
                        result[one] = {one: keys.pop(one)}
                result[f"AMPUSER/{user.extension}"] = keys
    device_list = None if devices is None else sorted(set(devices))
    if device_list is None or device_list:
        batches = [None] if device_list is None else _chunks(device_list)
        for batch in batches:
            qs = local_devices if batch is None else local_devices.filter(pk__in=batch)
            for row in qs.order_by().values_list(*_DEVICE_COLUMNS).iterator(chunk_size=2000):
                result[f"DEVICE/{row[0]}"] = device_keys(**dict(zip(_DEVICE_COLUMNS, row, strict=True)))
    return result


def desired_keys(
    *, users: Iterable[str] | None = None, devices: Iterable[str] | None = None
) -> dict[str, str]:
    """The keys for these users and devices (None: all of them; empty: none)."""
    result: dict[str, str] = {}
    for keys in desired_by_owner(users=users, devices=devices).values():
        result.update(keys)
    return result


def user_owners(extension: str) -> list[str]:
    """The owners a user's keys are filed under (`AMPUSER/1000`, `CW/1000`, `DND/1000`…)."""
    return [f"{family}/{extension}" for family in ("AMPUSER", *ONE_KEY_FAMILIES)]


def split_key(path: str) -> tuple[str, str]:
    """`AMPUSER/1000/cidname` -> (`AMPUSER`, `1000/cidname`), as DBPut takes them."""
    family, _, key = path.partition("/")
    return family, key


def owner_of(path: str) -> str:
    """The object a key belongs to, as `family/object`: `AMPUSER/1000/recording/priority` -> `AMPUSER/1000`."""
    family, _, rest = path.partition("/")
    return f"{family}/{rest.partition('/')[0]}"


def by_owner(keys: dict[str, str]) -> dict[str, dict[str, str]]:
    """Flat keys grouped by `owner_of`."""
    result: dict[str, dict[str, str]] = defaultdict(dict)
    for key, value in keys.items():
        result[owner_of(key)][key] = value
    return dict(result)
