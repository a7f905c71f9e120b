"""The call features' columns in Bulk Handler files (bulk/columns.py makes them user columns).

FreePBX's findmefollow module has columns (`findmefollow_enabled`, `findmefollow_grplist`,
`findmefollow_grptime`, `findmefollow_pre_ring`, `findmefollow_strategy`,
`findmefollow_needsconf`), with its values: `enabled` is `yes` or empty, the list is its
grplist (`146-818-09171234567#`). FreePBX's Bulk Handler has no do-not-disturb or forward
columns: pbxadmin's are named the same way, after FreePBX's modules (`donotdisturb_enable`,
`callforward_cf`, `callforward_cfb`, `callforward_cfu`). As every column, an empty cell keeps the
default (new users) or the current value; `no` turns a switch off.
"""

from django.core.exceptions import ValidationError

from directory.users.call_features.fields import STRATEGY_NEAREST

_TRUE = {"yes", "enabled", "enable", "on", "true", "1", "checked"}
_FALSE = {"no", "disabled", "disable", "off", "false", "0"}


def read_switch(value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValidationError("Write yes or no.")


def write_switch(value: bool) -> str:
    """FreePBX writes `yes`, and nothing for off (its "blank to disable")."""
    return "yes" if value else ""


def read_strategy(value: str) -> str:
    """FreePBX's strategies pbxadmin does not ring are read as the nearest it does (see `notes`)."""
    word = value.strip().lower()
    return STRATEGY_NEAREST.get(word, word)


def text(value) -> str:
    return str(value)


def read_int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationError("Write a whole number.") from None


# (column, PbxUser field, reader, writer), in the order an export writes them.
COLUMNS = (
    ("donotdisturb_enable", "dnd", read_switch, write_switch),
    ("callforward_cf", "cf", str.strip, text),
    ("callforward_cfb", "cfb", str.strip, text),
    ("callforward_cfu", "cfu", str.strip, text),
    ("findmefollow_enabled", "followme", read_switch, write_switch),
    ("findmefollow_grplist", "followme_list", str.strip, text),
    ("findmefollow_pre_ring", "followme_prering", read_int, text),
    ("findmefollow_grptime", "followme_grptime", read_int, text),
    ("findmefollow_strategy", "followme_strategy", read_strategy, text),
    ("findmefollow_needsconf", "followme_confirm", read_switch, write_switch),
)

# FreePBX's other follow-me columns: settings pbxadmin's follow-me does not have.
IGNORED_WHY = {
    f"findmefollow_{name}": "a FreePBX follow-me setting pbxadmin does not have"
    for name in (
        "grppre",
        "annmsg_id",
        "postdest",
        "dring",
        "remotealert_id",
        "toolate_id",
        "ringing",
        "voicemail",
        "changecid",
        "fixedcid",
        "calendar_enable",
        "calendar_id",
        "calendar_group_id",
        "calendar_match",
        "rvolume",
    )
}


def notes(cells: dict[str, str]) -> list[tuple[str, str]]:
    """What a row's call-feature cells become that the file did not say."""
    word = cells.get("findmefollow_strategy", "").strip().lower()
    if word in STRATEGY_NEAREST:
        return [
            (
                "findmefollow_strategy",
                f"{word} rings as {STRATEGY_NEAREST[word]} in pbxadmin (it rings ringallv2, ringall and hunt)",
            )
        ]
    return []
