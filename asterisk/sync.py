"""Make Asterisk's AstDB, its running dialplan and its loaded config follow the database.

A sync run (`run_requested`; one at a time, on any host: the lease in `SyncStatus`):

1. pushes the AstDB keys the database implies for the users and devices the pending
   outbox rows name, sending only what differs from what Asterisk holds (as of the
   last push: `asterisk.astdb_plan`), pipelined over one AMI connection; a user's
   name is in Asterisk as soon as this step ends;
2. writes the config files the outbox names (the worker leaves this to a run of its own,
   `asterisk.tasks.write_config_files`, so a render never holds up the next push),
   queueing the reload of each module whose file changed;
3. applies the changed users' dialplan entries to the running dialplan
   (`asterisk.live_dialplan`), after the file that a restart would load;
4. records what Asterisk now holds, settles the rows it read, and leaves the reloads to
   a run of their own (`run_reloads`), so a slow reload never holds up the next change.

A reload run (`run_reloads`, its own lease: one reload in flight at a time) sends the
queued reloads one by one, each given as long as Asterisk needs (AMI_RELOAD_TIMEOUT),
settling each once answered. A reload whose files Asterisk read when it last started
(every one of them older than its boot: a `writeconf` before a restart, a first install) is
settled without being sent: at 10,000 extensions a needless dialplan reload costs over a
minute of Asterisk's time. One still unanswered after that was received: it is
settled too (Asterisk is finishing it) and the run ends as *busy*, never
*unreachable*; the next reload run waits for Asterisk to answer a Ping before it
sends anything. A reload is never sent twice for one change.

A run that fails before a step records nothing of that step: the next run sends the same
difference again. A full run (`asterisk_sync --full`) reads the AstDB families back from
Asterisk instead of trusting the record, reloads the dialplan from the file (unless Asterisk
started after the file was written: its running dialplan is the file's), and sends its
reloads itself.
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
from asterisk.astdb import by_owner, desired_by_owner, user_owners
from asterisk.astdb_plan import Plan, held_keys, plan_changes, plan_full, read_families, record_keys
from asterisk.files import conf_dir, no_write_under_way, write_pending_files
from asterisk.models import AstdbEntry, ErrorKind, SyncChange, SyncStatus
from asterisk.render.dialplan import entries_by_user
from asterisk.render.generate import FILE_RELOAD
from directory.devices.models import Device

log = logging.getLogger(__name__)

# Replies that mean "already gone": deleting twice is not a failure.
_ALREADY_GONE = ("Database entry could not be deleted", "Database entry not found", live_dialplan.NOT_THERE)
_REMOVALS = ("DBDel", "DBDelTree", "DialplanExtensionRemove")

# Reloaded with a CLI command rather than `Reload`, as FreePBX does.
RELOAD_COMMANDS = {"dialplan": "dialplan reload", "voicemail": "voicemail reload"}
# The order reloads go in when several wait: what Asterisk needs the least time for first
# (at 10,000 extensions chan_sip reloads in tens of milliseconds, res_pjsip in a few hundred,
# the mailboxes and the dialplan in seconds).
_RELOAD_ORDER = ("chan_sip.so", "chan_iax2.so", "chan_dahdi.so", "res_pjsip.so", "voicemail", "dialplan")


def reload_cost(module: str) -> tuple[int, str]:
    return (_RELOAD_ORDER.index(module) if module in _RELOAD_ORDER else 3, module)


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
    files_written: bool = True
    # Milliseconds per step (read, astdb, files, dialplan, record, reloads).
    phases: dict[str, float] = field(default_factory=dict)


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
    modules.sort(key=reload_cost)
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
    files: bool = True,
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
        result = run_sync(
            owner=owner, full=full, files=files, prune_unknown=prune_unknown, confirm=confirm, config=config
        )
    finally:
        asked = SyncStatus.finish(owner)
    return Outcome(result, asked_meanwhile=asked)


def run_sync(
    *,
    owner: str = "",
    full: bool = False,
    files: bool = True,
    prune_unknown: bool = False,
    confirm: Confirm | None = None,
    config: ami.AmiConfig | None = None,
) -> SyncResult | None:
    """Push what changed (or, with `full`, everything) to Asterisk. Raises ami.AmiError on failure.

    Returns None when pbxadmin has no AMI account to use (AMI_SECRET unset): the files are
    written and the rest waits. `prune_unknown` (full runs only) also deletes the keys pbxadmin
    does not own; `confirm`, when given, is asked first with them, and a no sends nothing
    (PruneDeclined). Call it under the lease (`run_requested`) when other runs may start.
    A full run also sends the reloads; an incremental one leaves them to `run_reloads`.
    With `files` False (the worker's runs) the files are left to their own writer
    (`asterisk.tasks.write_config_files`), so rendering them never holds up the next AstDB push.
    """
    started = time.monotonic()
    config = config or ami.AmiConfig.current()
    if not config.configured:
        if files:
            write_pending_files()
        return None
    try:
        try:
            run = _Run(owner, config, full=full, prune_unknown=prune_unknown, confirm=confirm)
            result = run.go(files=files or full)
        except ValueError as e:
            # The adapter's guard refused a value (a line break, NUL): final, and said plainly.
            raise ami.AmiActionError(f"refused to send to Asterisk: {e}") from e
    except ami.AmiError as e:
        SyncStatus.fail(str(e), kind=error_kind(e))
        raise
    result.seconds = time.monotonic() - started
    # Without the files AstDB is in step, the files are not: the banner keeps saying so.
    SyncStatus.succeed(
        actions=result.actions,
        warnings=result.warnings,
        sent=result.sent,
        keep_error=not result.files_written,
        duration_s=result.seconds,
        full=full,
        files_checked=files or full,
    )
    log.info(
        "asterisk sync%s: %s actions (%s puts, %s deletes, %s dialplan lines), reloads %s, %.3fs (%s)",
        " (full)" if full else "",
        result.actions,
        result.puts,
        result.deletes,
        result.dialplan_live,
        ",".join(result.reloads) or "none",
        result.seconds,
        ", ".join(f"{phase} {ms:.0f} ms" for phase, ms in result.phases.items()),
    )
    return result


class _Run:
    def __init__(self, owner, config, *, full, prune_unknown, confirm):
        self.owner, self.config = owner, config
        self.full, self.prune_unknown, self.confirm = full, prune_unknown, confirm
        self.check = _ReplyCheck()
        self.phases: dict[str, float] = {}
        self._clock = time.monotonic()

    def _lap(self, phase: str) -> None:
        now = time.monotonic()
        self.phases[phase] = (now - self._clock) * 1000
        self._clock = now

    def go(self, *, files: bool) -> SyncResult:
        # Only the rows read here are settled: a change committed during the run keeps its
        # row (and its request) for the next run.
        pending = list(SyncChange.objects.exclude(kind=SyncChange.Kind.FILE).values_list("pk", "kind", "ref"))
        changes = [(kind, ref) for _pk, kind, ref in pending]
        users, devices, _modules = _affected(changes)
        self._lap("read")
        busy_before = SyncStatus.get().last_error_kind == ErrorKind.BUSY
        plan = self._push_keys(users, devices, ping_first=busy_before and self.full)
        self._lap("astdb")
        written = write_pending_files() if files else []
        self._lap("files")
        live = self._push_dialplan(users)
        self._lap("dialplan")
        with transaction.atomic():
            record_keys(self.desired_keys, self.owners, everything=self.full)
            live_dialplan.record(self.desired_entries, everything=self.full)
            _delete([pk for pk, kind, _ref in pending if kind != SyncChange.Kind.RELOAD])
        self._lap("record")
        reloads: list[str] = []
        if self.full:
            # A full run reloads the dialplan from the file, and sends its reloads itself (unless
            # a reload run is under way: it takes them) to report them.
            SyncChange.objects.create(kind=SyncChange.Kind.RELOAD, ref="dialplan")
            outcome = run_reloads(owner=self.owner, config=self.config)
            if outcome is not None:
                reloads, self.check.warnings = outcome.reloads, outcome.warnings
            self._lap("reloads")
        return SyncResult(
            actions=len(plan.actions) + live + len(reloads),
            puts=plan.puts,
            deletes=plan.deletes,
            reloads=reloads,
            full=self.full,
            warnings=self.check.warnings,
            unknown=plan.unknown,
            pruned=self.full and self.prune_unknown,
            sent=sent_counts(changes, files=len(written or ())),
            dialplan_live=live,
            files_written=written is not None,
            phases=self.phases,
        )

    # --- step 1: AstDB ------------------------------------------------------------------

    def _push_keys(self, users, devices, *, ping_first: bool) -> Plan:
        self.desired_keys = (
            desired_by_owner() if self.full else desired_by_owner(users=users, devices=devices)
        )
        self.owners = (
            set()
            if self.full
            else {owner for u in users for owner in user_owners(u)} | {f"DEVICE/{d}" for d in devices}
        )
        # The owners pbxadmin wrote before (a full run deletes only those keys of theirs).
        self.written = set(AstdbEntry.objects.values_list("owner_key", flat=True)) if self.full else set()
        progress = self._progress if self.full else None
        # The database is read here, not in the event loop.
        incremental = (
            None if self.full else plan_changes(self.desired_keys, held_keys(self.owners), self.owners)
        )

        async def exchange(session: ami.AmiSession) -> Plan:
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
            # With nothing to send the run still logs in (and pings): "Sync now" is how an
            # administrator checks the link, and the banner says what it found.
            await session.push(plan.actions or [{"Action": "Ping"}], self.check, progress)
            return plan

        if self.full:
            SyncStatus.progressed("reading what Asterisk holds", 0, 0)
        plan = ami.run(exchange, self.config)
        SyncStatus.connected()
        return plan

    def _progress(self, done: int, total: int) -> None:
        """A long push (a first full sync) says how far it is, and keeps its claim on the run."""
        SyncStatus.progressed("AstDB keys written", done, total)
        if self.owner:
            SyncStatus.renew(self.owner, _lease())

    # --- step 3: the users' dialplan entries ----------------------------------------------

    def _push_dialplan(self, users) -> int:
        self.desired_entries = entries_by_user(None if self.full else users)
        if self.full:
            # Asterisk's running dialplan is not read back: the file is the truth, loaded whole.
            return 0
        actions = live_dialplan.plan(self.desired_entries, live_dialplan.held(self.desired_entries))
        if actions:
            ami.run(lambda session: session.push(actions, self.check), self.config)
        return len(actions)


@dataclass
class ReloadOutcome:
    reloads: list[str]
    warnings: list[str]


def run_reloads(*, owner: str | None = None, config: ami.AmiConfig | None = None) -> ReloadOutcome | None:
    """Send the queued reloads, under their own lease; None when another reload run holds it (it
    takes what was queued meanwhile before it ends) or Asterisk is not configured."""
    owner = owner or f"local@{socket.gethostname()}/{os.getpid()}/direct"
    config = config or ami.AmiConfig.current()
    if not config.configured or not SyncStatus.acquire(owner, _lease(), kind="reload"):
        return None
    try:
        return _Reloads(owner, config).go()
    except ami.AmiError as e:
        SyncStatus.fail(str(e), kind=error_kind(e))
        raise
    finally:
        SyncStatus.finish(owner, kind="reload")


# Files written within this many seconds are a live change's: reloaded without asking whether
# Asterisk started after them (a reload is always safe; the common case saves the round trip).
_RECENT_S = 2.0
_UNASKED = object()


class _Reloads:
    """One reload at a time, until none waits; each settled once Asterisk has it."""

    def __init__(self, owner: str, config: ami.AmiConfig):
        self.owner, self.config = owner, config
        self.check = _ReplyCheck()
        # When Asterisk started (asked at most once a run, only when it can spare a reload).
        self.booted_at: float | object | None = _UNASKED

    def _waiting(self) -> dict[str, list[int]]:
        # Read under the files' lock: a reload queued for a file being written is read only
        # once the file is in place.
        with no_write_under_way():
            rows = SyncChange.objects.filter(kind=SyncChange.Kind.RELOAD).values_list("pk", "ref")
            waiting: dict[str, list[int]] = {}
            for pk, ref in rows:
                waiting.setdefault(ref, []).append(pk)
        return waiting

    def _ask_boot(self) -> float | None:
        """When Asterisk last started, as a time of this machine's clock, from its uptime (seconds,
        whatever its time zone); None when it cannot say."""
        try:
            lines = ami.run(lambda session: session.command("core show uptime seconds"), self.config)
        except ami.AmiActionError:
            return None
        for line in lines:
            label, _, value = line.partition(":")
            if label.strip() == "System uptime" and value.strip().isdigit():
                # The uptime is whole seconds, rounded down: the boot may be up to a second earlier.
                return time.time() - int(value) - 1.0
        return None

    def _loaded_at_boot(self, module: str) -> bool:
        """Whether Asterisk read every file of `module` as it is now when it started: each was
        last written before the boot. A file written since, or missing, needs the reload."""
        names = [name for name, reloaded in FILE_RELOAD.items() if reloaded == module]
        if not names:
            return False
        directory = conf_dir()
        try:
            newest = max((directory / name).stat().st_mtime for name in names)
        except OSError:
            return False
        if time.time() - newest < _RECENT_S:
            return False
        if self.booted_at is _UNASKED:
            self.booted_at = self._ask_boot()
        return self.booted_at is not None and newest < self.booted_at

    def go(self) -> ReloadOutcome:
        sent: list[str] = []
        if SyncStatus.get().last_error_kind == ErrorKind.BUSY:
            # The last reload run left Asterisk busy: let it finish before asking for more.
            ami.run(
                lambda session: session.send_one({"Action": "Ping"}, timeout=self.config.slow_timeout),
                self.config,
            )
        timings = []
        # The cheapest waiting reload first, looked for again after each one: a chan_sip change
        # (milliseconds) never waits behind the mailboxes or the dialplan (seconds at 10,000),
        # and a slow module waits at most for the cheap ones that keep arriving. Rows queued
        # for a module while its reload runs get a reload of their own (the file may have
        # changed after Asterisk read it).
        while waiting := self._waiting():
            module = min(waiting, key=reload_cost)
            if self._loaded_at_boot(module):
                _delete(waiting[module])
                timings.append(f"{module} loaded at boot, not reloaded")
                continue
            started = time.monotonic()
            self._one(module, waiting[module])
            timings.append(f"{module} {(time.monotonic() - started) * 1000:.0f} ms")
            sent.append(module)
        SyncStatus.reloading_now("")
        SyncStatus.reloads_done(self.check.warnings)
        if timings:
            log.info("asterisk reloads: %s", ", ".join(timings))
        return ReloadOutcome(sent, self.check.warnings)

    def _one(self, module: str, rows: list[int]) -> None:
        SyncStatus.reloading_now(RELOAD_WORDS.get(module, module))
        if self.owner:
            SyncStatus.renew(
                self.owner, _lease() + timedelta(seconds=self.config.slow_timeout), kind="reload"
            )
        action = reload_action(module)
        try:
            reply = ami.run(
                lambda session: session.send_one(action, timeout=self.config.slow_timeout), self.config
            )
        except ami.AmiNoAnswer as e:
            # Received, and still under way in Asterisk: never sent again for this change.
            _delete(rows)
            raise ami.AmiBusy(
                f"Asterisk is busy reloading {RELOAD_WORDS.get(module, module)}: "
                f"no answer within {self.config.slow_timeout:.0f}s ({e})"
            ) from e
        self.check(action, reply)
        _delete(rows)


def _delete(ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        SyncChange.objects.filter(pk__in=ids[start : start + 500]).delete()
