"""Extensions files: a user with its own device, a user alone (virtual), or a device alone.

See bulk/exporting.py for the shape of the file; bulk/follow_ups.py for what a
row sets on a device after the file's last row.
"""

from django.core.exceptions import ValidationError

from bulk.columns import (
    DEVICE_COLUMNS,
    PRESENCE_COLUMNS,
    SETTING_COLUMNS,
    USER_COLUMN_NAMES,
    USER_COLUMNS,
    VIRTUAL,
    dial_of,
    row_settings,
    tech_of,
    user_fields_from,
)
from bulk.follow_ups import UNSET, FollowUp, check_follow_up, read_device_cells, shown_changes
from bulk.rows import DEFAULT_TECH, Either, RowPlan, Rows, plan_device, plan_user, problems_from
from bulk.server_column import SERVER_COLUMN, is_elsewhere
from directory import rules
from directory.devices.models import Device, DeviceType
from directory.servers.moves import move_check
from directory.servers.services import update_on
from directory.techs import normalise_tech
from directory.users.extensions import (
    build_extension,
    extension_create,
    extension_create_many,
    extension_update,
    extension_update_check,
)
from directory.users.models import PbxUser


class ExtensionRows(Rows):
    """Extensions mode: each row is a user plus a fixed device with the same number, or a user
    with no device (`tech=virtual`), or a device alone (no `extension`, its `id`: an adhoc
    device, a user's second phone). The device columns (`devicetype`, `user`, `description`,
    `current_user`, `user_since`) say what differs from an extension's own fixed device."""

    create_many = staticmethod(extension_create_many)

    required = ("extension", "name")
    used = frozenset(
        {
            "extension",
            "name",
            "sipdriver",
            "voicemail_enable",
            SERVER_COLUMN,
            *DEVICE_COLUMNS,
            *PRESENCE_COLUMNS,
        }
        | USER_COLUMN_NAMES
        | SETTING_COLUMNS
    )

    @classmethod
    def key_of(cls, cells):
        return cells.get("extension", "") or cells.get("id", "")

    def prescan(self, rows):
        self.file_users = {row.cells["extension"] for row in rows if row.cells.get("extension")}

    def preload(self, rows):
        keys = [self.key_of(cells) for cells in rows]
        rules.preload(users=keys, devices=keys)
        refs = [cells.get(c, "").strip() for cells in rows for c in ("user", "current_user")]
        return (
            PbxUser.objects.in_bulk([*keys, *(r for r in refs if r)]),
            Device.objects.select_related("endpoint").in_bulk(keys),
        )

    def _known(self, users) -> Either:
        return Either(self.file_users, users)

    def plan(self, line, cells, loaded):
        users, devices = loaded
        if not cells.get("extension"):
            return self._plan_device(line, cells, users, devices)
        ext, name = cells["extension"], cells.get("name", "")
        if cells.get("id") and cells["id"] != ext:
            return self._error(
                line,
                ext,
                "id",
                f"A row with an extension is about its device {ext}: leave id empty or write {ext}.",
            )
        user, device = users.get(ext), devices.get(ext)
        written = (cells.get("tech") or "").strip().lower()
        if written == VIRTUAL or (not written and user is not None and device is None):
            return self._plan_virtual(line, cells, user, device)
        user_fields, cell_problems, cell_notes = user_fields_from(cells)
        problems = list(cell_problems.items())
        server, server_problems = self.servers.read(cells)
        problems += server_problems
        try:
            tech = normalise_tech(tech_of(cells, device.tech if device else DEFAULT_TECH))
        except ValidationError as e:
            return RowPlan(line, ext, "error", [*problems, ("tech", " ".join(e.messages))])
        settings = row_settings(cells, tech)
        emergency = cells.get("emergency_cid", "")
        dial = dial_of(cells)
        if user is not None and not self.replace:
            return self._skip(line, ext, name)
        weak, notes, warnings = self._weak_secret(settings, exists=user is not None)
        extra = dict(name=name, notes=cell_notes + notes, warnings=warnings, weak=weak)

        if user is None and device is not None:
            return self._error(
                line,
                ext,
                "extension",
                f"Device {ext} exists without a user of that number: write its row with an empty "
                f"extension and id {ext}, delete it, or choose another number.",
            )
        if user is not None and device is None:
            return self._error(
                line,
                ext,
                "tech",
                f"Extension {ext} has no device of its own (virtual): an import does not add one. "
                "Write tech=virtual, or add the device on the Devices page.",
            )
        follow_up, cell_problems = self._own_device(cells, ext, name, device, self._known(users))
        problems += cell_problems
        if user is None:
            kwargs = dict(
                server=server,
                extension=ext,
                name=name,
                tech=tech,
                emergency_cid=emergency,
                dial=dial,
                settings=settings,
                **user_fields,
            )
            if self.validate:
                try:
                    build_extension(**kwargs)
                except ValidationError as e:
                    problems += problems_from(e, self.header, "extension")
            if problems:
                return RowPlan(line, ext, "error", problems, **extra)
            return RowPlan(
                line,
                ext,
                "create",
                apply=lambda: extension_create(**kwargs),
                create_kwargs=kwargs,
                follow_up=follow_up or None,
                **extra,
            )
        if tech != device.tech:
            return self._error(
                line,
                ext,
                "tech",
                f"Extension {ext} is {device.get_tech_display()}: an import does "
                "not change the technology (delete the extension first).",
            )
        # An update sets what the row gives and keeps everything else.
        user_fields["name"] = name
        update = dict(settings=settings, emergency_cid=emergency or None, dial=dial or None, **user_fields)
        changes = {}
        try:
            _checked, changes = extension_update_check(user=user, device=device, **update)
        except ValidationError as e:
            problems += problems_from(e, self.header, "extension")
        if problems:
            return RowPlan(line, ext, "error", problems, **extra)
        changes |= shown_changes(device, follow_up)
        moved = is_elsewhere(server, user)
        if moved and (refusals := move_check(user=user, server=server)):
            # The check shows what the confirm would refuse: the move's own rules.
            return RowPlan(line, ext, "error", [(SERVER_COLUMN, r) for r in refusals], **extra)
        if moved:
            changes[SERVER_COLUMN] = (user.server.name, server.name)
        if not changes:
            return RowPlan(line, ext, "unchanged", **extra)
        return RowPlan(
            line,
            ext,
            "update",
            apply=lambda: update_on(
                update=extension_update, user=user, server=server if moved else None, **update
            ),
            changes=changes,
            follow_up=follow_up or None,
            **extra,
        )

    def _own_device(self, cells, ext: str, name: str, device: Device | None, known) -> tuple[FollowUp, list]:
        """What the row says of the extension's own device beyond what the extension services
        leave (fixed, on its user, described by the name), and the problems with it."""
        follow_up, problems = read_device_cells(cells)
        follow_up.device_id = ext
        was = {
            "devicetype": device.devicetype if device else DeviceType.FIXED,
            "default_user": device.default_user_id if device else ext,
            "user": device.user_id if device else ext,
        }
        devicetype = cells.get("devicetype", "") or was["devicetype"]
        if devicetype not in DeviceType.values:
            problems.append(("devicetype", f"Write {' or '.join(DeviceType.values)}."))
        elif devicetype != was["devicetype"]:
            follow_up.fields["devicetype"] = devicetype
        if cells.get("description", "") not in ("", name):
            follow_up.fields["description"] = cells["description"]
        if follow_up.fields.get("default_user", UNSET) == was["default_user"]:
            del follow_up.fields["default_user"]
        if follow_up.user == was["user"] and not follow_up.fields:
            follow_up.user = UNSET  # already so
        default_user = follow_up.fields.get("default_user", was["default_user"])
        problems += check_follow_up(
            follow_up, devicetype=devicetype, default_user=default_user, known_users=known
        )
        return follow_up, problems

    def _plan_virtual(self, line, cells, user, device) -> RowPlan:
        """A user with no device of its own (FreePBX's tech=virtual)."""
        ext = cells["extension"]
        if device is not None:
            what = f"has a {device.get_tech_display()} device" if user else "is a device without a user"
            return self._error(
                line,
                ext,
                "tech",
                f"{ext} {what}: an import does not delete it. Write its technology, or delete the device first.",
            )
        device_cells = [
            c
            for c in (*DEVICE_COLUMNS, *PRESENCE_COLUMNS, *SETTING_COLUMNS)
            if c not in ("id", "tech") and c not in USER_COLUMN_NAMES and cells.get(c, "")
        ]
        if device_cells:
            return self._error(
                line,
                ext,
                device_cells[0],
                f"A virtual extension has no device: leave {', '.join(device_cells)} empty.",
            )
        return plan_user(self, line, cells, user)

    def _plan_device(self, line, cells, users, devices) -> RowPlan:
        """A device alone: no extension, its `id` (an adhoc device, or a user's other phone)."""
        key = cells.get("id", "")
        if key in users:
            return self._error(
                line,
                key,
                "id",
                f"{key} is user {key}'s number: put its device on that user's row (extension {key}).",
            )
        filled = [c.name for c in USER_COLUMNS if cells.get(c.name, "")] + (
            ["name"] if cells.get("name") else []
        )
        if filled:
            return self._error(
                line,
                key,
                filled[0],
                f"A row without an extension is a device alone (id {key}): leave {', '.join(filled)} empty.",
            )
        return plan_device(
            self, line, cells, devices.get(key), users, known_users=Either(self.file_users, users)
        )
