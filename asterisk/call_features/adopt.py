"""Take over the call features a FreePBX system keeps in AstDB only.

FreePBX's Bulk Handler carries follow-me (`findmefollow_*` columns) but not do not disturb or
the forwards: a user's phone set those, and they live in AstDB alone (`DND/<ext>`, `CF/<ext>`,
`CFB/<ext>`, `CFU/<ext>`). Before pbxadmin's first full sync (which makes the keys it owns equal
to its database), `manage.py adopt_call_features` reads them from Asterisk and saves them on the
users through the services, so a migrated office keeps what its phones set. Follow-me keys are
taken too when the file gave none (`AMPUSER/<ext>/followme/…`).
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from directory.users.call_features.fields import STRATEGY_NEAREST, Strategy
from directory.users.models import PbxUser
from directory.users.services import user_update, user_update_check

_FORWARDS = {"CF": "cf", "CFB": "cfb", "CFU": "cfu"}
_FOLLOWME = {
    "grplist": "followme_list",
    "prering": "followme_prering",
    "grptime": "followme_grptime",
    "strategy": "followme_strategy",
}


@dataclass
class Adopted:
    changed: dict[str, list[str]] = field(default_factory=dict)  # user -> fields taken
    refused: list[tuple[str, str]] = field(default_factory=list)  # (user, what was left and why)
    unknown_users: list[str] = field(default_factory=list)  # keys of users pbxadmin does not have


def fields_from_astdb(keys: dict[str, str]) -> dict[str, dict]:
    """The call-feature fields FreePBX's keys say, by user (`{"2001": {"dnd": True, "cf": "2003"}}`)."""
    found: dict[str, dict] = {}
    for path, value in keys.items():
        family, _, rest = path.partition("/")
        ext, _, key = rest.partition("/")
        value = value.strip()
        if family == "DND" and not key:
            found.setdefault(ext, {})["dnd"] = value.upper() == "YES"
        elif family in _FORWARDS and not key and value:
            found.setdefault(ext, {})[_FORWARDS[family]] = value
        elif family == "AMPUSER" and key.startswith("followme/"):
            name = key.removeprefix("followme/")
            fields = found.setdefault(ext, {})
            if name == "ddial":
                fields["followme"] = value == "DIRECT"
            elif name == "grpconf":
                fields["followme_confirm"] = value == "ENABLED"
            elif name in _FOLLOWME and value:
                fields[_FOLLOWME[name]] = value
    for fields in found.values():
        strategy = fields.get("followme_strategy")
        if strategy is not None and strategy not in Strategy.values:
            fields["followme_strategy"] = STRATEGY_NEAREST.get(strategy, Strategy.RINGALLV2_PRIM)
        if not fields.get("followme_list"):
            # FreePBX writes ddial for every user with a follow-me; without a list it rings nothing.
            fields.pop("followme", None)
    return {ext: fields for ext, fields in found.items() if fields}


def adopt(keys: dict[str, str], *, dry_run: bool = False) -> Adopted:
    """Save on each user what their keys say and the database does not (through `user_update`)."""
    result = Adopted()
    users = PbxUser.objects.in_bulk(list(fields_from_astdb(keys)))
    for ext, fields in sorted(fields_from_astdb(keys).items()):
        user = users.get(ext)
        if user is None:
            result.unknown_users.append(ext)
            continue
        wanted = {k: v for k, v in fields.items() if getattr(user, k) != v}
        changes = {}
        # A value the rules refuse (a forward to the user's own number) is said and left; the
        # user's other values are still taken.
        while wanted:
            try:
                _checked, changes = user_update_check(user=user, **wanted)
                break
            except ValidationError as e:
                refused = e.message_dict
                result.refused.append((ext, "; ".join(f"{k}: {' '.join(v)}" for k, v in refused.items())))
                kept = {k: v for k, v in wanted.items() if k not in refused}
                wanted = kept if len(kept) < len(wanted) else {}
        if changes:
            if not dry_run:
                user_update(user=user, **wanted)
            result.changed[ext] = sorted(changes)
    return result
