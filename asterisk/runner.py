"""Run a Celery task in the background: on a worker when there is a broker, else in a thread.

One runner serves the AstDB sync and the bulk import alike. On a worker,
Celery owns the retries (the task's `autoretry_for` and backoff); in a thread
this module retries the same errors with the same capped exponential backoff.
"""

import logging
import threading
import time
import weakref
from collections.abc import Callable

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)


# Whether this process keeps running after the call that asked for background
# work (the WSGI app, runserver, the FastAGI service). A management command or a
# script ends when its work is done: a thread would die with it, leaving the
# sync claimed and undone, so without a broker it does the work itself.
_serving = False
_in_worker = False


def serving() -> None:
    """Declare this process long-lived: without a broker, background work may use its threads."""
    global _serving
    _serving = True


def mode() -> str:
    """celery, thread, inline (in the calling request) or manual (only when a command asks)."""
    if settings.PBXADMIN_SYNC != "auto":
        return settings.PBXADMIN_SYNC
    if settings.CELERY_BROKER_URL:
        return "celery"
    return "thread" if _serving else "inline"


def working() -> None:
    """Declare this process a Celery worker: a task's saves write their files in the task
    (the worker's sync writes pending files anyway; a second writer would render them twice)."""
    global _in_worker
    _in_worker = True


def in_background() -> bool:
    """Whether a save hands its files to the process's writer thread (not the request, not a
    command, not a worker's task) and its sync to a worker or thread."""
    return mode() in ("celery", "thread") and not _in_worker


def run_in_background(
    task, *args, countdown: float = 0, on_give_up: Callable[[], None] | None = None
) -> None:
    """Run `task(*args)` away from the caller. `on_give_up` runs when a retryable error is
    not retried (inline mode); final errors are the task's own business."""
    how = mode()
    if how == "celery":
        task.apply_async(args, countdown=countdown)
    elif how == "thread":
        thread = threading.Thread(
            target=_run_with_retries, args=(task, args, countdown), daemon=True, name=task.name
        )
        _threads.add(thread)
        thread.start()
    else:  # inline; manual concerns only the AstDB sync, which does not ask in that mode
        # After a commit (a save, an import): the save stands whatever the task meets,
        # and the task keeps its own record of it (the sync status, the job).
        try:
            task.run(*args)
        except _retryable(task) as e:
            log.warning("%s failed and is not retried in inline mode: %s", task.name, e)
            if on_give_up is not None:
                on_give_up()
        except Exception as e:
            log.warning("%s failed: %s", task.name, e)


def _retryable(task) -> tuple[type[BaseException], ...]:
    return tuple(getattr(task, "autoretry_for", ()) or ())


# Set to make this process's task threads end at their next wait (stop_threads).
_stopping = threading.Event()
_threads: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()


def stop_threads(timeout: float) -> list[str]:
    """End the task threads this process started, at their next wait (one under way finishes
    its run); return the names of those still running after `timeout`. For tests, whose
    settings and database a retrying thread must not outlive. What they left is in the outbox."""
    _stopping.set()
    try:
        deadline = time.monotonic() + timeout
        for thread in list(_threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return [t.name for t in _threads if t.is_alive()]
    finally:
        _stopping.clear()


def _run_with_retries(task, args, countdown: float) -> None:
    delay = 2.0
    try:
        # As a worker would: wait first, so a burst of saves that asked once is one run.
        if _stopping.wait(countdown):
            return
        while True:
            try:
                task.run(*args)
                return
            except _retryable(task) as e:
                log.warning("%s will retry in %.0fs: %s", task.name, delay, e)
                if _stopping.wait(delay):
                    return
                delay = min(delay * 2, settings.PBXADMIN_SYNC_BACKOFF_MAX)
            except Exception:
                log.exception("background task %s failed", task.name)
                return
    finally:
        connection.close()
