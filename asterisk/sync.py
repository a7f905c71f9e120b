"""Make Asterisk's AstDB, and its loaded config, follow the database.

A run first writes any config file the outbox still names (a crash after a
commit is repaired here), then reads the pending SyncChange rows, works out the keys the database
implies for the users and devices they name, compares them with what pbxadmin
last pushed (AstdbEntry), sends only the difference over one AMI connection
(DBPut / DBDel / DBDelTree, pipelined), reloads the modules whose files
changed, and only then records the new state. A run that fails changes
nothing here: the next run sends the same difference again.
"""

import fcntl
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from asterisk import ami
from asterisk.astdb import FAMILIES, desired_keys, owner_of, split_key
from asterisk.files import write_pending_files
from asterisk.models import AstdbEntry, SyncChange, SyncStatus
from devices.models import Device

log = logging.getLogger(__name__)

# Replies that mean "already gone": deleting twice is not a failure.
_ALREADY_GONE = ("Database entry could not be deleted", "Database entry not found")


@dataclass
class Plan:
    actions: list[dict[str, str]] = field(default_factory=list)
    puts: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    reloads: list[str] = field(default_factory=list)


@dataclass
class SyncResult:
    actions: int
    puts: int
    deletes: int
    reloads: list[str]
    full: bool
    warnings: list[str]


def plan_changes(desired: dict[str, str], current: dict[str, str], owners: set[tuple[str, str]]) -> Plan:
    """The actions that turn `current` into `desired` for these owners (family, object)."""
    plan = Plan()
    wanted_by_owner: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for key, value in desired.items():
        wanted_by_owner[owner_of(key)][key] = value
    held_by_owner: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for key, value in current.items():
        held_by_owner[owner_of(key)][key] = value
    for owner in sorted(owners):
        wanted, held = wanted_by_owner.get(owner, {}), held_by_owner.get(owner, {})
        family, obj = owner
        if held and not wanted:
            # The object is gone: one action removes its whole tree (or its one key).
            if family == "CW":
                plan.actions.append({"Action": "DBDel", "Family": "CW", "Key": obj})
            else:
                plan.actions.append({"Action": "DBDelTree", "Family": family, "Key": obj})
            plan.deleted.update(held)
            continue
        for key in sorted(wanted):
            if held.get(key) != wanted[key]:
                fam, rest = split_key(key)
                plan.actions.append({"Action": "DBPut", "Family": fam, "Key": rest, "Val": wanted[key]})
                plan.puts[key] = wanted[key]
        for key in sorted(set(held) - set(wanted)):
            fam, rest = split_key(key)
            plan.actions.append({"Action": "DBDel", "Family": fam, "Key": rest})
            plan.deleted.add(key)
    return plan


def _owner_key(owner: tuple[str, str]) -> str:
    return f"{owner[0]}/{owner[1]}"


def _mirror(owners: set[tuple[str, str]]) -> dict[str, str]:
    """What Asterisk holds for these objects, as of the last successful push."""
    wanted = sorted(_owner_key(o) for o in owners)
    result: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        for keys in AstdbEntry.objects.filter(owner_key__in=wanted[start : start + 500]).values_list(
            "keys", flat=True
        ):
            result.update(keys)
    return result


def _record(desired: dict[str, str], owners: set[tuple[str, str]], *, everything: bool) -> None:
    """After a successful push Asterisk holds exactly `desired` for these objects."""
    by_owner: dict[str, dict[str, str]] = defaultdict(dict)
    for key, value in desired.items():
        by_owner[_owner_key(owner_of(key))][key] = value
    if everything:
        AstdbEntry.objects.all().delete()
    else:
        gone = [_owner_key(o) for o in owners if _owner_key(o) not in by_owner]
        for start in range(0, len(gone), 500):
            AstdbEntry.objects.filter(owner_key__in=gone[start : start + 500]).delete()
    AstdbEntry.objects.bulk_create(
        [AstdbEntry(owner_key=k, keys=v) for k, v in by_owner.items()],
        batch_size=1000,
        update_conflicts=not everything,
        unique_fields=None if everything else ["owner_key"],
        update_fields=None if everything else ["keys"],
    )


def _affected(changes: list[tuple[str, str]]) -> tuple[set[str], set[str], list[str]]:
    users = {ref for kind, ref in changes if kind == SyncChange.Kind.USER}
    devices = {ref for kind, ref in changes if kind == SyncChange.Kind.DEVICE}
    modules = sorted({ref for kind, ref in changes if kind == SyncChange.Kind.RELOAD})
    if devices:
        # A device that changed hands changes its old and new users' device lists.
        device_list = sorted(devices)
        for start in range(0, len(device_list), 500):
            batch = device_list[start : start + 500]
            held = _mirror({("DEVICE", d) for d in batch})
            users.update(v for k, v in held.items() if k.endswith("/user") and v != "none")
            users.update(
                u for u in Device.objects.filter(pk__in=batch).values_list("user_id", flat=True) if u
            )
    return users, devices, modules


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


