"""What one row of each kind of file does: create, update, leave unchanged, skip, or refuse.

Planning a row only reads; the plan carries the service call that the import
makes, so the dry run and the import judge a row the same way.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from bulk.columns import (
    DEVICE_COLUMNS,
    PRESENCE_COLUMNS,
    SETTING_COLUMNS,
    USER_COLUMN_NAMES,
    column_for,
    dial_of,
    row_settings,
    tech_of,
    user_fields_from,
)
from bulk.follow_ups import FollowUp, check_follow_up, read_device_cells, shown_changes
from bulk.server_column import SERVER_COLUMN, ServerCells, is_elsewhere
from directory import rules
from directory.devices.models import Device, DeviceType, Tech
from directory.devices.services import build_device, device_create, device_update, device_update_check
from directory.secrets import REGENERATE
from directory.servers.moves import move_check
from directory.servers.services import update_on
from directory.techs import normalise_tech
from directory.users.models import PbxUser
from directory.users.services import build_user, user_create, user_update, user_update_check
from directory.validators import is_weak_secret

DEFAULT_TECH = Tech.PJSIP


# What the administrator chose for secrets short of the strong rule: nothing yet (the check
# warns, the import refuses), keep them as they are, or regenerate them.
WEAK_UNDECIDED, WEAK_KEEP, WEAK_REGENERATE = "", "keep", "regenerate"


@dataclass
class RowPlan:
    line: int
    key: str
    action: str  # create, update, unchanged, skip, error
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column, message): errors
    name: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)  # (column, message): not errors
    warnings: list[tuple[str, str]] = field(default_factory=list)  # need a choice before importing
    weak: bool = False  # the row carries a secret short of the strong rule
    apply: Callable[[], object] | None = None
    # For updates: each field that changes, (before, after), as the service's check reports it.
    changes: dict[str, tuple[object, object]] | None = None
    # For creates that the handler's create_many makes in bulk: the service's arguments.
    create_kwargs: dict | None = None
    # What the row sets on a device after the file's last row (bulk.follow_ups).
    follow_up: FollowUp | None = None


def problems_from(error: ValidationError, header: list[str], fallback: str) -> list[tuple[str, str]]:
    if not hasattr(error, "error_dict"):
        return [(fallback, m) for m in error.messages]
    return [
        (fallback if name == "__all__" else column_for(name, header), message + _HINTS.get(name, ""))
        for name, errors in error.error_dict.items()
        for e in errors
        for message in e.messages
    ]


_HINTS = {"secret": " Write REGEN in the secret column to have a strong one generated."}


def secret_changes(plan: RowPlan) -> bool:
    """An update that gives an existing phone a new secret: it must be re-provisioned."""
    return plan.action == "update" and any(k == "settings.secret" for k in plan.changes or {})


class Rows:
    key_column = "extension"
    required: tuple[str, ...] = ()
    used: frozenset[str] = frozenset()
    # A service creating many rows at once (returns problems by index), or None: one service call a row.
    create_many: Callable[[list[dict]], dict] | None = None

    def __init__(self, header: list[str], replace: bool, *, validate: bool = True, weak: str = ""):
        self.header = header
        self.replace = replace
        self.weak = weak
        # The users this file names (created or kept), for rows that refer to a later row's user.
        self.file_users: set[str] = set()
        # The `server` column's cells (bulk/server_column.py).
        self.servers = ServerCells()
        # The import calls the services, which check each row themselves; only
        # the dry run needs the planner to check a new row's values. Both run inside
        # `directory.rules.batch()`: each row is judged with the file's earlier rows.
        self.validate = validate

    @classmethod
    def stamps(cls, keys: list[str]) -> dict[str, str]:
        """What each key's rows were as the check saw them (bulk/stamps.py): the user's and
        the device's `updated_at`, None for one that does not exist."""
        users = dict(PbxUser.objects.filter(pk__in=keys).values_list("pk", "updated_at"))
        devices = dict(Device.objects.filter(pk__in=keys).values_list("pk", "updated_at"))
        return {key: f"{users.get(key)}|{devices.get(key)}" for key in keys}

    @classmethod
    def key_of(cls, cells: dict[str, str]) -> str:
        """The number a row is about (unique in a file)."""
        return cells.get(cls.key_column, "")

    def prescan(self, rows) -> None:
        """A first look at every row before any is planned (the users the file names)."""

    def preload(self, rows: list[dict[str, str]]):
        """What the plans of a chunk of rows need from the database, read in a few queries."""
        raise NotImplementedError

    def plan(self, line: int, cells: dict[str, str], loaded) -> RowPlan:
        raise NotImplementedError

    def _error(self, line, key, column, message) -> RowPlan:
        return RowPlan(line, key, "error", [(column, message)])

    def _weak_secret(self, settings: dict, *, exists: bool) -> tuple[bool, list, list]:
        """Whether the row's secret is weak, and the notes and warnings that go with the choice.

        Regenerate: a new extension gets a strong secret, an existing one keeps its own
        (an update never replaces a secret the administrator did not see change).
        """
        secret = settings.get("secret", "")
        if not secret or secret.upper() == REGENERATE or not is_weak_secret(secret):
            return False, [], []
        if self.weak == WEAK_KEEP:
            return True, [("secret", "weak secret kept as it is; the extension is marked")], []
        if self.weak == WEAK_REGENERATE:
            if exists:
                del settings["secret"]
                return True, [("secret", "weak secret not imported: the current secret stays")], []
            settings["secret"] = ""  # the services generate a strong one
            return True, [("secret", "weak secret replaced by a generated strong one")], []
        return (
            True,
            [],
            [("secret", "too weak for the strong rule: choose to keep or regenerate it when you confirm")],
        )

    def _skip(self, line, key, name) -> RowPlan:
        return RowPlan(
            line, key, "skip", name=name, notes=[(self.key_column, "exists; kept as it is (skip existing)")]
        )


