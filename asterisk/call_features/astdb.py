"""The AstDB keys of a user's call features, as FreePBX's modules write them, and the custom
device states that follow them (for BLF keys).

- donotdisturb: `DND/<ext>` = `YES` while on (deleted when off).
- callforward: `CF/<ext>` (all calls), `CFB/<ext>` (busy), `CFU/<ext>` (no answer or
  unavailable) = the number (deleted when off).
- callwaiting: `CW/<ext>` = `ENABLED` (written by asterisk.astdb with the other user keys).
- findmefollow, for a user with a follow-me list: `AMPUSER/<ext>/followme/` `ddial`
  (`DIRECT` on, `EXTENSION` off), `grplist` (`2003-0171234567#`), `prering`, `grptime`,
  `strategy`, `grpconf` (`ENABLED` / `DISABLED`). FreePBX's other follow-me keys (`grppre`,
  `dring`, `annmsg`, `postdest`, `changecid`…) are not pbxadmin's: a migrated system keeps them.

Device states (func_devstate, kept by Asterisk itself in its `CustomDevstate` family):
`Custom:DND<ext>`, `Custom:CF<ext>` and `Custom:FOLLOWME<ext>` are BUSY while the feature is
on and NOT_INUSE when off. The sync sets one each time its key is written or deleted, so it
follows a change whichever way it was made (page, API, file or phone).
"""

from directory.users.models import PbxUser

# One key per user in each of these families: `DND/1000`, as `CW/1000` is.
FAMILIES = ("DND", "CF", "CFB", "CFU")
FOLLOWME = "followme/"
# The follow-me keys pbxadmin writes (and so may delete) under AMPUSER/<ext>/.
FOLLOWME_KEYS = ("ddial", "grpconf", "grplist", "grptime", "prering", "strategy")

ON, OFF = "BUSY", "NOT_INUSE"


def user_keys(user: PbxUser) -> dict[str, str]:
    """The call-feature keys of one user, full paths (`DND/1000`, `AMPUSER/1000/followme/ddial`)."""
    ext = user.extension
    keys: dict[str, str] = {}
    if user.dnd:
        keys[f"DND/{ext}"] = "YES"
    for family, field in (("CF", "cf"), ("CFB", "cfb"), ("CFU", "cfu")):
        number = getattr(user, field)
        if number:
            keys[f"{family}/{ext}"] = number
    if user.followme_list:
        prefix = f"AMPUSER/{ext}/{FOLLOWME}"
        keys |= {
            prefix + "ddial": "DIRECT" if user.followme else "EXTENSION",
            prefix + "grpconf": "ENABLED" if user.followme_confirm else "DISABLED",
            prefix + "grplist": user.followme_list,
            prefix + "grptime": str(user.followme_grptime),
            prefix + "prering": str(user.followme_prering),
            prefix + "strategy": user.followme_strategy,
        }
    return keys


def _state(name: str, value: str) -> dict[str, str]:
    return {"Action": "Setvar", "Variable": f"DEVICE_STATE(Custom:{name})", "Value": value}


def state_actions(family: str, key: str, value: str | None) -> list[dict[str, str]]:
    """The device state to set when this key is written (`value`) or deleted (None): a BLF key on
    `*76<ext>` (DND) or `*21<ext>` (follow me) shows it. None for any other key."""
    if family in ("DND", "CF"):
        return [_state(f"{family}{key}", OFF if value is None else ON)]
    if family == "AMPUSER" and key.endswith(f"/{FOLLOWME}ddial"):
        ext = key.partition("/")[0]
        return [_state(f"FOLLOWME{ext}", ON if value == "DIRECT" else OFF)]
    return []