async def _read_families(session: ami.AmiSession) -> dict[str, str]:
    held: dict[str, str] = {}
    for family in FAMILIES:
        held.update(parse_database_show(await session.command(f"database show {family}")))
    return held


def _reload_actions(modules: list[str]) -> list[dict[str, str]]:
    """`Reload` for a module; the dialplan is reloaded with the CLI's `dialplan reload`."""
    return [
        {"Action": "Command", "Command": "dialplan reload"}
        if m == "dialplan"
        else {"Action": "Reload", "Module": m}
        for m in modules
    ]


class _ReplyCheck:
    """Judges each reply as it arrives: errors that mean "already done" pass, others fail the run."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def __call__(self, action: dict[str, str], reply: ami.Reply) -> None:
        if reply.success:
            return
        message = reply.get("Message", "")
        name = action["Action"]
        if name in ("DBDel", "DBDelTree") and message in _ALREADY_GONE:
            return
        if name == "Reload" or action.get("Command") == "dialplan reload":
            # A module that is not loaded (chan_sip on Asterisk 21) must not block the AstDB.
            self.warnings.append(f"Reload {action.get('Module', '')}: {message}")
            return
        raise ami.AmiActionError(f"{name} {action.get('Family', '')}/{action.get('Key', '')}: {message}")


@contextmanager
def _exclusive():
    """One sync at a time on this machine (web process, worker and commands alike)."""
    path = settings.VAR_DIR / ".sync.lock"
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_requested(*, full: bool = False, config: ami.AmiConfig | None = None) -> SyncResult:
    """One requested run, keeping the status: on success the request is released; a
    retryable failure keeps it claimed, so the caller's retry is the run that follows."""
    SyncStatus.started()
    try:
        result = run_sync(full=full, config=config)
    except ami.AmiError as e:
        if not e.retryable:
            SyncStatus.release()
        raise
    SyncStatus.release()
    return result


def run_sync(*, full: bool = False, config: ami.AmiConfig | None = None) -> SyncResult:
    """Push what changed (or, with `full`, everything) to Asterisk. Raises ami.AmiError on failure."""
    with _exclusive():
        write_pending_files()
        try:
            result = _run(full=full, config=config)
        except ami.AmiError as e:
            SyncStatus.fail(str(e))
            raise
    SyncStatus.succeed(actions=result.actions, warnings=result.warnings)
    return result


def _run(*, full: bool, config: ami.AmiConfig | None) -> SyncResult:
    # Only the rows read here are removed at the end: a change committed
    # during the run keeps its row for the next run.
    pending = list(SyncChange.objects.exclude(kind=SyncChange.Kind.FILE).values_list("pk", "kind", "ref"))
    users, devices, modules = _affected([(kind, ref) for _pk, kind, ref in pending])

    check = _ReplyCheck()
    if full:
        desired = desired_keys()

        async def exchange(session):
            held = await _read_families(session)
            plan = plan_changes(desired, held, {owner_of(k) for k in desired} | {owner_of(k) for k in held})
            plan.actions += _reload_actions(modules)
            await session.push(plan.actions, check)
            return plan

        plan = ami.run(exchange, config)
        owners: set[tuple[str, str]] = set()
    else:
        desired = desired_keys(users=users, devices=devices)
        owners = (
            {("AMPUSER", u) for u in users} | {("CW", u) for u in users} | {("DEVICE", d) for d in devices}
        )
        plan = plan_changes(desired, _mirror(owners), owners)
        plan.actions += _reload_actions(modules)
        if plan.actions:
            ami.run(lambda session: session.push(plan.actions, check), config)

    warnings = check.warnings
    with transaction.atomic():
        _record(desired, owners, everything=full)
        ids = [pk for pk, _kind, _ref in pending]
        for start in range(0, len(ids), 500):
            SyncChange.objects.filter(pk__in=ids[start : start + 500]).delete()
    result = SyncResult(
        actions=len(plan.actions),
        puts=len(plan.puts),
        deletes=len(plan.deleted),
        reloads=modules,
        full=full,
        warnings=warnings,
    )
    log.info(
        "asterisk sync: %s actions, %s puts, %s deletes, reloads %s",
        result.actions,
        result.puts,
        result.deletes,
        ",".join(modules) or "none",
    )
    return result
