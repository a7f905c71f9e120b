"""Regenerate the Asterisk config files from the database, atomically and only when changed.

The boundary decides which files a change touches (`files_for`); the texts
come from the renderers in `endpoints`. `write_files` is the only code that
touches ASTERISK_CONF_DIR. It holds an
exclusive lock while it reads the database and writes, so two saves at the
same moment cannot leave a file older than the database: whichever writer runs
last started after both commits and sees both.
"""

import fcntl
import logging
import os
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from asterisk.models import SyncChange, SyncStatus
from devices.models import Device
from endpoints.generate import (
    DIALPLAN,
    FILE_RELOAD,
    FILE_SOURCE,
    INCLUDES,
    SIP_SETTINGS,
    TRANSPORT_DEPENDENT,
    VOICEMAIL,
    render_files,
)
from endpoints.techs import FILE_TECH

log = logging.getLogger(__name__)


def conf_dir() -> Path:
    return Path(settings.ASTERISK_CONF_DIR)


def files_for_techs(techs: Iterable[str]) -> list[str]:
    """The files that technologies (or "dialplan") write into."""
    wanted = set(techs)
    return [name for name, source in FILE_SOURCE.items() if source in wanted]


# Past this many objects a change is an import: every file is worth checking.
_MANY = 500


def files_for(users: set[str], devices: set[str]) -> set[str]:
    """The files a change to these users and devices can alter.

    The dialplan names every user and device. A device's section is in its
    technology's files; a user appears in the sections of the devices they own
    or are on (mailbox, language), and in the mailboxes. A device that no longer
    exists was deleted: its technology is not known any more, so every device
    file is checked (only files whose text changes are written and reloaded).
    """
    if len(users) + len(devices) > _MANY:
        return set(FILE_SOURCE)
    found = Device.objects.filter(
        Q(pk__in=devices) | Q(user_id__in=users) | Q(default_user_id__in=users)
    ).values_list("pk", "tech")
    techs = {tech for _pk, tech in found}
    if devices - {pk for pk, _tech in found}:
        techs = set(FILE_TECH.values())
    return set(files_for_techs({*techs, DIALPLAN, *([VOICEMAIL] if users else [])}))


def files_for_sip_settings() -> set[str]:
    """The SIP settings files, and the device files whose `transport=` lines follow them."""
    return set(files_for_techs({SIP_SETTINGS})) | set(TRANSPORT_DEPENDENT)


@contextmanager
def _locked(directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".pbxadmin.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def atomic_write(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, fsync, rename over: readers see old or new, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_files(names: Iterable[str] | None = None) -> list[str]:
    """Regenerate the named files (default: all); return the names whose content changed."""
    directory = conf_dir()
    changed = []
    with _locked(directory):
        wanted = render_files(names)
        for name, text in wanted.items():
            path = directory / name
            try:
                if path.read_text(encoding="utf-8") == text:
                    continue
            except FileNotFoundError:
                pass
            atomic_write(path, text)
            changed.append(name)
        for include in (inc for name in wanted for inc in INCLUDES.get(name, ())):
            if not (directory / include).exists():
                (directory / include).touch()
    if changed:
        log.debug("wrote %s", ", ".join(changed))
    return changed


def write_pending_files() -> list[str]:
    """Write the files the outbox says are out of date; queue reloads for those whose text changed.

    Only the rows read here are removed afterwards: a change committed while
    the files were being written keeps its row and is written by its own call.
    """
    pending = list(SyncChange.objects.filter(kind=SyncChange.Kind.FILE).values_list("pk", "ref"))
    if not pending:
        return []
    try:
        changed = write_files(sorted({name for _pk, name in pending if name in FILE_SOURCE}))
    except OSError as e:
        # The save is committed and stays; the rows stay too, so the next save,
        # the worker or `manage.py writeconf` writes the files again.
        log.error("could not write the Asterisk config files: %s", e)
        SyncStatus.fail(f"Could not write the config files: {e}")
        return []
    with transaction.atomic():
        SyncChange.objects.filter(pk__in=[pk for pk, _name in pending]).delete()
        SyncChange.objects.bulk_create(
            [SyncChange(kind=SyncChange.Kind.RELOAD, ref=m) for m in sorted(changed_modules(changed))]
        )
    return changed


def changed_modules(filenames: Iterable[str]) -> set[str]:
    """What to reload for these rewritten files: a module name, or "dialplan" / "voicemail" (CLI reloads)."""
    return {FILE_RELOAD[name] for name in filenames if name in FILE_RELOAD}
