"""The columns of a Bulk Handler file and what each one sets in pbxadmin.

Names follow FreePBX's Bulk Handler so files move between the two. A column
pbxadmin does not use is reported as ignored, never silently dropped.
"""

from django.core.exceptions import ValidationError

from endpoints.techs import TECHS
from users.mailboxes import normalise_options
from users.models import NO_VOICEMAIL

DEFAULT_CONTEXT = "default"

# CSV column -> PbxUser field
USER_COLUMNS = {
    "name": "name",
    "outboundcid": "outboundcid",
    "password": "password",
    "voicemail": "voicemail",
    "ringtimer": "ringtimer",
    "cfringtimer": "cfringtimer",
    "concurrency_limit": "concurrency_limit",
    "cid_masquerade": "cid_num_alias",
    "callwaiting": "callwaiting",
    "callwaiting_enable": "callwaiting",
    "cwtone": "cwtone",
    "answermode": "answermode",
    "intercom": "intercom",
    "recording_in_external": "recording_in_external",
    "recording_out_external": "recording_out_external",
    "recording_in_internal": "recording_in_internal",
    "recording_out_internal": "recording_out_internal",
    "recording_ondemand": "recording_ondemand",
    "recording_priority": "recording_priority",
    "accountcode": "accountcode",
    "languages_language": "language",
    "language": "language",
    # --- Voicemail module columns (issue 11): the mailbox. voicemail_enable is read below. ---
    "voicemail_vmpwd": "vm_pin",
    "voicemail_email": "vm_email",
    "voicemail_pager": "vm_pager",
    "voicemail_options": "vm_options",
}
INTEGER_FIELDS = {"ringtimer", "cfringtimer", "concurrency_limit", "recording_priority"}

# Every technology's settings are columns too (dtmfmode, nat, max_contacts…).
SETTING_COLUMNS = {s.key for module in TECHS.values() for s in module.SETTINGS}

# Columns FreePBX writes that pbxadmin knows and deliberately does not take, with why.
IGNORED_WHY = {
    "callerid": "pbxadmin always writes callerid=device <id>",
    "mailbox": "derived from the user's voicemail context",
    "account": "the device id",
}

REGENERATE = "REGEN"  # in the secret column: make a new one (FreePBX's convention)

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


def user_fields_from(cells: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """The user fields a row sets (empty cells keep the default), and cell errors by column."""
    fields: dict = {}
    errors: dict[str, str] = {}
    for column, field in USER_COLUMNS.items():
        value = cells.get(column, "")
        if column == "name" or value == "":
            continue
        try:
            if field == "callwaiting":
                fields[field] = to_bool(value)
            elif field in INTEGER_FIELDS:
                fields[field] = to_int(value)
            elif field == "vm_options":
                fields[field] = normalise_options(value)
            else:
                fields[field] = value
        except ValidationError as e:
            errors[column] = " ".join(e.messages)
    # FreePBX's voicemail module column: "no" means no mailbox whatever the context says,
    # "yes" a mailbox in the context given (default when none is).
    enable = cells.get("voicemail_enable", "").strip().lower()
    if enable in _FALSE:
        fields["voicemail"] = NO_VOICEMAIL
    elif enable in _TRUE and fields.get("voicemail", NO_VOICEMAIL) == NO_VOICEMAIL:
        fields["voicemail"] = DEFAULT_CONTEXT
    return fields, errors


def tech_of(cells: dict[str, str], default: str) -> str:
    tech = (cells.get("tech") or default).strip().lower()
    # FreePBX 13-16 kept PJSIP devices as tech=sip with sipdriver=chan_pjsip.
    if tech == "sip" and cells.get("sipdriver", "").strip().lower() == "chan_pjsip":
        return "pjsip"
    return tech


def row_settings(cells: dict[str, str], tech: str) -> dict[str, str]:
    """The endpoint settings a row sets for its technology (empty cells keep the default)."""
    module = TECHS.get(tech)
    if module is None:
        return {}
    keys = {s.key for s in module.SETTINGS}
    values = {k: v for k, v in cells.items() if k in keys and v != ""}
    if values.get("secret", "").upper() == REGENERATE:
        values["secret"] = ""  # the services generate one
    return values


def column_for(field: str, header: list[str]) -> str:
    """The CSV column a service's error field came from (for `row 12, column cid_masquerade`)."""
    if field == "cid_num_alias":
        return "cid_masquerade"
    if field == "language":
        return "languages_language" if "languages_language" in header else "language"
    if field == "callwaiting":
        return "callwaiting_enable" if "callwaiting_enable" in header else "callwaiting"
    return _MAILBOX_COLUMN.get(field, field)


_MAILBOX_COLUMN = {"vm_pin": "voicemail_vmpwd", "vm_email": "voicemail_email", "vm_pager": "voicemail_pager",
                   "vm_options": "voicemail_options"}  # fmt: skip
