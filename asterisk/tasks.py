"""The sync as Celery tasks, how to ask for one, and what a starting worker takes up.

Three kinds of run, each never in the way of the others: `sync_asterisk` pushes AstDB and
the users' dialplan entries (milliseconds: a user's name is live at once),
`write_config_files` regenerates the files the outbox names (hundreds of milliseconds at
10,000 extensions), and `reload_asterisk` sends the reloads those files need (up to
seconds). A sync run asks for the files run, and the files run for the reloads.

A save asks for a run after its commit (`request_sync`): the first change after a
quiet spell goes out at once, and a burst coalesces into the runs it overlaps
(a request that finds one already asked for adds nothing; the run to come reads
every row committed before it begins). One run at a time, on any host, by the
lease in `SyncStatus`. Retries are Celery's: exponential backoff while Asterisk
is unreachable or busy, for as long as it takes.

Nothing here can turn a committed save into an error: with the broker down the
request is dropped (the outbox keeps the work) and asked again by the periodic
`sync_if_pending`, by the next save, or by a worker's start (`recover`).

Every run is for ONE server (README "Several servers"): a task takes the server's id, runs
inside `using(server)` (its outbox rows, status row, leases, files and AMI account) and goes to
the server's own queue, `pbx.<name>`, which the worker on (or for) that PBX host consumes. A
server that is down retries on its own queue and delays no other server's runs.
"""

import logging
import os
import socket

from celery import shared_task
from django.conf import settings

from asterisk import files, sync
from asterisk.ami import AmiBusy, AmiUnavailable
from asterisk.models import SyncChange, SyncStatus
from directory.servers.current import current, default, every_server, using
from directory.servers.models import Server

log = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(AmiUnavailable, AmiBusy),
    retry_backoff=2,
    retry_backoff_max=settings.PBXADMIN_SYNC_BACKOFF_MAX,
    retry_jitter=False,
    max_retries=None,  # Asterisk will come back; the backoff is what is bounded.
    acks_late=True,
)
def sync_asterisk(self, server_id: int | None = None) -> dict:
    """Push the pending AstDB and dialplan changes of one server (None: the default one); ask for
    the files and the reloads they need."""
    server = _server(server_id)
    if server is None:
        return {"ran": False}
    with using(server):
        return _sync(self)


def _sync(self) -> dict:
    owner = _owner(self.request)
    try:
        outcome = sync.run_requested(owner=owner, files=False)
    except (AmiUnavailable, AmiBusy):
        # The files need no Asterisk: written now, loaded by the reloads once it answers.
        if _files_waiting():
            request_files()
        if self.max_retries is None or self.request.retries < self.max_retries:
            # One retry chain is enough: later saves find a run asked for and add none.
            SyncStatus.request(force=True)
        raise
    if outcome.asked_meanwhile:
        _enqueue()
    if _files_waiting():
        request_files()
    if _reloads_waiting():
        # Asterisk answers again: reloads queued while it was away need not wait out their backoff.
        _enqueue(reload_asterisk)
    result = outcome.result
    if result is None:
        return {"ran": False}
    return {"ran": True, "actions": result.actions, "phases": result.phases}


@shared_task(
    bind=True,
    autoretry_for=(AmiUnavailable, AmiBusy),
    retry_backoff=2,
    retry_backoff_max=settings.PBXADMIN_SYNC_BACKOFF_MAX,
    retry_jitter=False,
    max_retries=None,
    acks_late=True,
)
def reload_asterisk(self, server_id: int | None = None) -> dict:
    """Send the queued reloads, one at a time (a run of their own: never in the way of AstDB)."""
    server = _server(server_id)
    if server is None:
        return {"ran": False}
    with using(server):
        return _reload(self)


def _reload(self) -> dict:
    outcome = sync.run_reloads(owner=_owner(self.request))
    if outcome is not None and _reloads_waiting():
        # Queued after the run looked for the last time, by a run whose request found it busy.
        _enqueue(reload_asterisk)
    if outcome is None:
        return {"ran": False}
    return {"ran": True, "reloads": outcome.reloads, "warnings": outcome.warnings}


@shared_task(acks_late=True)
def write_config_files(server_id: int | None = None) -> dict:
    server = _server(server_id)
    if server is None:
        return {"written": []}
    with using(server):
        return _write_config_files()


