"""Regenerate the Asterisk config files from the database, atomically and only when changed.

The boundary decides which files a change touches (`files_for`); the texts
come from the renderers in `asterisk.render`. `write_files` is the only code that
touches ASTERISK_CONF_DIR. It holds the files' lease (`asterisk.locks`, in the
database: writers may run on several hosts) while it reads the database and writes,
so two saves at the same moment cannot leave a file older than the database:
whichever writer runs last started after both commits and sees both.
"""

import glob
import grp
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.db.models import Q

from asterisk.locks import files_lease
from asterisk.models import ErrorKind, SyncChange, SyncStatus
from asterisk.render.dialplan import FILENAME as DIALPLAN_FILE
from asterisk.render.dialplan import static_part
from asterisk.render.generate import (
    DEVICE_FILES,
    DEVICE_INPUTS,
    DIALPLAN,
    FILE_RELOAD,
    FILE_SOURCE,
    INCLUDES,
    SIP_SETTINGS,
    TRANSPORT_DEPENDENT,
    TRUNK_FILES,
    TRUNK_INPUTS,
    TRUNK_TECH_FILES,
    USER_INPUTS,
    VOICEMAIL,
    render_files,
)
from asterisk.render.secrets import is_secret_file
from asterisk.render.techs import FILE_TECH
from directory.devices.models import Device
from directory.servers.current import current, current_id

log = logging.getLogger(__name__)


def conf_dir() -> Path:
    """The folder the server in use (`current()`) keeps its files in: its own `conf_dir`, else
    ASTERISK_CONF_DIR."""
    return Path(current().conf_dir or settings.ASTERISK_CONF_DIR)


def files_for_techs(techs: Iterable[str]) -> list[str]:
    """The files that technologies (or "dialplan") write into."""
    wanted = set(techs)
    return [name for name, source in FILE_SOURCE.items() if source in wanted]


# Past this many objects a change is an import: every file is worth checking.
_MANY = 500


def _reads(inputs: frozenset[str] | None, fields: set[str] | None) -> bool:
    """Whether a source that reads `inputs` of an object (None: all of it; empty: nothing, not
    even whether it exists) can change when `fields` of it change (None: anything, as a
    creation or a deletion). A device's settings arrive as `settings.<key>`: only the sources
    that read every field of a device see them."""
    if inputs is None:
        return True
    if not inputs:
        return False
    return fields is None or bool(inputs & fields)


def files_for(
    users: set[str],
    devices: set[str],
    *,
    user_fields: set[str] | None = None,
    device_fields: set[str] | None = None,
) -> set[str]:
    """The files a change to these users and devices can alter.

    The dialplan names every user and the devices they are on. A device's section is in its
    technology's files; a user appears in the sections of the devices they own or are on
    (mailbox, language), and in the mailboxes. `user_fields` / `device_fields` say what changed
    of them (None: anything, as a creation or deletion does): only the sources that read one of
    those fields are named (`asterisk.render.generate.USER_INPUTS` / `DEVICE_INPUTS`). A device that
    no longer exists was deleted: its technology is not known any more, so every device file is
    checked (only files whose text changes are written and reloaded).
    """
    if len(users) + len(devices) > _MANY:
        return set(FILE_SOURCE)
    sources: set[str] = set()
    for source in (DIALPLAN, VOICEMAIL):
        if (users and _reads(USER_INPUTS[source], user_fields)) or (
            devices and _reads(DEVICE_INPUTS[source], device_fields)
        ):
            sources.add(source)
    with_users = _reads(USER_INPUTS[DEVICE_FILES], user_fields)
    wanted = Q(pk__in=devices)
    if users and with_users:
        wanted |= Q(user_id__in=users) | Q(default_user_id__in=users)
    if devices or (users and with_users):
        found = Device.objects.filter(wanted).values_list("pk", "tech")
        sources |= {tech for _pk, tech in found}
        if devices - {pk for pk, _tech in found}:
            sources |= set(FILE_TECH.values())
    return set(files_for_techs(sources))


def files_for_sip_settings() -> set[str]:
    """The SIP settings files, and the device files whose `transport=` lines follow them."""
    return set(files_for_techs({SIP_SETTINGS})) | set(TRANSPORT_DEPENDENT)


