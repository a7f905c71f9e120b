"""The service's own files (var/: the SQLite database, the secret key, the cache) are its alone.

Called after every `migrate` (which creates the database) and by `ensure_admin`
(`make run`), so a fresh install and an upgraded one both end up private. What
another service must read stays reachable: the config files (when
ASTERISK_CONF_DIR is inside var/, Asterisk reads them) and the collected static
files (the web server serves them). Then var/ is 0711 (others may pass through
to those folders but not list it) instead of 0700.
"""

import os
from pathlib import Path

from django.conf import settings
from django.db import connections

PRIVATE_DIR = 0o700
PASS_THROUGH_DIR = 0o711
PRIVATE_FILE = 0o600


def write_private(path: Path, text: str) -> None:
    """Create a file readable by this user only, from the first byte (no window at the umask's mode)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _private_tree(path: Path) -> None:
    if path.is_symlink():
        return
    if path.is_dir():
        path.chmod(PRIVATE_DIR)
        for child in path.iterdir():
            _private_tree(child)
    elif path.is_file():
        path.chmod(PRIVATE_FILE)


def sqlite_files() -> list[Path]:
    """The SQLite database files (with the -wal, -shm and -journal beside them), wherever they are."""
    found = []
    for connection in connections.all(initialized_only=False):
        if connection.vendor == "sqlite" and str(connection.settings_dict["NAME"]) not in ("", ":memory:"):
            name = Path(connection.settings_dict["NAME"])
            found += [
                p for p in (name, *(Path(f"{name}{x}") for x in ("-wal", "-shm", "-journal"))) if p.exists()
            ]
    return found


def make_var_private(**kwargs) -> None:
    """var/ 0700 (0711 when others read folders inside it), everything else in it 0700 / 0600."""
    var_dir = Path(settings.VAR_DIR)
    var_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    shared = [
        Path(p)
        for p in (settings.ASTERISK_CONF_DIR, settings.STATIC_ROOT)
        if p and _inside(Path(p), var_dir) and Path(p).resolve() != var_dir.resolve()
    ]
    var_dir.chmod(PASS_THROUGH_DIR if shared else PRIVATE_DIR)
    # The folders on the way from var/ to a shared folder stay passable; the shared folders keep their modes.
    passable = {a.resolve() for p in shared for a in Path(p).resolve().parents if _inside(a, var_dir)}
    for child in var_dir.iterdir():
        resolved = child.resolve()
        if any(resolved == p.resolve() for p in shared):
            continue
        if resolved in passable:
            child.chmod(PASS_THROUGH_DIR)
            continue
        _private_tree(child)
    for path in sqlite_files():
        path.chmod(PRIVATE_FILE)
