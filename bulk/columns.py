"""The columns of a Bulk Handler file and what each one sets in pbxadmin.

Names follow FreePBX's Bulk Handler so files move between the two. A column
pbxadmin does not use is reported as ignored, never silently dropped.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from bulk import call_feature_columns
from directory.secrets import SECRET_COLUMNS
from directory.techs import TECHS
from directory.users.mailboxes import normalise_options
from directory.users.models import NO_VOICEMAIL, voicemail_setting

# FreePBX's Bulk Handler writes tech=virtual for a user with no device (an extension with no phone).
VIRTUAL = "virtual"
# Nobody, in the `user` (default user) and `current_user` columns, as in AstDB.
NOBODY = "none"
# A device's columns besides its technology's settings: FreePBX's devices table (`user` is the
# default user), then who is on it now and since when (AMPUSER/<ext>/device lists a user's
# devices in the order they arrived), which FreePBX keeps in AstDB only.
DEVICE_COLUMNS = ("id", "tech", "dial", "devicetype", "user", "description", "emergency_cid")
PRESENCE_COLUMNS = ("current_user", "user_since")


@dataclass(frozen=True)
class UserColumn:
    """One user column of a Bulk Handler file: read on import, written on export."""

    name: str  # as FreePBX's export writes it
    field: str  # the PbxUser field
    # text, int, bool (enabled/disabled), options (voicemail options), or mailbox: FreePBX's
    # voicemail_enable, yes/no derived from the voicemail context and read in user_fields_from.
    kind: str = "text"
    aliases: tuple[str, ...] = ()  # other names an import accepts for it
    # A column with its own reading and writing (the call features': bulk/call_feature_columns.py).
    reader: Callable[[str], object] | None = None
    writer: Callable[[object], str] | None = None

    def read(self, value: str):
        if self.reader is not None:
            return self.reader(value)
        if self.kind == "bool":
            return to_bool(value)
        if self.kind == "int":
            return to_int(value)
        if self.kind == "options":
            return normalise_options(value)
        return value

    def write(self, value) -> str:
        if self.writer is not None:
            return self.writer(value)
        if self.kind == "bool":
            return "enabled" if value else "disabled"
        if self.kind == "mailbox":
            return "yes" if value and value != NO_VOICEMAIL else "no"
        return str(value)


# In the order FreePBX's export writes them.
USER_COLUMNS = (
    UserColumn("password", "password"),
    UserColumn("name", "name"),
    UserColumn("voicemail", "voicemail"),
    UserColumn("ringtimer", "ringtimer", "int"),
    UserColumn("outboundcid", "outboundcid"),
    UserColumn("recording_in_external", "recording_in_external"),
    UserColumn("recording_out_external", "recording_out_external"),
    UserColumn("recording_in_internal", "recording_in_internal"),
    UserColumn("recording_out_internal", "recording_out_internal"),
    UserColumn("recording_ondemand", "recording_ondemand"),
    UserColumn("recording_priority", "recording_priority", "int"),
    UserColumn("answermode", "answermode"),
    UserColumn("intercom", "intercom"),
    UserColumn("cwtone", "cwtone"),
    UserColumn("cid_masquerade", "cid_num_alias"),
    UserColumn("concurrency_limit", "concurrency_limit", "int"),
    UserColumn("cfringtimer", "cfringtimer", "int"),
    UserColumn("callwaiting_enable", "callwaiting", "bool", aliases=("callwaiting",)),
    UserColumn("accountcode", "accountcode"),
    UserColumn("languages_language", "language", aliases=("language",)),
    # FreePBX's Voicemail module columns: the mailbox.
    UserColumn("voicemail_enable", "voicemail", "mailbox"),
    UserColumn("voicemail_vmpwd", "vm_pin"),
    UserColumn("voicemail_email", "vm_email"),
    UserColumn("voicemail_pager", "vm_pager"),
    UserColumn("voicemail_options", "vm_options", "options"),
    # Call features: FreePBX's findmefollow columns, and do not disturb and the forwards.
    *(
        UserColumn(name, field, reader=reader, writer=writer)
        for name, field, reader, writer in call_feature_columns.COLUMNS
    ),
)
USER_COLUMN_NAMES = frozenset(n for c in USER_COLUMNS for n in (c.name, *c.aliases))

# Every technology's settings are columns too (dtmfmode, nat, max_contacts…).
SETTING_COLUMNS = {s.key for module in TECHS.values() for s in module.SETTINGS}

# Columns FreePBX writes that pbxadmin knows and deliberately does not take, with why.
IGNORED_WHY = {
    "callerid": "pbxadmin always writes callerid=device <id>",
    "mailbox": "derived from the user's voicemail context",
    "account": "the device id",
    "devicedata": "each user's devices follow from the devices' current_user and user_since",
    **call_feature_columns.IGNORED_WHY,
}


_TRUE = {"enabled", "enable", "yes", "on", "true", "1"}
_FALSE = {"disabled", "disable", "no", "off", "false", "0"}


def to_bool(value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValidationError("Write enabled or disabled (yes or no).")


def to_int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationError("Write a whole number.") from None


def user_fields_from(cells: dict[str, str]) -> tuple[dict, dict[str, str], list[tuple[str, str]]]:
    """The user fields a row sets (empty cells keep the default), cell errors by column, and notes."""
    fields: dict = {}
    errors: dict[str, str] = {}
    notes: list[tuple[str, str]] = []
    for column in USER_COLUMNS:
        if column.name == "name" or column.kind == "mailbox":
            continue
        name = next((n for n in (column.name, *column.aliases) if cells.get(n, "") != ""), None)
        if name is None:
            continue
        try:
            fields[column.field] = column.read(cells[name])
        except ValidationError as e:
            errors[name] = " ".join(e.messages)
    notes.extend(call_feature_columns.notes(cells))
    # FreePBX's Voicemail module makes a mailbox only for voicemail_enable=yes, in the context
    # the `voicemail` column names (default when it names none); `voicemail` alone makes none.
    context = fields.pop("voicemail", "")
    enable = cells.get("voicemail_enable", "").strip().lower()
    if enable in _TRUE:
        fields["voicemail"] = voicemail_setting(enabled=True, context=context)
    elif enable in _FALSE or context == NO_VOICEMAIL:
        fields["voicemail"] = voicemail_setting(enabled=False)
    elif context:
        notes.append(
            (
                "voicemail",
                f"voicemail={context} without voicemail_enable=yes makes no mailbox (as in FreePBX)",
            )
        )
    return fields, errors, notes


def user_cells(user, *, with_secrets: bool = True) -> dict[str, str]:
    """A user's cells, as an export writes them; without secrets, no hot-desk PIN."""
    return {
        column.name: column.write(getattr(user, column.field))
        for column in USER_COLUMNS
        if with_secrets or column.name not in SECRET_COLUMNS
    }


