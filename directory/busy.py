"""The database is busy: a bulk import holds SQLite's one write lock.

SQLite lets one connection write at a time, and an import writes all its rows in
one transaction (all or nothing). A page's save or a phone's hot-desk login waits
for the lock at most PBXADMIN_SQLITE_REQUEST_WAIT seconds (not the 20 of the
workers), then is told to try again (`web/busy.py` for pages, the FastAGI service
for phones). PostgreSQL locks rows, so there a save of another extension does not
wait at all.
"""

from django.conf import settings
from django.db import OperationalError, connection


def is_locked(error: BaseException) -> bool:
    """SQLite's answer when its write lock stayed taken for the whole wait."""
    return isinstance(error, OperationalError) and "locked" in str(error)


def wait_briefly() -> None:
    """Make this thread's SQLite connection wait only PBXADMIN_SQLITE_REQUEST_WAIT seconds for a lock."""
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    # On the driver's connection: a setting of the connection, not a query of the request.
    connection.connection.execute(
        f"PRAGMA busy_timeout = {int(settings.PBXADMIN_SQLITE_REQUEST_WAIT * 1000)}"
    )


# What a save refused for a busy database is told, on a page and over the API alike.
BUSY = "The database is busy (a bulk import is probably writing): nothing was saved. Try again in a moment."
RETRY_AFTER = "5"
