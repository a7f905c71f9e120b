"""Make Asterisk's AstDB, its running dialplan and its loaded config follow the database.

A run (one at a time, on any host: the lease in `SyncStatus`):

1. writes any config file the outbox still names (a crash after a commit is repaired here);
2. reads the pending outbox rows and works out the AstDB keys (`asterisk.astdb_plan`) and
   the per-user dialplan entries (`asterisk.live_dialplan`) the database implies for the
   users and devices they name;
3. sends only the difference over one AMI connection, pipelined (DBPut / DBDel /
   DBDelTree, DialplanExtensionAdd / Remove), records what Asterisk now holds and settles
   those rows;
4. reloads, one at a time, the modules whose files changed: each may take as long as
   Asterisk needs (AMI_RELOAD_TIMEOUT), and is settled once sent and answered. One that
   does not answer in time was received: it is settled too (Asterisk is finishing it) and
   the run ends as *busy*, never *unreachable*; the next run waits for Asterisk to answer
   a Ping before it sends anything. A reload is never sent twice for one change.

A run that fails before a step records nothing of that step: the next run sends the same
difference again. A full run (`asterisk_sync --full`) reads the AstDB families back from
Asterisk instead of trusting the record, and reloads the dialplan from the file.
"""

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from asterisk import ami, live_dialplan
from asterisk.astdb import by_owner, desired_by_owner
from asterisk.astdb_plan import Plan, held_keys, plan_changes, plan_full, read_families, record_keys
from asterisk.files import no_write_under_way, write_pending_files
from asterisk.models import AstdbEntry, ErrorKind, SyncChange, SyncStatus
from devices.models import Device
from endpoints.dialplan import entries_by_user

log = logging.getLogger(__name__)

# Replies that mean "already gone": deleting twice is not a failure.
_ALREADY_GONE = ("Database entry could not be deleted", "Database entry not found", live_dialplan.NOT_THERE)
_REMOVALS = ("DBDel", "DBDelTree", "DialplanExtensionRemove")

# Reloaded with a CLI command rather than `Reload`, as FreePBX does.
RELOAD_COMMANDS = {"dialplan": "dialplan reload", "voicemail": "voicemail reload"}
# What the banner calls a reload under way.
RELOAD_WORDS = {"dialplan": "the dialplan", "voicemail": "the mailboxes"}


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
    # Per-user dialplan lines changed in the running Asterisk (no reload).
    dialplan_live: int = 0
    seconds: float = 0.0


@dataclass
class Outcome:
    """A requested run: its result (None when another run held the lease, or Asterisk is not
    configured), and whether a run was asked for while it ran (the caller queues it)."""

    result: SyncResult | None
    asked_meanwhile: bool = False


class PruneDeclined(Exception):
    """The administrator did not confirm deleting the keys pbxadmin does not own: nothing was sent."""


# Asked before a full run deletes keys pbxadmin does not own: given them, True to go on.
Confirm = Callable[[list[tuple[str, str]]], bool]


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
        # A device that changed hands changes its old and new users' device lists and hints.
        device_list = sorted(devices)
        for start in range(0, len(device_list), 500):
            batch = device_list[start : start + 500]
            for owner, keys in held_keys(f"DEVICE/{d}" for d in batch).items():
                users.add(keys.get(f"{owner}/user", "none"))
            users.update(Device.objects.filter(pk__in=batch).values_list("user_id", flat=True))
        users -= {"none", None}
    # The dialplan reload is the slow one: the others first.
    modules.sort(key=lambda m: (m == "dialplan", m))
    return users, devices, modules


def reload_action(module: str) -> dict[str, str]:
    """`Reload` for a module; the dialplan and the mailboxes with the CLI's `dialplan reload` /
    `voicemail reload`."""
    if module in RELOAD_COMMANDS:
        return {"Action": "Command", "Command": RELOAD_COMMANDS[module]}
    return {"Action": "Reload", "Module": module}


