"""The config files written beside the requests that changed them, one write per burst.

Rendering every file of a 5,000-extension office takes milliseconds; done in
each request, a system that creates extensions one call at a time (an HR tool
on the API, a provisioning script) spends most of each call rewriting files
that the next call rewrites again. With a background sync (thread or Celery)
the request only wakes this process's writer thread and returns: the writer
writes what the outbox names, and saves committed while it writes are taken by
its next round. The outbox rows stay until the files are written, so a process
that dies first loses nothing: the sync run, which begins by writing pending
files, does it.

Inline and manual modes (a command without a broker, a worker, tests) write in
the request: the caller expects the files to be there when the save returns. A
process that exits with a round still owed finishes it first. The writer is
made, with its round, in `asterisk.outbox`.
"""

import atexit
import logging
import os
import threading
from collections.abc import Callable

from django.db import close_old_connections

log = logging.getLogger(__name__)

# Seconds a process about to exit waits for the files it still owes.
EXIT_WAIT = 60


class FileWriter:
    """One daemon thread that runs `work` (write the pending files) whenever woken; wakes
    during a round make one more round."""

    def __init__(self, work: Callable[[], None]) -> None:
        self._work = work
        self._reset()
        self._drain_at_exit = False
        # A child forked while another thread held the lock would wait on it for ever.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._asked = 0  # rounds asked for
        self._done = 0  # the last round asked for that a round covered
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Ask for the pending files to be written soon (after this call's commit)."""
        with self._cond:
            self._asked += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="pbxadmin-files")
                self._thread.start()
                if not self._drain_at_exit:
                    # A process that ends (a command, a worker shutting down) finishes its
                    # round first: a daemon thread is stopped wherever it stands.
                    atexit.register(self.wait, EXIT_WAIT)
                    self._drain_at_exit = True
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Block until every round asked before this call is done; False on timeout."""
        with self._cond:
            target = self._asked
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._done < self._asked)
                round_ = self._asked
            try:
                # As around a request: no broken or aged connection is used, or kept.
                close_old_connections()
                self._work()
                close_old_connections()
            except Exception:
                # The outbox keeps what was not written; the next wake (or the sync run) retries.
                log.exception("the config file writer failed")
            with self._cond:
                self._done = round_
                self._cond.notify_all()
