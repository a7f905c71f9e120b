"""Versions of what an administrator edits, so a save based on an old copy is refused, not lost.

Every save through a service moves the saved rows' `updated_at` (an endpoint's
settings are saved with their device), so a digest of the `updated_at` of the
rows one page or one API resource shows is its version. The bulk import's
check judges its rows the same way (`bulk/stamps.py`).

An update service takes `expected_version`: the version the caller read (a
page's hidden field, an API client's `If-Match`). It is compared under the
rows' lock, inside the transaction, so two saves can never both pass it.
"""

import hashlib
from collections.abc import Collection

from django.core.exceptions import ValidationError

STALE = "stale"

# What an update service's `expected_version` takes: one version, any of several (an API
# client's If-Match may list some), or None to compare nothing.
Expected = str | Collection[str] | None


class StaleVersion(ValidationError):
    """The rows changed since the caller read them: nothing was saved.

    `current` holds the rows as they are now (locked, read by the service), for
    a page to show what changed meanwhile; `version` is their version now.
    """

    def __init__(self, what: str, *, version: str, current: tuple):
        super().__init__(
            f"{what} was changed by someone else after you opened it, so nothing was saved.", code=STALE
        )
        self.what = what
        self.version = version
        self.current = current


def version_of(*objects) -> str:
    """A short opaque digest of these rows' kinds, keys and `updated_at` (None: a row that does not exist)."""
    digest = hashlib.sha256()
    for obj in objects:
        if obj is None:
            digest.update(b"none\n")
        else:
            digest.update(f"{obj._meta.label}:{obj.pk}:{obj.updated_at.isoformat()}\n".encode())
    return digest.hexdigest()[:24]


def check_version(expected: Expected, *objects, what: str) -> None:
    """Refuse (StaleVersion) unless `expected` (one version, or any of several) is theirs now.

    None checks nothing: a caller that read nothing (an import row, a script's PATCH of one
    field) changes only what it names.
    """
    if expected is None:
        return
    version = version_of(*objects)
    if version not in ({expected} if isinstance(expected, str) else set(expected)):
        raise StaleVersion(what, version=version, current=objects)