class _ReplyCheck:
    """Judges each reply as it arrives: errors that mean "already done" pass, others fail the run."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def __call__(self, action: dict[str, str], reply: ami.Reply) -> None:
        if reply.success:
            return
        message = reply.get("Message", "")
        name = action["Action"]
        if name in _REMOVALS and message in _ALREADY_GONE:
            return
        if name == "Reload" or action.get("Command") in RELOAD_COMMANDS.values():
            # A module that is not loaded (chan_sip on Asterisk 21) must not block the rest.
            output = reply.get("Output", "")
            output = " ".join(output) if isinstance(output, list) else output
            what = action.get("Module", action.get("Command", ""))
            self.warnings.append(f"Reload {what}: {message} {output}".strip())
            return
        what = action.get("Family", action.get("Context", ""))
        key = action.get("Key", action.get("Extension", ""))
        raise ami.AmiActionError(f"{name} {what}/{key}: {message}")


def error_kind(error: ami.AmiError) -> str:
    """What the banner calls this failure, from the AMI error class."""
    if isinstance(error, ami.AmiBusy):
        return ErrorKind.BUSY
    if isinstance(error, ami.AmiUnavailable):
        return ErrorKind.UNREACHABLE
    if isinstance(error, ami.AmiAuthError):
        return ErrorKind.LOGIN
    return ErrorKind.ACTION


def _lease() -> timedelta:
    return timedelta(seconds=settings.PBXADMIN_SYNC_LEASE)


def run_requested(
    *,
    owner: str | None = None,
    full: bool = False,
    prune_unknown: bool = False,
    confirm: Confirm | None = None,
    config: ami.AmiConfig | None = None,
) -> Outcome:
    """One run under the lease, as `owner` (default: this process). Another run holding it:
    nothing to do (it asks for a run at its end if one was asked for meanwhile). Raises
    ami.AmiError on failure."""
    owner = owner or f"local@{socket.gethostname()}/{os.getpid()}/direct"
    if not SyncStatus.acquire(owner, _lease()):
        return Outcome(None)
    try:
        result = run_sync(owner=owner, full=full, prune_unknown=prune_unknown, confirm=confirm, config=config)
    finally:
        asked = SyncStatus.finish(owner)
    return Outcome(result, asked_meanwhile=asked)


def run_sync(
    *,
    owner: str = "",
    full: bool = False,
    prune_unknown: bool = False,
    confirm: Confirm | None = None,
    config: ami.AmiConfig | None = None,
) -> SyncResult | None:
    """Push what changed (or, with `full`, everything) to Asterisk. Raises ami.AmiError on failure.

    Returns None when pbxadmin has no AMI account to use (AMI_SECRET unset): the files are
    written and the rest waits. `prune_unknown` (full runs only) also deletes the keys pbxadmin
    does not own; `confirm`, when given, is asked first with them, and a no sends nothing
    (PruneDeclined). Call it under the lease (`run_requested`) when other runs may start.
    """
    started = time.monotonic()
    config = config or ami.AmiConfig.from_settings()
    written = write_pending_files()
    if not config.configured:
        return None
    try:
        try:
            result = _Run(owner, config, full=full, prune_unknown=prune_unknown, confirm=confirm).go()
        except ValueError as e:
            # The adapter's guard refused a value (a line break, NUL): final, and said plainly.
            raise ami.AmiActionError(f"refused to send to Asterisk: {e}") from e
    except ami.AmiError as e:
        SyncStatus.fail(str(e), kind=error_kind(e))
        raise
    result.sent["files"] = len(written or ())
    result.seconds = time.monotonic() - started
    # Without the files AstDB is in step, the files are not: the banner keeps saying so.
    SyncStatus.succeed(
        actions=result.actions,
        warnings=result.warnings,
        sent=result.sent,
        keep_error=written is None,
        duration_s=result.seconds,
        full=full,
    )
    log.info(
        "asterisk sync%s: %s actions (%s puts, %s deletes, %s dialplan lines), reloads %s, %.2fs",
        " (full)" if full else "",
        result.actions,
        result.puts,
        result.deletes,
        result.dialplan_live,
        ",".join(result.reloads) or "none",
        result.seconds,
    )
    return result


class _Run:
    def __init__(self, owner, config, *, full, prune_unknown, confirm):
        self.owner, self.config = owner, config
        self.full, self.prune_unknown, self.confirm = full, prune_unknown, confirm
        self.check = _ReplyCheck()
        self.connected = False

    def go(self) -> SyncResult:
        # Only the rows read here are settled: a change committed during the run keeps its
        # row (and its request) for the next run.
        with no_write_under_way():
            pending = list(
                SyncChange.objects.exclude(kind=SyncChange.Kind.FILE).values_list("pk", "kind", "ref")
            )
        changes = [(kind, ref) for _pk, kind, ref in pending]
        users, devices, modules = _affected(changes)
        if self.full and "dialplan" not in modules:
            # Asterisk's running dialplan is not read back: the file is the truth, loaded whole.
            modules.append("dialplan")
        busy_before = SyncStatus.get().last_error_kind == ErrorKind.BUSY
        try:
            plan, dialplan_lines = self._push(
                users, devices, reloading_dialplan="dialplan" in modules, ping_first=busy_before
            )
            with transaction.atomic():
                self._record(plan)
                settled = [pk for pk, kind, _ref in pending if kind != SyncChange.Kind.RELOAD]
                _delete(settled)
            self._reload(modules, {ref: pk for pk, kind, ref in pending if kind == SyncChange.Kind.RELOAD})
        finally:
            if self.connected:
                SyncStatus.connected()
        return SyncResult(
            actions=len(plan.actions) + len(modules),
            puts=plan.puts,
            deletes=plan.deletes,
            reloads=modules,
            full=self.full,
            warnings=self.check.warnings,
            unknown=plan.unknown,
            pruned=self.full and self.prune_unknown,
            sent=sent_counts(changes),
            dialplan_live=dialplan_lines,
        )

    # --- step 3: AstDB and the users' dialplan entries ---------------------------------

    def _push(self, users, devices, *, reloading_dialplan: bool, ping_first: bool) -> tuple[Plan, int]:
        self.desired_keys = (
            desired_by_owner() if self.full else desired_by_owner(users=users, devices=devices)
        )
        self.owners = (
            set()
            if self.full
            else {f"AMPUSER/{u}" for u in users}
            | {f"CW/{u}" for u in users}
            | {f"DEVICE/{d}" for d in devices}
        )
        self.desired_entries = entries_by_user(None if self.full else users)
        # The owners pbxadmin wrote before (a full run deletes only those keys of theirs).
        self.written = set(AstdbEntry.objects.values_list("owner_key", flat=True)) if self.full else set()
        # A dialplan reload in this run loads every entry from the file: nothing to send live.
        live = (
            []
            if reloading_dialplan
            else live_dialplan.plan(self.desired_entries, live_dialplan.held(self.desired_entries))
        )
        progress = self._progress if self.full else None
        # The database is read here, not in the event loop.
        incremental = (
            None if self.full else plan_changes(self.desired_keys, held_keys(self.owners), self.owners)
        )

        async def exchange(session: ami.AmiSession) -> Plan:
            self.connected = True
            if ping_first:
                # The last run left Asterisk busy (a reload it did not see end): let it finish.
                await session.send_one({"Action": "Ping"}, timeout=self.config.slow_timeout)
            if self.full:
                held = by_owner(await read_families(session, timeout=self.config.slow_timeout))
                plan = plan_full(self.desired_keys, held, self.written, prune_unknown=self.prune_unknown)
                wanted = self.prune_unknown and plan.unknown and self.confirm is not None
                if wanted and not await asyncio.to_thread(self.confirm, plan.unknown):
                    raise PruneDeclined
            else:
                plan = incremental
            plan.actions += live
            # With nothing to send the run still logs in (and pings): "Sync now" is how an
            # administrator checks the link, and the banner says what it found.
            await session.push(plan.actions or [{"Action": "Ping"}], self.check, progress)
            return plan

        plan = ami.run(exchange, self.config)
        return plan, len(live)

    def _progress(self, done: int, total: int) -> None:
        """A long push (a first full sync) says how far it is, and keeps its claim on the run."""
        SyncStatus.progressed("AstDB keys written", done, total)
        if self.owner:
            SyncStatus.renew(self.owner, _lease())

    def _record(self, plan: Plan) -> None:
        record_keys(self.desired_keys, self.owners, everything=self.full)
        live_dialplan.record(self.desired_entries, everything=self.full)

    # --- step 4: reloads, one at a time -------------------------------------------------

    def _reload(self, modules: list[str], rows: dict[str, int]) -> None:
        for module in modules:
            SyncStatus.reloading_now(RELOAD_WORDS.get(module, module))
            if self.owner:
                SyncStatus.renew(self.owner, _lease() + timedelta(seconds=self.config.slow_timeout))
            action = reload_action(module)
            try:
                reply = ami.run(
                    lambda session, a=action: session.send_one(a, timeout=self.config.slow_timeout),
                    self.config,
                )
            except ami.AmiNoAnswer as e:
                # Received, and still under way in Asterisk: never sent again for this change.
                _delete([rows[module]] if module in rows else [])
                raise ami.AmiBusy(
                    f"Asterisk is busy reloading {RELOAD_WORDS.get(module, module)}: "
                    f"no answer within {self.config.slow_timeout:.0f}s ({e})"
                ) from e
            self.connected = True
            self.check(action, reply)
            _delete([rows[module]] if module in rows else [])
        SyncStatus.reloading_now("")


def _delete(ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        SyncChange.objects.filter(pk__in=ids[start : start + 500]).delete()