def _write_config_files() -> dict:
    """Write the config files the outbox names, then ask for the reloads they need.

    At most one writer is asked for beyond the one writing (`request_files`); the pending rows
    are read under the files' lease, so the next writer takes every save made meanwhile. A
    write that fails keeps its rows: the periodic check asks again.
    """
    written = files.write_pending_files()
    if _reloads_waiting():
        _enqueue(reload_asterisk)
    return {"written": written}


def request_files() -> bool:
    """Ask for a files run unless one is asked for already and no writer has begun since."""
    if not SyncStatus.request(kind="files"):
        return False
    if not _enqueue(write_config_files):
        SyncStatus.unrequest(kind="files")
        return False
    return True


def _files_waiting() -> bool:
    return SyncChange.objects.filter(kind=SyncChange.Kind.FILE).exists()


def _reloads_waiting() -> bool:
    return SyncChange.objects.filter(kind=SyncChange.Kind.RELOAD).exists()


@shared_task(acks_late=True)
def sync_if_pending() -> bool:
    """The periodic safety net (celery beat): a change whose request never reached a worker (the
    broker was down at the save, the process that saved died before it asked, a message was
    lost) is synced now, server by server. With no run under way it asks whatever the request
    flag says: a second request is harmless (runs coalesce), a lost one would wait for it to go stale."""
    asked = False
    for server in every_server():
        with using(server):
            if not SyncChange.objects.exists() or SyncStatus.get().running_by:
                continue
            SyncStatus.request(force=True)
            asked = _enqueue() or asked
    return asked


def server_queues() -> list[str]:
    """Every server's queue (`pbx.<name>`): what a worker started with --all-servers consumes."""
    return [server.queue for server in every_server()]


def default_server_queue() -> str:
    """The default server's queue: what a worker started with no -Q consumes besides its own."""
    return default().queue


def _server(server_id: int | None) -> Server | None:
    """The server a task runs for (None: the default one, as tasks queued before servers were);
    None when it was deleted since the task was queued (its rows went with it)."""
    if server_id is None:
        return current()
    server = Server.objects.filter(pk=server_id).first()
    if server is None:
        log.info("server %s was deleted: its queued run has nothing to do", server_id)
    return server


def _owner(request) -> str:
    """Who runs: the worker's node name (what `recover` matches), this process, this task."""
    node = request.hostname or f"local@{socket.gethostname()}"
    return f"{node}/{os.getpid()}/{request.id or '-'}"


def _enqueue(task=None) -> bool:
    """Hand a run (a sync, `write_config_files` or `reload_asterisk`) of the server in use to its
    queue (`pbx.<name>`); False (logged) when the broker cannot be reached: the outbox keeps the
    work, and the periodic check asks again."""
    task = task or sync_asterisk
    server = current()
    try:
        task.apply_async((server.pk,), queue=server.queue)
    except Exception as e:  # kombu raises its own and the socket's errors alike
        log.warning("could not ask a worker for a sync (the change is kept and follows later): %s", e)
        if task is sync_asterisk:
            SyncStatus.unrequest()
        return False
    return True


def request_sync(*, force: bool = False, files_too: bool = True, server: Server | None = None) -> bool:
    """Ask each server (or only `server`) for a sync run unless one is already asked for or it has
    nothing waiting; return whether this call asked any.

    `force` ("Sync now") asks even with nothing pending or a run already asked for.
    """
    asked = False
    for one in [server] if server is not None else every_server():
        with using(one):
            asked = _request_one(force=force, files_too=files_too) or asked
    return asked


def _request_one(*, force: bool, files_too: bool) -> bool:
    pending = SyncChange.objects.all() if files_too else SyncChange.objects.exclude(kind=SyncChange.Kind.FILE)
    if not force and not pending.exists():
        return False
    if not SyncStatus.request(force=force):
        return False
    return _enqueue()


def recover(*, node: str) -> None:
    """A worker starts as `node`: lift the runs an earlier life of it held (killed mid-run) and
    ask for a run if anything waits, instead of waiting for the claim to expire; server by server."""
    for server in every_server():
        with using(server):
            _recover_one(node)


def _recover_one(node: str) -> None:
    if SyncStatus.release_node(node):
        log.warning("a sync run of an earlier %s did not finish; taking it up again", node)
    if SyncChange.objects.exists():
        SyncStatus.request(force=True)
        _enqueue()
    if _files_waiting():
        # The writer asked for may have died with the earlier life: ask again, whatever the flag says.
        SyncStatus.request(force=True, kind="files")
        _enqueue(write_config_files)
    if _reloads_waiting():
        _enqueue(reload_asterisk)
