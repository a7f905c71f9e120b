"""Make Asterisk's AstDB, and its loaded config, follow the database.

A run first writes any config file the outbox still names (a crash after a
commit is repaired here), then reads the pending SyncChange rows, works out the keys the database
implies for the users and devices they name, compares them with what pbxadmin
last pushed (AstdbEntry), sends only the difference over one AMI connection
(DBPut / DBDel / DBDelTree, pipelined), reloads the modules whose files
changed, and only then records the new state. A run that fails changes
nothing here: the next run sends the same difference again.

A full run (`asterisk_sync --full`) reads the families back from Asterisk
instead of trusting the record, and manages only the keys pbxadmin owns
(`asterisk.astdb.OWNED`): the keys other software wrote under the same users
and devices (a FreePBX system's `novmpw`, `vmx/*`, `followme/*`) are listed and
left, unless the administrator asks for them to go (`prune_unknown`).
"""

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from asterisk import ami
from asterisk.astdb import FAMILIES, by_owner, desired_by_owner, is_owned
from asterisk.files import no_write_under_way, write_pending_files
from asterisk.models import AstdbEntry, ErrorKind, SyncChange, SyncStatus
from devices.models import Device
from pbxadmin.locks import machine_lock

log = logging.getLogger(__name__)

# Replies that mean "already gone": deleting twice is not a failure.
_ALREADY_GONE = ("Database entry could not be deleted", "Database entry not found")


@dataclass
class Plan:
    actions: list[dict[str, str]] = field(default_factory=list)
    puts: int = 0
    deletes: int = 0
    # A full run: the keys found in Asterisk that pbxadmin does not own, as (key, value).
    unknown: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SyncResult:
    actions: int
    puts: int
    deletes: int
    reloads: list[str]
    full: bool
    warnings: list[str]
    # A full run: the keys pbxadmin does not own, left in place (or deleted, when `pruned`).
    unknown: list[tuple[str, str]] = field(default_factory=list)
    pruned: bool = False
    # What the administrator changed that this run brought to Asterisk (`sent_counts`).
    sent: dict[str, int] = field(default_factory=dict)


class PruneDeclined(Exception):
    """The administrator did not confirm deleting the keys pbxadmin does not own: nothing was sent."""


def plan_changes(
    desired: dict[str, dict[str, str]], current: dict[str, dict[str, str]], owners: Iterable[str]
) -> Plan:
    """The actions that turn `current` into `desired` for these owners; both are keys by owner."""
    plan = Plan()
    actions = plan.actions
    for owner in sorted(owners):
        wanted, held = desired.get(owner, {}), current.get(owner, {})
        family, _, obj = owner.partition("/")
        if held and not wanted:
            # The object is gone: one action removes its whole tree (or its one key).
            action = "DBDel" if family == "CW" else "DBDelTree"
            actions.append({"Action": action, "Family": family, "Key": obj})
            plan.deletes += len(held)
            continue
        cut = len(family) + 1
        for key in sorted(wanted):
            value = wanted[key]
            if held.get(key) != value:
                actions.append({"Action": "DBPut", "Family": family, "Key": key[cut:], "Val": value})
                plan.puts += 1
        for key in sorted(held.keys() - wanted.keys()):
            actions.append({"Action": "DBDel", "Family": family, "Key": key[cut:]})
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
                plan.puts += 1
        known = _user_or_device(owner) in ours
        for key in sorted(have.keys() - wanted.keys()):
            if not (known and is_owned(key)):
                plan.unknown.append((key, have[key]))
                if not prune_unknown:
                    continue
            plan.actions.append({"Action": "DBDel", "Family": family, "Key": key[cut:]})
            plan.deletes += 1
    return plan


def _mirror(owners: Iterable[str]) -> dict[str, dict[str, str]]:
    """What Asterisk holds for these objects, as of the last successful push, by owner."""
    wanted = sorted(owners)
    result: dict[str, dict[str, str]] = {}
    for start in range(0, len(wanted), 500):
        rows = AstdbEntry.objects.filter(owner_key__in=wanted[start : start + 500])
        result.update(rows.values_list("owner_key", "keys"))
    return result