class Either:
    """`number in known`: a user of the system (loaded for this chunk) or of the file."""

    def __init__(self, *groups):
        self.groups = groups

    def __contains__(self, number) -> bool:
        return any(number in group for group in self.groups)


def plan_user(handler: Rows, line: int, cells: dict[str, str], user: PbxUser | None) -> RowPlan:
    """A user alone: a users file's row, or an extensions file's virtual extension."""
    ext, name = cells.get("extension", ""), cells.get("name", "")
    user_fields, cell_problems, notes = user_fields_from(cells)
    problems = list(cell_problems.items())
    server, server_problems = handler.servers.read(cells)
    problems += server_problems
    extra = dict(name=name, notes=notes)
    if user is None:
        try:
            if handler.validate:
                build_user(extension=ext, name=name, server=server, **user_fields)
        except ValidationError as e:
            problems += problems_from(e, handler.header, "extension")
        if problems:
            return RowPlan(line, ext, "error", problems, **extra)
        return RowPlan(
            line,
            ext,
            "create",
            apply=lambda: user_create(extension=ext, name=name, server=server, **user_fields),
            **extra,
        )
    if not handler.replace:
        return handler._skip(line, ext, name)
    user_fields["name"] = name
    changes = {}
    try:
        _checked, changes = user_update_check(user=user, **user_fields)
    except ValidationError as e:
        problems += problems_from(e, handler.header, "extension")
    if problems:
        return RowPlan(line, ext, "error", problems, **extra)
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
            update=user_update, user=user, server=server if moved else None, **user_fields
        ),
        changes=changes,
        **extra,
    )


class UserRows(Rows):
    """deviceanduser mode, users file: one user per row."""

    required = ("extension", "name")
    used = frozenset({"extension", "name", "voicemail_enable", SERVER_COLUMN} | USER_COLUMN_NAMES)

    def preload(self, rows):
        numbers = [cells.get("extension", "") for cells in rows]
        rules.preload(users=numbers)
        return PbxUser.objects.in_bulk(numbers)

    def plan(self, line, cells, users):
        return plan_user(self, line, cells, users.get(cells.get("extension", "")))


class DeviceRows(Rows):
    """deviceanduser mode, devices file: one device per row; `user` names its default user,
    `current_user` who is on it now (since `user_since`)."""

    key_column = "id"
    required = ("id", "tech")
    used = frozenset({"sipdriver", SERVER_COLUMN, *DEVICE_COLUMNS, *PRESENCE_COLUMNS} | SETTING_COLUMNS)

    def preload(self, rows):
        ids = [cells.get("id", "") for cells in rows]
        rules.preload(devices=ids)
        devices = Device.objects.select_related("endpoint").in_bulk(ids)
        refs = [cells.get(c, "").strip() for cells in rows for c in ("user", "current_user")]
        return devices, PbxUser.objects.in_bulk([r for r in refs if r])

    def plan(self, line, cells, loaded):
        devices, users = loaded
        return plan_device(self, line, cells, devices.get(cells.get("id", "")), users)


