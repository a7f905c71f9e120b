"""Export extensions (or users, or devices) as Bulk Handler CSV that imports back without loss.

An extensions file holds every user, then every device that is not a user's
own (same-number) device, so nothing made in deviceanduser mode is left out:

- a user with a device of the same number: one row, the device's columns
  (`id` = the number, `tech`, `devicetype`, `user` = its default user,
  `description`, `current_user`, `user_since`, the settings) beside the user's;
- a user with no such device: `tech=virtual` (FreePBX's Bulk Handler word) and
  empty device columns;
- any other device (adhoc, a user's second phone): a row with an empty
  `extension` and its `id`, the device columns only.

`current_user` and `user_since` say who is on each device and since when, so each
user's devices (AMPUSER/<ext>/device) come back in the order they arrived. The
devices file carries the same two columns.
"""

from collections.abc import Iterator

from django.db.models import Q

from audit import trail
from audit.models import Action, ObjectType
from bulk.columns import DEVICE_COLUMNS, PRESENCE_COLUMNS, USER_COLUMNS, VIRTUAL, presence_cells, user_cells
from bulk.connectivity_export import export_dids, export_routes, export_trunks
from bulk.csvfile import write_table
from bulk.server_column import SERVER_COLUMN, server_cell, with_server_column
from directory.devices.models import Device
from directory.devices.selectors import BY_ID
from directory.secrets import SECRET_COLUMNS
from directory.techs import TECHS
from directory.users.models import PbxUser
from directory.users.selectors import extension_list

SETTING_KEYS = sorted({s.key for m in TECHS.values() for s in m.SETTINGS} - {"accountcode"})


def _keep(columns, with_secrets: bool) -> list[str]:
    """Without secrets, the secret columns (device secret, hot-desk PIN) are left out, not blanked:
    importing the file back keeps the secrets the system has."""
    return [c for c in columns if with_secrets or c not in SECRET_COLUMNS]


def extension_columns(*, with_secrets: bool) -> list[str]:
    columns = ["extension", *(c.name for c in USER_COLUMNS), *DEVICE_COLUMNS, *PRESENCE_COLUMNS]
    return with_server_column(_keep(columns + SETTING_KEYS, with_secrets))


def export_extensions(*, search: str = "", with_secrets: bool = True) -> Iterator[str]:
    columns = extension_columns(with_secrets=with_secrets)
    servers = SERVER_COLUMN in columns

    def rows():
        batch: list[PbxUser] = []
        for user in extension_list(search=search).select_related("server").iterator(chunk_size=1000):
            batch.append(user)
            if len(batch) == 1000:
                yield from _extension_batch(batch, with_secrets)
                batch = []
        yield from _extension_batch(batch, with_secrets)
        for device in _other_devices(search).iterator(chunk_size=1000):
            yield _device_cells(device, with_secrets, default_user_none="none", servers=servers)

    return write_table(columns, rows())


def _other_devices(search: str):
    """Devices that are no user's own (no user has their number), as the search finds them."""
    devices = (
        Device.objects.select_related("endpoint", "server")
        .exclude(pk__in=PbxUser.objects.values("pk"))
        .order_by(*BY_ID)
    )
    search = search.strip()
    if search.isascii() and search.isdigit():
        return devices.filter(Q(id__startswith=search) | Q(description__icontains=search))
    return devices.filter(description__icontains=search) if search else devices


def _device_cells(
    device: Device, with_secrets: bool, *, default_user_none: str = "", servers: bool = False
) -> dict[str, str]:
    cells = {
        "id": device.id,
        "tech": device.tech,
        "dial": device.dial if device.tech == "custom" else "",
        "devicetype": device.devicetype,
        "user": device.default_user_id or default_user_none,
        "description": device.description,
        "emergency_cid": device.emergency_cid,
        **presence_cells(device),
    }
    for key, value in device.endpoint.settings.items():
        if with_secrets or key not in SECRET_COLUMNS:
            cells[key] = value
    if servers:
        cells |= server_cell(device)
    return cells


def _extension_batch(users: list[PbxUser], with_secrets: bool) -> Iterator[dict[str, str]]:
    devices = Device.objects.select_related("endpoint").in_bulk([u.pk for u in users])
    for user in users:
        cells = {"extension": user.extension, **user_cells(user, with_secrets=with_secrets)}
        cells |= server_cell(user)  # written only when the file has the column
        device = devices.get(user.pk)
        if device is None:
            cells["tech"] = VIRTUAL
        else:
            # The account code is the user's column; the device's follows it (extension_create).
            device_cells = _device_cells(device, with_secrets, default_user_none="none")
            device_cells.pop("accountcode", None)
            cells.update(device_cells)
        yield cells


def export_users(*, with_secrets: bool = True) -> Iterator[str]:
    columns = with_server_column(_keep(["extension", *(c.name for c in USER_COLUMNS)], with_secrets))
    rows = (
        {"extension": u.extension, **user_cells(u, with_secrets=with_secrets), **server_cell(u)}
        for u in PbxUser.objects.select_related("server").order_by("extension").iterator()
    )
    return write_table(columns, rows)


def export_devices(*, with_secrets: bool = True) -> Iterator[str]:
    columns = [*DEVICE_COLUMNS, *PRESENCE_COLUMNS]
    columns += _keep(sorted({s.key for m in TECHS.values() for s in m.SETTINGS}), with_secrets)
    columns = with_server_column(columns)
    servers = SERVER_COLUMN in columns

    def rows():
        devices = Device.objects.select_related("endpoint", "server").order_by(*BY_ID)
        for device in devices.iterator(chunk_size=1000):
            yield _device_cells(device, with_secrets, servers=servers)

    return write_table(columns, rows())


EXPORT_KINDS = ("extensions", "users", "devices", "trunks", "routes", "dids")


def export_file(*, kind: str, with_secrets: bool, search: str = "") -> Iterator[str]:
    """An export as the page, the API and the command make it. Taking the secrets out of
    the portal is on the record: who did, and when."""
    if with_secrets:
        trail.record(action=Action.EXPORTED, kind=ObjectType.EXPORT, ref=kind, label=f"{kind} with secrets")
    if kind == "trunks":
        return export_trunks(with_secrets=with_secrets)
    if kind == "routes":
        return export_routes(with_secrets=with_secrets)
    if kind == "dids":
        return export_dids()
    if kind == "users":
        return export_users(with_secrets=with_secrets)
    if kind == "devices":
        return export_devices(with_secrets=with_secrets)
    return export_extensions(search=search, with_secrets=with_secrets)
