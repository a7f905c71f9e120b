"""The config files' writer lease: one holder at a time, on any host, kept in the database.

Writing the files and reading the reloads they queued must not interleave (a reload read
before its file is in place would load the old text). Every process that does either (the
workers, `manage.py writeconf`, a command's inline sync) may run on another host, so the
lease lives where all of them look: the `SyncStatus` row, by one conditional UPDATE.

A holder that dies keeps the lease until it expires, or until its worker starts again
(`SyncStatus.release_node` lifts what a killed earlier life of a node held).
"""

import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from celery import current_task

from asterisk.models import SyncStatus

# Longer than any write takes (a full write of 10,000 extensions takes seconds), so a live
# holder never loses it; short enough that a holder killed for good blocks writes for minutes,
# not hours.
FILES_LEASE = timedelta(minutes=5)
# How long a writer waits for the lease before it gives up (its rows stay for the next writer).
FILES_WAIT_S = FILES_LEASE.total_seconds() + 60


class FilesBusy(OSError):
    """Another writer held the config files' lease for longer than a writer waits."""


def _holder() -> str:
    """Who holds it: the worker's node name (what `release_node` matches), else this host;
    then this process and thread, and a token of this hold (the lease is not reentrant)."""
    request = current_task.request if current_task else None
    node = getattr(request, "hostname", None) or f"local@{socket.gethostname()}"
    return f"{node}/{os.getpid()}/{threading.get_ident()}/{uuid.uuid4().hex[:12]}"


@contextmanager
def files_lease(*, wait_s: float = FILES_WAIT_S):
    """Hold the config files' lease for the block; wait for it (bounded) while another holds it."""
    holder = _holder()
    deadline = time.monotonic() + wait_s
    pause = 0.005
    while not SyncStatus.acquire(holder, FILES_LEASE, kind="files"):
        if time.monotonic() >= deadline:
            raise FilesBusy(
                f"the config files are being written by {SyncStatus.get().files_by or 'another run'}"
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.2)
    try:
        yield
    finally:
        SyncStatus.finish(holder, kind="files")