def files_for_trunks(techs: set[str], fields: set[str] | None) -> set[str]:
    """The files a change to trunks of these technologies can alter (`fields` of them; None:
    anything, as a creation or a deletion): their technology's files if those read a changed
    field, the dialplan if it does (`asterisk.render.generate.TRUNK_INPUTS`)."""
    names: set[str] = set()
    if _reads(TRUNK_INPUTS[TRUNK_FILES], fields):
        names |= {name for tech in techs for name in TRUNK_TECH_FILES[tech]}
    if _reads(TRUNK_INPUTS[DIALPLAN], fields):
        names.add(DIALPLAN_FILE)
    return names


def files_for_routes() -> set[str]:
    """Routes live in the dialplan alone."""
    return {DIALPLAN_FILE}


@contextmanager
def _locked(directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    with files_lease():
        yield


# Files that hold secrets (device secrets; a PIN, should a file ever carry one) are
# readable by their group only, the group Asterisk runs as; the rest by everyone.
SECRET_MODE = 0o640
PUBLIC_MODE = 0o644


def _secret_files() -> set[str]:
    """The secret files and the *_custom.conf files they include (administrators put trunks there)."""
    return {
        name
        for source in FILE_SOURCE
        if is_secret_file(source)
        for name in (source, *INCLUDES.get(source, ()))
    }


def file_mode(name: str) -> int:
    return SECRET_MODE if name in _secret_files() else PUBLIC_MODE


def conf_group(directory: Path) -> int:
    """The group the files get: ASTERISK_CONF_GROUP, else the directory's (as /etc/asterisk's asterisk group)."""
    name = getattr(settings, "ASTERISK_CONF_GROUP", "")
    if not name:
        return directory.stat().st_gid
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise OSError(f"ASTERISK_CONF_GROUP names a group that does not exist: {name!r}") from None


def _own(fd: int, path: Path, mode: int, gid: int) -> None:
    os.fchmod(fd, mode)
    if os.fstat(fd).st_gid == gid:
        return
    try:
        os.fchown(fd, -1, gid)
    except PermissionError:
        if getattr(settings, "ASTERISK_CONF_GROUP", ""):
            raise
        # Not a member of the directory's group: the file keeps ours. Loud, since
        # Asterisk may then be unable to read a 0640 file.
        log.warning("cannot give %s the group of its directory (gid %s): set ASTERISK_CONF_GROUP", path, gid)


def atomic_write(path: Path, text: str, *, mode: int = PUBLIC_MODE, gid: int | None = None) -> None:
    """Write to a temp file in the same folder, fsync, rename over: readers see old or new, never half.

    The temp file is created 0600 and given its mode and group before the rename,
    so a secret is never readable by more than `mode` allows.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
            _own(f.fileno(), path, mode, path.parent.stat().st_gid if gid is None else gid)
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


def write_files(
    names: Iterable[str] | None = None,
    *,
    before_replacing: Callable[[dict[str, tuple[str | None, str]]], None] | None = None,
) -> list[str]:
    """Regenerate the named files (default: all); return the names whose content changed.

    `before_replacing({name: (text on disk or None, new text)})` runs under the lock once the
    changing files are known and before any of them is replaced (the outbox queues their
    reloads there).
    """
    with _locked(conf_dir()):
        return _write_locked(names, before_replacing)


def _write_locked(names, before_replacing) -> list[str]:
    directory = conf_dir()
    _sweep_temp_files(directory)
    gid = conf_group(directory)
    wanted = render_files(names)
    changing: dict[str, tuple[str | None, str]] = {}
    for name, text in wanted.items():
        path = directory / name
        try:
            old = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            old = None
        if old == text:
            _keep_owned(path, file_mode(name), gid)
            continue
        changing[name] = (old, text)
    changed = list(changing)
    if changing and before_replacing is not None:
        before_replacing(changing)
    for name in changed:
        atomic_write(directory / name, wanted[name], mode=file_mode(name), gid=gid)
    for include in (inc for name in wanted for inc in INCLUDES.get(name, ())):
        # Created empty if missing; then the administrator's, mode included.
        if not (directory / include).exists():
            atomic_write(directory / include, "", mode=file_mode(include), gid=gid)
    if changed:
        log.debug("wrote %s", ", ".join(changed))
    return changed


def _sweep_temp_files(directory: Path) -> None:
    """Under the lock none of our writes is under way: a temp file of ours (`atomic_write`'s
    `.<name>.<random>.tmp`) is what a killed process left behind. Other tools' files in
    the folder (often /etc/asterisk) are theirs."""
    ours = {*FILE_SOURCE, *(inc for includes in INCLUDES.values() for inc in includes)}
    for name in ours:
        for stale in directory.glob(f".{glob.escape(name)}.*.tmp"):
            with suppress(FileNotFoundError):
                stale.unlink()


@contextmanager
def no_write_under_way():
    """Hold while reading the queued reloads: a reload queued for a file being written is read
    only once the file is in place."""
    with files_lease():
        yield


def _keep_owned(path: Path, mode: int, gid: int) -> None:
    """A file left unchanged still gets its mode and group (files written 0644 by an older version)."""
    status = path.stat()
    if status.st_mode & 0o777 != mode or status.st_gid != gid:
        fd = os.open(path, os.O_RDONLY)
        try:
            _own(fd, path, mode, gid)
        finally:
            os.close(fd)


def _queue_reloads(changing: dict[str, tuple[str | None, str]]) -> None:
    """Commit the reloads of the files about to change before the first is replaced: a write
    that fails halfway, or rows that cannot be removed afterwards, leave a spare reload at
    worst, never a changed file that Asterisk is not told to reload."""
    server = current_id()
    SyncChange.objects.bulk_create(
        [
            SyncChange(server_id=server, kind=SyncChange.Kind.RELOAD, ref=m)
            for m in sorted(reloads_for(changing))
        ]
    )


def _pending() -> list[tuple[int, str]]:
    return list(SyncChange.objects.filter(kind=SyncChange.Kind.FILE).values_list("pk", "ref"))


def _write_pending_locked(*, everything: bool = False) -> list[str]:
    """Under the lock: write the files the outbox names (or all of them), then remove the rows
    read. Read under the lock, so writers queued behind one another coalesce: the first to get
    the lock writes what every earlier save asked for, and the others find nothing left."""
    pending = _pending()
    if not pending and not everything:
        return []
    names = (
        list(FILE_SOURCE) if everything else sorted({name for _pk, name in pending if name in FILE_SOURCE})
    )
    changed = _write_locked(names, _queue_reloads)
    # Only the rows read here: a change committed meanwhile keeps its row for the next writer.
    _delete_rows([pk for pk, _name in pending])
    return changed


def _delete_rows(ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        SyncChange.objects.filter(pk__in=ids[start : start + 500]).delete()


def write_pending_files() -> list[str] | None:
    """Write the files the outbox says are out of date; queue reloads for those whose text changed.
    Returns the files that changed, or None when they could not be written (the rows stay)."""
    try:
        with _locked(conf_dir()):
            changed = _write_pending_locked()
    except (OSError, OperationalError) as e:
        # The save is committed and stays; the rows stay too, so the next save,
        # the worker or `manage.py writeconf` writes the files again. (A locked
        # SQLite database while settling the rows is no different.)
        log.error("could not write the Asterisk config files: %s", e)
        SyncStatus.fail(f"Could not write the config files: {e}", kind=ErrorKind.FILES)
        return None
    SyncStatus.files_written(len(changed))
    return changed


def write_all_files() -> list[str]:
    """Regenerate every file (`writeconf`): whatever the outbox held is settled, and the reloads follow."""
    with _locked(conf_dir()):
        changed = _write_pending_locked(everything=True)
    SyncStatus.files_written(len(changed))
    return changed


def changed_modules(filenames: Iterable[str]) -> set[str]:
    """What to reload for these rewritten files: a module name, or "dialplan" / "voicemail" (CLI reloads)."""
    return {FILE_RELOAD[name] for name in filenames if name in FILE_RELOAD}


def reloads_for(changing: dict[str, tuple[str | None, str]]) -> set[str]:
    """What to reload for files about to change from their old text to their new one.

    The dialplan is reloaded only when its static part changes (or the file is new): a
    user's entries, below the marker, are applied to the running dialplan by the sync.
    """
    modules = set()
    for name, (old, new) in changing.items():
        if name == DIALPLAN_FILE and old is not None and static_part(old) == static_part(new):
            continue
        modules |= changed_modules([name])
    return modules


def file_rewrite_requested(*, name: str) -> None:
    """Name one generated file in the outbox (inside the caller's transaction): the next run
    rewrites it from the database, after a hand edit, and reloads its module if its text changes."""
    if name not in FILE_SOURCE:
        raise ValidationError(f"pbxadmin does not write a file called {name!r}.", code="unknown_file")
    SyncChange.objects.create(kind=SyncChange.Kind.FILE, ref=name)
