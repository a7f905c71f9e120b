"""AstDB: what to send to make Asterisk hold the keys the database implies, and what it holds.

`plan_changes` compares the keys the database implies for some users and devices
with what pbxadmin last pushed (AstdbEntry, `held_keys`); `plan_full` compares
them with what Asterisk really holds (`read_families`) and manages only the keys
pbxadmin owns (`asterisk.astdb.OWNED`): the keys other software wrote under the
same users and devices (a FreePBX system's `novmpw`, `vmx/*`, `followme/*`) are
listed and left, unless the administrator asks for them to go (`prune_unknown`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from asterisk import ami
from asterisk.astdb import FAMILIES, ONE_KEY_FAMILIES, is_owned
from asterisk.call_features.astdb import state_actions
from asterisk.models import AstdbEntry
from directory.servers.current import current_id


@dataclass
class Plan:
    actions: list[dict[str, str]] = field(default_factory=list)
    puts: int = 0
    deletes: int = 0
    # A full run: the keys found in Asterisk that pbxadmin does not own, as (key, value).
    unknown: list[tuple[str, str]] = field(default_factory=list)


def plan_changes(
    desired: dict[str, dict[str, str]], current: dict[str, dict[str, str]], owners: Iterable[str]
) -> Plan:
    """The actions that turn `current` into `desired` for these owners; both are keys by owner."""
    plan = Plan()
    actions = plan.actions
    for owner in sorted(owners):
        wanted, held = desired.get(owner, {}), current.get(owner, {})
        family, _, obj = owner.partition("/")
        cut = len(family) + 1
        if held and not wanted:
            # The object is gone: one action removes its whole tree (or its one key).
            action = "DBDel" if family in ONE_KEY_FAMILIES else "DBDelTree"
            actions.append({"Action": action, "Family": family, "Key": obj})
            plan.deletes += len(held)
            for key in sorted(held):
                actions.extend(state_actions(family, key[cut:], None))
            continue
        for key in sorted(wanted):
            value = wanted[key]
            if held.get(key) != value:
                actions.append({"Action": "DBPut", "Family": family, "Key": key[cut:], "Val": value})
                actions.extend(state_actions(family, key[cut:], value))
                plan.puts += 1
        for key in sorted(held.keys() - wanted.keys()):
            actions.append({"Action": "DBDel", "Family": family, "Key": key[cut:]})
            actions.extend(state_actions(family, key[cut:], None))
            plan.deletes += 1
    return plan


def _user_or_device(owner: str) -> str:
    """The object an owner's keys are about: `CW/1000` and `AMPUSER/1000` are both user 1000."""
    family, _, obj = owner.partition("/")
    return f"DEVICE/{obj}" if family == "DEVICE" else f"AMPUSER/{obj}"


def plan_full(
    desired: dict[str, dict[str, str]],
    held: dict[str, dict[str, str]],
    written: set[str],
    *,
    prune_unknown: bool = False,
) -> Plan:
    """The actions of a full run, from what Asterisk holds (`held`, keys by owner).

    Every key the database implies is written where it differs. A key Asterisk
    holds and the database does not imply is deleted only when pbxadmin owns
    it (OWNED) and the user or device is pbxadmin's, in its database or among
    the owners it wrote before (`written`). Anything else is someone else's:
    listed in `unknown` and left, or deleted one key at a time with `prune_unknown`.
    """
    plan = Plan()
    ours = {_user_or_device(owner) for owner in (*desired, *written)}
    for owner in sorted(desired.keys() | held.keys()):
        wanted, have = desired.get(owner, {}), held.get(owner, {})
        family = owner.partition("/")[0]
        cut = len(family) + 1
        for key in sorted(wanted):
            if have.get(key) != wanted[key]:
                plan.actions.append(
                    {"Action": "DBPut", "Family": family, "Key": key[cut:], "Val": wanted[key]}
                )
                plan.actions.extend(state_actions(family, key[cut:], wanted[key]))
                plan.puts += 1
        known = _user_or_device(owner) in ours
        for key in sorted(have.keys() - wanted.keys()):
            if not (known and is_owned(key)):
                plan.unknown.append((key, have[key]))
                if not prune_unknown:
                    continue
            plan.actions.append({"Action": "DBDel", "Family": family, "Key": key[cut:]})
            plan.actions.extend(state_actions(family, key[cut:], None))
            plan.deletes += 1
    return plan


def held_keys(owners: Iterable[str]) -> dict[str, dict[str, str]]:
    """What Asterisk holds for these objects, as of the last successful push, by owner."""
    wanted = sorted(owners)
    result: dict[str, dict[str, str]] = {}
    for start in range(0, len(wanted), 500):
        rows = AstdbEntry.objects.filter(owner_key__in=wanted[start : start + 500])
        result.update(rows.values_list("owner_key", "keys"))
    return result


def record_keys(desired: dict[str, dict[str, str]], owners: set[str], *, everything: bool) -> None:
    """After a successful push Asterisk holds exactly `desired` (keys by owner) for these objects."""
    if everything:
        AstdbEntry.objects.replace_all(desired)
        return
    gone = sorted(owners - desired.keys())
    for start in range(0, len(gone), 500):
        AstdbEntry.objects.filter(owner_key__in=gone[start : start + 500]).delete()
    server = current_id()
    AstdbEntry.objects.bulk_create(
        [AstdbEntry(server_id=server, owner_key=owner, keys=keys) for owner, keys in desired.items()],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["server", "owner_key"],
        update_fields=["keys"],
    )


def parse_database_show(lines: list[str]) -> dict[str, str]:
    """`/AMPUSER/1000/cidname     : John Doe   ` lines -> {`AMPUSER/1000/cidname`: `John Doe`}."""
    result = {}
    for line in lines:
        if not line.startswith("/"):
            continue  # the "N results found." trailer
        path, sep, value = line.partition(": ")
        if sep:
            result[path.strip()[1:]] = value.strip()
    return result


async def read_families(session: ami.AmiSession, timeout: float | None = None) -> dict[str, str]:
    held: dict[str, str] = {}
    for family in FAMILIES:
        held.update(parse_database_show(await session.command(f"database show {family}", timeout)))
    return held
