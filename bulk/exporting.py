"""Export extensions (or users, or devices) as Bulk Handler CSV that imports back without loss."""

from collections.abc import Iterator

from audit.fields import looks_secret
from bulk.columns import USER_COLUMNS, user_cells
from bulk.csvfile import write_table
from devices.models import Device
from endpoints.techs import TECHS
from users.models import PbxUser
from users.selectors import extension_list

# The hot-desk PIN (and any other PIN) among the user columns.
PIN_COLUMNS = frozenset(c.name for c in USER_COLUMNS if looks_secret(c.name))


def _user_columns(with_pins: bool) -> list[str]:
    return [c.name for c in USER_COLUMNS if with_pins or c.name not in PIN_COLUMNS]


SETTING_KEYS = sorted({s.key for m in TECHS.values() for s in m.SETTINGS} - {"accountcode"})


def extension_columns(*, with_secrets: bool, with_pins: bool = True) -> list[str]:
    columns = ["extension", *_user_columns(with_pins), "tech", "dial", "emergency_cid"]
    return columns + [k for k in SETTING_KEYS if with_secrets or k != "secret"]


def export_extensions(
    *, search: str = "", with_secrets: bool = True, with_pins: bool = True
) -> Iterator[str]:
    """`with_pins=False` leaves out the users' PINs (the API's export without include_secrets)."""
    columns = extension_columns(with_secrets=with_secrets, with_pins=with_pins)

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
        cells = {"extension": user.extension, **user_cells(user)}
        device = devices.get(user.pk)
        if device is not None:
            cells.update(
                tech=device.tech,
                dial=device.dial if device.tech == "custom" else "",
                emergency_cid=device.emergency_cid,
            )
            for key, value in device.endpoint.settings.items():
                if key == "accountcode" or (key == "secret" and not with_secrets):
                    continue
                cells[key] = value
        yield cells


def export_users(*, with_pins: bool = True) -> Iterator[str]:
    columns = ["extension", *_user_columns(with_pins)]
    rows = (
        {"extension": u.extension, **user_cells(u)} for u in PbxUser.objects.order_by("extension").iterator()
    )
    return write_table(columns, rows)


def export_devices(*, with_secrets: bool = True) -> Iterator[str]:
    columns = ["id", "tech", "dial", "devicetype", "user", "description", "emergency_cid"]
    columns += [
        k
        for k in sorted({s.key for m in TECHS.values() for s in m.SETTINGS})
        if with_secrets or k != "secret"
    ]

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
            cells.update({k: v for k, v in device.endpoint.settings.items() if with_secrets or k != "secret"})
            yield cells

    return write_table(columns, rows())
