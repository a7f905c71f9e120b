"""What a check judged: a digest of the rows a file touches, as they were when it was checked.

(The directory's files, below; a trunks, routes or DIDs file stamps the connectivity tables
as a whole: `bulk/connectivity_rows.py`.)

A confirmation is only good for the database its check saw. Every save moves a
user's or a device's `updated_at` (an endpoint's settings are saved with their
device), and a deletion or a creation makes a row appear or vanish, so a digest
of (number, user updated_at, device updated_at) for each number of the file
changes whenever anything the import would touch has changed since.
"""

import hashlib
from collections.abc import Iterable
from itertools import islice

from bulk.csvfile import CsvFileError, read_table
from bulk.kinds import HANDLERS

_CHUNK = 500


def file_keys(kind: str, text: str) -> list[str]:
    """The numbers (extension or device id) a file names, in any order."""
    try:
        table = read_table(text)
        return [HANDLERS[kind].key_of(row.cells) for row in table.rows]
    except CsvFileError:
        return []


def fingerprint(kind: str, keys: Iterable[str]) -> str:
    """Each key with what its rows were (the kind's `stamps`: a user's and a device's
    `updated_at` for the directory's files, the connectivity tables for trunks and routes)."""
    digest = hashlib.sha256(kind.encode())
    ordered = iter(sorted({k for k in keys if k}))
    while chunk := list(islice(ordered, _CHUNK)):
        stamps = HANDLERS[kind].stamps(chunk)
        for key in chunk:
            digest.update(f"{key}|{stamps.get(key)}\n".encode())
    return digest.hexdigest()


def file_fingerprint(kind: str, text: str) -> str:
    return fingerprint(kind, file_keys(kind, text))