def _kept_as_sip(cells: dict[str, str], tech: str) -> bool:
    # FreePBX 13-16 kept PJSIP devices as tech=sip with sipdriver=chan_pjsip.
    return tech == "sip" and cells.get("sipdriver", "").strip().lower() == "chan_pjsip"


def tech_of(cells: dict[str, str], default: str) -> str:
    tech = (cells.get("tech") or default).strip().lower()
    return "pjsip" if _kept_as_sip(cells, tech) else tech


def dial_of(cells: dict[str, str]) -> str:
    """The `dial` cell, as pbxadmin names the device: FreePBX wrote a PJSIP device it kept as
    tech=sip with a SIP/ dial string. The services judge it (only custom devices take their own)."""
    dial = cells.get("dial", "")
    if _kept_as_sip(cells, (cells.get("tech") or "").strip().lower()) and dial[:4].upper() == "SIP/":
        return f"PJSIP/{dial[4:]}"
    return dial


def row_settings(cells: dict[str, str], tech: str) -> dict[str, str]:
    """The endpoint settings a row sets for its technology (empty cells keep the default)."""
    module = TECHS.get(tech)
    if module is None:
        return {}
    keys = {s.key for s in module.SETTINGS}
    return {k: v for k, v in cells.items() if k in keys and v != ""}


# Device fields whose column has another name.
_DEVICE_FIELD_COLUMNS = {"default_user": "user"}


def column_for(field: str, header: list[str]) -> str:
    """The CSV column a service's error field came from (for `row 12, column cid_masquerade`)."""
    for column in USER_COLUMNS:
        if column.field == field and column.kind != "mailbox":
            return next((n for n in (column.name, *column.aliases) if n in header), column.name)
    return _DEVICE_FIELD_COLUMNS.get(field, field)


def user_ref(value: str) -> str | None:
    """A `user` or `current_user` cell: a user's number, or None for `none`."""
    value = value.strip()
    if value.lower() == NOBODY:
        return None
    if not (value.isascii() and value.isdigit()):
        raise ValidationError("Write a user's number, or none.")
    return value


def to_moment(value: str) -> datetime:
    """A `user_since` cell: a date and time as an export writes it (ISO 8601)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError("Write a date and time such as 2025-11-26T10:42:00+00:00.") from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def presence_cells(device) -> dict[str, str]:
    """Who is on a device now and since when, as an export writes them."""
    return {
        "current_user": device.user_id or NOBODY,
        "user_since": device.user_since.isoformat() if device.user_id and device.user_since else "",
    }
