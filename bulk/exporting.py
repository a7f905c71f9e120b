"""Export extensions (or users, or devices) as Bulk Handler CSV that imports back without loss."""

from collections.abc import Iterator

from bulk.csvfile import write_table
from devices.models import Device
from endpoints.techs import TECHS
from users.models import PbxUser
from users.selectors import extension_list

# In FreePBX's order: users columns, device columns, the rest, then the technology keys alphabetically.
USER_EXPORT = [
    ("password", "password"),
    ("name", "name"),
    ("voicemail", "voicemail"),
    ("ringtimer", "ringtimer"),
    ("outboundcid", "outboundcid"),
    ("recording_in_external", "recording_in_external"),
    ("recording_out_external", "recording_out_external"),
    ("recording_in_internal", "recording_in_internal"),
    ("recording_out_internal", "recording_out_internal"),
    ("recording_ondemand", "recording_ondemand"),
    ("recording_priority", "recording_priority"),
    ("answermode", "answermode"),
    ("intercom", "intercom"),
    ("cwtone", "cwtone"),
    ("cid_masquerade", "cid_num_alias"),
    ("concurrency_limit", "concurrency_limit"),
    ("cfringtimer", "cfringtimer"),
    ("callwaiting_enable", "callwaiting"),
    ("accountcode", "accountcode"),
    ("languages_language", "language"),
    # --- Voicemail module columns (issue 11), in FreePBX's order; voicemail_enable is derived. ---
    ("voicemail_enable", "voicemail"),
    ("voicemail_vmpwd", "vm_pin"),
    ("voicemail_email", "vm_email"),
    ("voicemail_pager", "vm_pager"),
    ("voicemail_options", "vm_options"),
]
# The mailbox PIN is a secret: exported only with the secrets.
SECRET_USER_COLUMNS = {"voicemail_vmpwd"}
SETTING_KEYS = sorted({s.key for m in TECHS.values() for s in m.SETTINGS} - {"accountcode"})


def _user_columns(with_secrets: bool) -> list[str]:
    return [c for c, _ in USER_EXPORT if with_secrets or c not in SECRET_USER_COLUMNS]


def extension_columns(*, with_secrets: bool) -> list[str]:
    columns = ["extension", *_user_columns(with_secrets), "tech", "dial", "emergency_cid"]
    return columns + [k for k in SETTING_KEYS if with_secrets or k != "secret"]


def _user_cells(user: PbxUser) -> dict[str, str]:
    cells = {}
    for column, field_name in USER_EXPORT:
        value = getattr(user, field_name)
        if field_name == "callwaiting":
            cells[column] = "enabled" if value else "disabled"
        elif column == "voicemail_enable":
            cells[column] = "yes" if user.has_voicemail else "no"
        else:
            cells[column] = str(value)
    return cells


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
        cells = {"extension": user.extension, **_user_cells(user)}
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


def export_users(*, with_secrets: bool) -> Iterator[str]:
    columns = ["extension", *_user_columns(with_secrets)]
    rows = (
        {"extension": u.extension, **_user_cells(u)} for u in PbxUser.objects.order_by("extension").iterator()
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
