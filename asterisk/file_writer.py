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

Inline and manual modes (a command without a broker, tests) write in the request:
the caller expects the files to be there when the save returns. A process that
exits with a write still owed (a command with a broker) finishes it first.
"""

import atexit
import logging
import threading

from django.db import close_old_connections

from asterisk.files import write_pending_files

log = logging.getLogger(__name__)

# Seconds a process about to exit waits for the files it still owes.
EXIT_WAIT = 60


class FileWriter:
    """One daemon thread that writes pending files whenever woken; wakes during a write make one more round."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._asked = 0  # rounds asked for
        self._done = 0  # the last round asked for that a write covered
        self._thread: threading.Thread | None = None
        self._drain_at_exit = False

    def wake(self) -> None:
        """Ask for the pending files to be written soon (after this call's commit)."""
        with self._cond:
            self._asked += 1
            if self._thread is None or not self._thread.is_alive():
                # Also after a fork: the child has no thread until it asks.
                self._thread = threading.Thread(target=self._run, daemon=True, name="pbxadmin-files")
                self._thread.start()
                if not self._drain_at_exit:
                    # A process that ends (a command, a worker shutting down) finishes its
                    # write first: a daemon thread is stopped wherever it stands.
                    atexit.register(self.wait, EXIT_WAIT)
                    self._drain_at_exit = True
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Block until every round asked before this call is written; False on timeout."""
        with self._cond:
            target = self._asked
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._done < self._asked)
                round_ = self._asked
            try:
                # Failures are kept in the outbox and the sync status by write_pending_files.
                write_pending_files()
            except Exception:
                log.exception("the config file writer failed; the outbox keeps the files to write")
            finally:
                # As a request ends: a broken or aged connection is not kept for the next round.
                close_old_connections()
            with self._cond:
                self._done = round_
                self._cond.notify_all()


writer = FileWriter()
