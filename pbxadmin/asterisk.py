"""The boundary between business operations and Asterisk.

Services call `asterisk_changed()` inside their transaction to say what their
change touches: which technologies' files, which users' and devices' AstDB
keys. The AstDB work is recorded as SyncChange rows in the same transaction
(a rollback records nothing); after the commit the files are regenerated and
one sync is requested. A burst of saves (an import, 500 saves a second) leads
to one or a few sync runs, not one per save.
"""

import functools
import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from endpoints.files import changed_modules, files_for_techs, write_files
from pbxadmin.models import SyncChange, SyncStatus

log = logging.getLogger(__name__)

_pending = threading.local()

# A request older than this with no run to show for it (a worker restarted,
# a process died) no longer blocks new requests.
STALE_REQUEST = timedelta(minutes=10)


def asterisk_changed(
    *, techs: Iterable[str] = (), users: Iterable[str] = (), devices: Iterable[str] = ()
) -> None:
    """Record, inside the current transaction, what this change makes Asterisk out of date on."""
    rows = [SyncChange(kind=SyncChange.Kind.USER, ref=str(u)) for u in set(users) if u]
    rows += [SyncChange(kind=SyncChange.Kind.DEVICE, ref=str(d)) for d in set(devices) if d]
    if rows:
        SyncChange.objects.bulk_create(rows)
    pending: set[str] | None = getattr(_pending, "techs", None)
    if pending is None:
        pending = _pending.techs = set()
    pending.update(techs)
    # One callback per transaction, even for a 10,000-row import. Django drops
    # a callback registered in a savepoint that rolls back: then the next call
    # no longer finds it and registers a new one. The callback takes the whole set.
    callback = getattr(_pending, "callback", None)
    if callback is None or not any(func is callback for _sids, func, _robust in connection.run_on_commit):
        _pending.callback = functools.partial(_flush)
        transaction.on_commit(_pending.callback)


def _flush() -> None:
    _pending.callback = None
    techs = getattr(_pending, "techs", None)
    if techs is None:
        return
    _pending.techs = None
    apply_changes(techs=techs)


def apply_changes(*, techs: Iterable[str]) -> list[str]:
    """Regenerate the files of these technologies, queue reloads for those that changed, request a sync."""
    names = files_for_techs(techs)
    try:
        changed = write_files(names) if names else []
    except OSError as e:
        # The save is committed and stays: say so on the status banner; the
        # next save, or `manage.py writeconf`, writes the files again.
        log.error("could not write the Asterisk config files: %s", e)
        SyncStatus.get()
        SyncStatus.objects.filter(pk=1).update(
            last_error=f"Could not write the config files: {e}", last_error_at=timezone.now()
        )
        changed = []
    modules = changed_modules(changed)
    if modules:
        SyncChange.objects.bulk_create(
            [SyncChange(kind=SyncChange.Kind.RELOAD, ref=m) for m in sorted(modules)]
        )
    request_sync()
    return changed


def request_sync(*, force: bool = False) -> bool:
    """Ask for a sync run unless one is already asked for; return whether this call asked."""
    if not force and not SyncChange.objects.exists():
        return False
    SyncStatus.get()
    now = timezone.now()
    claimable = Q(queued=False) | Q(queued_at__lt=now - STALE_REQUEST)
    claimed = SyncStatus.objects.filter(claimable, pk=1).update(queued=True, queued_at=now)
    if not claimed and not force:
        return False
    mode = sync_mode()
    if mode == "celery":
        from pbxadmin.tasks import sync_asterisk

        sync_asterisk.apply_async(countdown=settings.PBXADMIN_SYNC_DELAY)
    elif mode == "thread":
        threading.Thread(target=_sync_in_thread, name="asterisk-sync", daemon=True).start()
    elif mode == "inline":
        from pbxadmin.ami import AmiError

        try:
            run_requested_sync()
        except AmiError:
            # The save stands; the error is on the status banner, and the next
            # change (or "sync now") tries again.
            SyncStatus.objects.filter(pk=1).update(queued=False, queued_at=None)
    return True


def sync_mode() -> str:
    if settings.PBXADMIN_SYNC != "auto":
        return settings.PBXADMIN_SYNC
    return "celery" if settings.CELERY_BROKER_URL else "thread"


def run_requested_sync(*, full: bool = False):
    """One requested run: on success clear the request, and ask again if more work arrived meanwhile.

    Raises ami.AmiError when Asterisk could not be brought up to date; the
    request stays claimed so that the caller's retry is the run that follows.
    """
    from pbxadmin import ami
    from pbxadmin.sync import run_sync

    SyncStatus.objects.filter(pk=1).update(queued_at=timezone.now())
    try:
        result = run_sync(full=full)
    except ami.AmiError as e:
        if not e.retryable:
            SyncStatus.objects.filter(pk=1).update(queued=False, queued_at=None)
        raise
    SyncStatus.objects.filter(pk=1).update(queued=False, queued_at=None)
    request_sync()
    return result


def _sync_in_thread() -> None:
    """Without a broker: retry in this process with the same backoff a worker would use."""
    from django.db import connection

    from pbxadmin import ami

    delay = 2.0
    try:
        while True:
            try:
                run_requested_sync()
                return
            except ami.AmiError as e:
                if not e.retryable:
                    log.error("asterisk sync failed: %s", e)
                    return
                log.warning("asterisk sync will retry in %.0fs: %s", delay, e)
                time.sleep(delay)
                delay = min(delay * 2, settings.PBXADMIN_SYNC_BACKOFF_MAX)
    finally:
        connection.close()
