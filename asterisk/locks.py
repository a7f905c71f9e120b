"""One lock for every process on this machine (web, worker, commands): a flock on a file."""

import fcntl
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def machine_lock(path: Path):
    """Hold an exclusive flock on `path` (created if missing) for the block."""
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