def _record(desired: dict[str, dict[str, str]], owners: set[str], *, everything: bool) -> None:
    """After a successful push Asterisk holds exactly `desired` (keys by owner) for these objects."""
    if everything:
        AstdbEntry.objects.replace_all(desired)
        return
    gone = sorted(owners - desired.keys())
    for start in range(0, len(gone), 500):
        AstdbEntry.objects.filter(owner_key__in=gone[start : start + 500]).delete()
    AstdbEntry.objects.bulk_create(
        [AstdbEntry(owner_key=owner, keys=keys) for owner, keys in desired.items()],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["owner_key"],
        update_fields=["keys"],
    )


def sent_counts(changes: list[tuple[str, str]], *, files: int = 0) -> dict[str, int]:
    """The outbox rows a run settled, counted as the banner counts what waits: users, devices,
    both as extensions (a user and its device share the number), files and module reloads."""
    users = {ref for kind, ref in changes if kind == SyncChange.Kind.USER}
    devices = {ref for kind, ref in changes if kind == SyncChange.Kind.DEVICE}
    return {
        "extensions": len(users | devices),
        "users": len(users),
        "devices": len(devices),
        "files": files,
        "reloads": len({ref for kind, ref in changes if kind == SyncChange.Kind.RELOAD}),
    }


def _affected(changes: list[tuple[str, str]]) -> tuple[set[str], set[str], list[str]]:
    users = {ref for kind, ref in changes if kind == SyncChange.Kind.USER}
    devices = {ref for kind, ref in changes if kind == SyncChange.Kind.DEVICE}
    modules = sorted({ref for kind, ref in changes if kind == SyncChange.Kind.RELOAD})
    if devices:
        # A device that changed hands changes its old and new users' device lists.
        device_list = sorted(devices)
        for start in range(0, len(device_list), 500):
            batch = device_list[start : start + 500]
            for owner, keys in _mirror(f"DEVICE/{d}" for d in batch).items():
                users.add(keys.get(f"{owner}/user", "none"))
            users.update(Device.objects.filter(pk__in=batch).values_list("user_id", flat=True))
        users -= {"none", None}
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


# Reloaded with a CLI command rather than `Reload`, as FreePBX does.
_RELOAD_COMMANDS = {"dialplan": "dialplan reload", "voicemail": "voicemail reload"}


