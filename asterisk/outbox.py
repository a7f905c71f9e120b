"""The one call business code makes: `changed(users=…, devices=…)`, inside its transaction.

It records in the outbox which users and devices changed and which config
files that touches, in the same transaction as the change (a rollback records
nothing). After the commit the files are written (in the request, or by the
process's file writer when the sync runs in the background) and a sync is asked
for; if the process dies first, the rows are still there and the next run
(another save, the worker, `writeconf`, `asterisk_sync`) does the work.
"""

import functools
import threading
from collections.abc import Iterable

from django.db import transaction

from asterisk import runner
from asterisk.file_writer import FileWriter
from asterisk.files import file_rewrite, files_for, files_for_sip_settings, write_pending_files
from asterisk.models import SyncChange
from asterisk.tasks import request_sync
from audit import trail
from audit.models import Action, ObjectType

_state = threading.local()


def changed(*, users: Iterable[str] = (), devices: Iterable[str] = ()) -> None:
    """Say that these users and devices changed (or were created, or deleted) in this transaction."""
    users = {str(u) for u in users if u}
    devices = {str(d) for d in devices if d}
    if not users and not devices:
        return
    rows = [SyncChange(kind=SyncChange.Kind.USER, ref=u) for u in sorted(users)]
    rows += [SyncChange(kind=SyncChange.Kind.DEVICE, ref=d) for d in sorted(devices)]
    rows += [SyncChange(kind=SyncChange.Kind.FILE, ref=f) for f in sorted(files_for(users, devices))]
    SyncChange.objects.bulk_create(rows)
    # Each call registers a callback, so a savepoint that rolls back takes its
    # own callback with its own rows; the first callback to run after the
    # commit does the work for all of them, the rest see the round is done.
    transaction.on_commit(functools.partial(_after_commit, _round()))


def sip_settings_changed() -> None:
    """Say that the SIP settings changed in this transaction: their files and the devices' transports follow."""
    SyncChange.objects.bulk_create(
        [SyncChange(kind=SyncChange.Kind.FILE, ref=f) for f in sorted(files_for_sip_settings())]
    )
    transaction.on_commit(functools.partial(_after_commit, _round()))


def _write_files_then_ask_for_sync() -> None:
    """The writer's round. Its reloads are queued after the save asked for a sync, which may
    have run and ended before them: they ask for their own (coalesced) run."""
    if write_pending_files():
        request_sync(files_too=False)


writer = FileWriter(_write_files_then_ask_for_sync)


def _round() -> int:
    return getattr(_state, "round", 0)


def _after_commit(round: int) -> None:
    if round != _round():
        return
    _state.round = round + 1
    if runner.in_background():
        writer.wake()
    else:
        write_pending_files()
    request_sync()


def rewrite_file(*, name: str) -> bool:
    """An administrator's "Rewrite this file" (a hand edit undone); the reload is sent at once."""
    changed = file_rewrite(name=name)
    trail.record(action=Action.REWROTE, kind=ObjectType.FILE, ref=name, label=name)
    request_sync()
    return changed