def plan_device(
    handler: Rows,
    line: int,
    cells: dict[str, str],
    device: Device | None,
    users: dict[str, PbxUser],
    *,
    known_users=None,
) -> RowPlan:
    """A device alone: a devices file's row, or an extensions file's row with an `id` and no extension.

    `known_users` given (an extensions file, whose users may come in later rows): the default user
    and who is on it are set after the file's last row; otherwise the default user is set with the row.
    """
    key = cells.get("id", "")
    deferred = known_users is not None
    problems: list[tuple[str, str]] = []
    try:
        tech = normalise_tech(tech_of(cells, device.tech if device else DEFAULT_TECH))
    except ValidationError as e:
        return handler._error(line, key, "tech", " ".join(e.messages))
    settings = row_settings(cells, tech)
    name = cells.get("description", "")
    if device is not None and not handler.replace:
        return handler._skip(line, key, name)
    weak, notes, warnings = handler._weak_secret(settings, exists=device is not None)
    extra = dict(name=name, notes=notes, warnings=warnings, weak=weak)
    follow_up, cell_problems = read_device_cells(cells)
    follow_up.device_id = key
    problems += cell_problems
    server, server_problems = handler.servers.read(cells)
    problems += server_problems
    if device is not None and is_elsewhere(server, device):
        problems.append(
            (
                SERVER_COLUMN,
                f"Device {key} is on server {device.server.name}: a device moves with its user "
                "(change the server on its user's row).",
            )
        )
    devicetype = cells.get("devicetype") or (device.devicetype if device else DeviceType.FIXED)
    fields = {
        "devicetype": devicetype,
        "description": cells.get("description", ""),
        "emergency_cid": cells.get("emergency_cid", ""),
    }
    default_number = follow_up.fields.get("default_user", device.default_user_id if device else None)
    if deferred:
        # As in the devices file, an empty `user` cell means no default user.
        follow_up.fields.setdefault("default_user", None)
        if device is not None and follow_up.fields["default_user"] == device.default_user_id:
            del follow_up.fields["default_user"]
    else:
        number = follow_up.fields.pop("default_user", None)
        fields["default_user"] = users.get(number) if number else None
        if number and fields["default_user"] is None:
            problems.append(("user", f"There is no user {number}: import the users file first."))
        default_number = number
        known_users = users
    problems += check_follow_up(
        follow_up, devicetype=devicetype, default_user=default_number, known_users=known_users
    )
    dial = dial_of(cells)
    if device is None:
        try:
            if handler.validate:
                build_device(id=key, tech=tech, dial=dial, settings=settings, server=server, **fields)
        except ValidationError as e:
            problems += problems_from(e, handler.header, "id")
        if problems:
            return RowPlan(line, key, "error", problems, **extra)
        return RowPlan(
            line,
            key,
            "create",
            apply=lambda: device_create(
                id=key, tech=tech, dial=dial, settings=settings, server=server, **fields
            ),
            follow_up=follow_up or None,
            **extra,
        )
    if tech != device.tech:
        return handler._error(
            line,
            key,
            "tech",
            f"Device {key} is {device.get_tech_display()}: an import does not change the technology.",
        )
    changes = {k: v for k, v in fields.items() if v not in ("", None) or k == "default_user"}
    if dial:
        changes["dial"] = dial
    changed = {}
    try:
        _device, _clean, changed = device_update_check(device=device, settings=settings, **changes)
    except ValidationError as e:
        problems += problems_from(e, handler.header, "id")
    if problems:
        return RowPlan(line, key, "error", problems, **extra)
    changed |= shown_changes(device, follow_up)
    if not changed:
        return RowPlan(line, key, "unchanged", **extra)
    return RowPlan(
        line,
        key,
        "update",
        apply=lambda: device_update(device=device, settings=settings, **changes),
        changes=changed,
        follow_up=follow_up or None,
        **extra,
    )