def _reload_actions(modules: list[str]) -> list[dict[str, str]]:
    """`Reload` for a module; the dialplan and the mailboxes with the CLI's `dialplan reload` / `voicemail reload`."""
    return [
        {"Action": "Command", "Command": _RELOAD_COMMANDS[m]}
        if m in _RELOAD_COMMANDS
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
        if name == "Reload" or action.get("Command") in _RELOAD_COMMANDS.values():
            # A module that is not loaded (chan_sip on Asterisk 21) must not block the AstDB.
            self.warnings.append(f"Reload {action.get('Module', '')}: {message}")
            return
        raise ami.AmiActionError(f"{name} {action.get('Family', '')}/{action.get('Key', '')}: {message}")


# Asked before a full run deletes keys pbxadmin does not own: given them, True to go on.
Confirm = Callable[[list[tuple[str, str]]], bool]


def run_requested(
    *,
    full: bool = False,
    prune_unknown: bool = False,
    confirm: Confirm | None = None,
    config: ami.AmiConfig | None = None,
) -> SyncResult:
    """One requested run, keeping the status: on success the request is released; a
    retryable failure keeps it claimed, so the caller's retry is the run that follows."""
    SyncStatus.started()
    try:
        result = run_sync(full=full, prune_unknown=prune_unknown, confirm=confirm, config=config)
    except ami.AmiError as e:
        if not e.retryable:
            SyncStatus.release()
        raise
    except BaseException:
        # Anything else (a locked database, a time limit) is no reason to block
        # every later request until the claim goes stale.
        SyncStatus.release()
        raise
    SyncStatus.release()
    return result


def run_sync(
    *,
    full: bool = False,
    prune_unknown: bool = False,
    confirm: Confirm | None = None,
    config: ami.AmiConfig | None = None,
) -> SyncResult:
    """Push what changed (or, with `full`, everything) to Asterisk. Raises ami.AmiError on failure.

    `prune_unknown` (full runs only) also deletes the keys pbxadmin does not own;
    `confirm`, when given, is asked first with them, and a no sends nothing (PruneDeclined).
    """
    # One sync at a time on this machine (web process, worker and commands alike).
    with machine_lock(settings.VAR_DIR / ".sync.lock"):
        written = write_pending_files()
        files_written = written is not None
        try:
            try:
                result = _run(full=full, prune_unknown=prune_unknown, confirm=confirm, config=config)
                result.sent["files"] = len(written or ())
            except ValueError as e:
                # The adapter's guard refused a value (a line break, NUL): final, and said plainly.
                raise ami.AmiActionError(f"refused to send to Asterisk: {e}") from e
        except ami.AmiError as e:
            SyncStatus.fail(str(e), kind=error_kind(e))
            raise
    # Without the files AstDB is in step, the files are not: the banner keeps saying so.
    SyncStatus.succeed(
        actions=result.actions, warnings=result.warnings, sent=result.sent, keep_error=not files_written
    )
    return result


def error_kind(error: ami.AmiError) -> str:
    """What the banner calls this failure, from the AMI error class."""
    if isinstance(error, ami.AmiUnavailable):
        return ErrorKind.UNREACHABLE
    if isinstance(error, ami.AmiAuthError):
        return ErrorKind.LOGIN
    return ErrorKind.ACTION


def _session_run(exchange, config: ami.AmiConfig | None):
    """`ami.run`, noting a successful login even when an action fails afterwards.

    The ORM cannot be called inside the event loop: the login is noted in a
    flag there and recorded here.
    """
    reached = []

    async def noted(session):
        reached.append(True)
        return await exchange(session)

    try:
        return ami.run(noted, config)
    finally:
        if reached:
            SyncStatus.connected()


def _run(
    *, full: bool, prune_unknown: bool, confirm: Confirm | None, config: ami.AmiConfig | None
) -> SyncResult:
    # Only the rows read here are removed at the end: a change committed
    # during the run keeps its row for the next run.
    with no_write_under_way():
        pending = list(SyncChange.objects.exclude(kind=SyncChange.Kind.FILE).values_list("pk", "kind", "ref"))
    users, devices, modules = _affected([(kind, ref) for _pk, kind, ref in pending])

    check = _ReplyCheck()
    if full:
        desired = desired_by_owner()
        written = set(AstdbEntry.objects.values_list("owner_key", flat=True))

        async def exchange(session):
            held = by_owner(await _read_families(session))
            plan = plan_full(desired, held, written, prune_unknown=prune_unknown)
            # Asked off the event loop: the session stays served while a person reads.
            wanted = prune_unknown and plan.unknown and confirm is not None
            if wanted and not await asyncio.to_thread(confirm, plan.unknown):
                raise PruneDeclined
            plan.actions += _reload_actions(modules)
            await session.push(plan.actions, check)
            return plan

        plan = _session_run(exchange, config)
        owners: set[str] = set()
    else:
        desired = desired_by_owner(users=users, devices=devices)
        owners = (
            {f"AMPUSER/{u}" for u in users} | {f"CW/{u}" for u in users} | {f"DEVICE/{d}" for d in devices}
        )
        plan = plan_changes(desired, _mirror(owners), owners)
        plan.actions += _reload_actions(modules)
        # With nothing to send the run still logs in (and pings): "Sync now"
        # is how an administrator checks the link, and the banner says what it found.
        actions = plan.actions or [{"Action": "Ping"}]
        _session_run(lambda session: session.push(actions, check), config)

    warnings = check.warnings
    with transaction.atomic():
        _record(desired, owners, everything=full)
        ids = [pk for pk, _kind, _ref in pending]
        for start in range(0, len(ids), 500):
            SyncChange.objects.filter(pk__in=ids[start : start + 500]).delete()
    result = SyncResult(
        actions=len(plan.actions),
        puts=plan.puts,
        deletes=plan.deletes,
        reloads=modules,
        full=full,
        warnings=warnings,
        unknown=plan.unknown,
        pruned=full and prune_unknown,
        sent=sent_counts([(kind, ref) for _pk, kind, ref in pending]),
    )
    log.info(
        "asterisk sync: %s actions, %s puts, %s deletes, reloads %s",
        result.actions,
        result.puts,
        result.deletes,
        ",".join(modules) or "none",
    )
    return result
