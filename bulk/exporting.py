"""Export extensions (or users, or devices) as Bulk Handler CSV that imports back without loss."""

from collections.abc import Iterator

from audit import trail
from audit.models import Action, ObjectType
from bulk.columns import USER_COLUMNS, user_cells
from bulk.csvfile import write_table
from devices.models import Device
from endpoints.secrets import SECRET_COLUMNS
from endpoints.techs import TECHS
from users.models import PbxUser
from users.selectors import extension_list

SETTING_KEYS = sorted({s.key for m in TECHS.values() for s in m.SETTINGS} - {"accountcode"})


def _keep(columns, with_secrets: bool) -> list[str]:
    """Without secrets, the secret columns (device secret, hot-desk PIN) are left out, not blanked:
    importing the file back keeps the secrets the system has."""
    return [c for c in columns if with_secrets or c not in SECRET_COLUMNS]


def extension_columns(*, with_secrets: bool) -> list[str]:
    columns = ["extension", *(c.name for c in USER_COLUMNS), "tech", "dial", "emergency_cid"]
    return _keep(columns + SETTING_KEYS, with_secrets)


def export_extensions(*, search: str = "", with_secrets: bool = True) -> Iterator[str]:
    columns = extension_columns(with_secrets=with_secrets)

    def rows():
        batch: list[PbxUser] = []
        for user in extension_list(search=search).iterator(chunk_size=1000):
            batch.append(user)
            if len(batch) == 1000:
                yield from _extension_batch(batch, with_secrets)
                batch = []
        yield from _extension_batch(batch, with_secrets)

    return write_table(columns, rows())


def _extension_batch(users: list[PbxUser], with_secrets: bool) -> Iterator[dict[str, str]]:
    devices = Device.objects.select_related("endpoint").in_bulk([u.pk for u in users])
    for user in users:
        cells = {"extension": user.extension, **user_cells(user, with_secrets=with_secrets)}
        device = devices.get(user.pk)
        if device is not None:
            cells.update(
                tech=device.tech,
                dial=device.dial if device.tech == "custom" else "",
                emergency_cid=device.emergency_cid,
            )
            for key, value in device.endpoint.settings.items():
                if key == "accountcode" or (key in SECRET_COLUMNS and not with_secrets):
                    continue
                cells[key] = value
        yield cells


def export_users(*, with_secrets: bool = True) -> Iterator[str]:
    columns = _keep(["extension", *(c.name for c in USER_COLUMNS)], with_secrets)
    rows = (
        {"extension": u.extension, **user_cells(u, with_secrets=with_secrets)}
        for u in PbxUser.objects.order_by("extension").iterator()
    )
    return write_table(columns, rows)


def export_devices(*, with_secrets: bool = True) -> Iterator[str]:
    columns = ["id", "tech", "dial", "devicetype", "user", "description", "emergency_cid"]
    columns += _keep(sorted({s.key for m in TECHS.values() for s in m.SETTINGS}), with_secrets)

    def rows():
        for device in Device.objects.select_related("endpoint").order_by("id").iterator(chunk_size=1000):
            cells = {
                "id": device.id,
                "tech": device.tech,
                "dial": device.dial if device.tech == "custom" else "",
                "devicetype": device.devicetype,
                "user": device.default_user_id or "",
                "description": device.description,
                "emergency_cid": device.emergency_cid,
            }
            cells.update(
                {k: v for k, v in device.endpoint.settings.items() if with_secrets or k not in SECRET_COLUMNS}
            )
            yield cells

    return write_table(columns, rows())


EXPORT_KINDS = ("extensions", "users", "devices")


def export_file(*, kind: str, with_secrets: bool, search: str = "") -> Iterator[str]:
    """An export as the page, the API and the command make it. Taking the secrets out of
    the portal is on the record: who did, and when."""
    if with_secrets:
        trail.record(action=Action.EXPORTED, kind=ObjectType.EXPORT, ref=kind, label=f"{kind} with secrets")
    if kind == "users":
        return export_users(with_secrets=with_secrets)
    if kind == "devices":
        return export_devices(with_secrets=with_secrets)
    return export_extensions(search=search, with_secrets=with_secrets)
