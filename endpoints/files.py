"""Regenerate the Asterisk config files from the database, atomically and only when changed.

`write_files` is the only code that touches ASTERISK_CONF_DIR. It holds an
exclusive lock while it reads the database and writes, so two saves at the
same moment cannot leave a file older than the database: whichever writer runs
last started after both commits and sees both.
"""

import fcntl
import logging
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings

from devices.models import Device, DeviceType
from endpoints.conf import Section, format_file
from endpoints.techs import FILE_TECH, TECHS
from endpoints.techs.base import DeviceRow
from users.models import NO_VOICEMAIL

log = logging.getLogger(__name__)

# Each PJSIP file starts by including the administrator's own additions
# (FreePBX's layout); those files must exist or res_pjsip fails to load.
_INCLUDES = {
    "pjsip.endpoint.conf": ("pjsip.endpoint_custom.conf",),
    "pjsip.aor.conf": ("pjsip.aor_custom.conf",),
    "pjsip.auth.conf": ("pjsip.auth_custom.conf",),
}


def conf_dir() -> Path:
    return Path(settings.ASTERISK_CONF_DIR)


def files_for_techs(techs: Iterable[str]) -> list[str]:
    wanted = set(techs)
    return [name for name, tech in FILE_TECH.items() if tech in wanted]


def _device_sort_key(device_id: str) -> tuple[int, str]:
    return (len(device_id), device_id)


def _device_rows(techs: set[str]) -> list[tuple[str, DeviceRow]]:
    # values_list rather than model instances: this runs over every device
    # of a technology on each save, and building 10,000 objects is the cost.
    rows = (
        Device.objects.filter(tech__in=techs)
        .order_by()
        .values_list(
            "id", "tech", "dial", "devicetype", "user_id", "user__voicemail", "user__language",
            "endpoint__settings",
        )
    )  # fmt: skip
    out = []
    for device_id, tech, dial, devicetype, user_id, voicemail, language, endpoint_settings in rows:
        fixed_user = user_id if devicetype == DeviceType.FIXED else None
        row = DeviceRow(
            id=device_id,
            dial=dial,
            mailbox=mailbox_for(device_id, fixed_user, voicemail),
            settings=endpoint_settings or {},
            language=(language or "") if fixed_user else "",
        )
        out.append((tech, row))
    out.sort(key=lambda item: _device_sort_key(item[1].id))
    return out


def mailbox_for(device_id: str, fixed_user: str | None, voicemail: str | None) -> str:
    """FreePBX points a fixed device's mailbox at its user's; others keep `<id>@device`."""
    if fixed_user and voicemail and voicemail != NO_VOICEMAIL:
        return f"{fixed_user}@{voicemail}"
    return f"{device_id}@device"


def render_files(names: Iterable[str] | None = None) -> dict[str, str]:
    """The text each named file (default: all) should hold, from the database. Pure but for the read."""
    names = list(FILE_TECH) if names is None else list(names)
    techs = {FILE_TECH[name] for name in names}
    sections: dict[str, list[Section]] = defaultdict(list)
    for tech, row in _device_rows(techs):
        for filename, file_sections in TECHS[tech].render(row).items():
            sections[filename].extend(file_sections)
    return {name: format_file(sections[name], includes=_INCLUDES.get(name, ())) for name in names}


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
        for include in (inc for name in wanted for inc in _INCLUDES.get(name, ())):
            if not (directory / include).exists():
                (directory / include).touch()
    if changed:
        log.debug("wrote %s", ", ".join(changed))
    return changed


def changed_modules(filenames: Iterable[str]) -> set[str]:
    """The Asterisk modules to reload for these rewritten files."""
    return {TECHS[FILE_TECH[name]].RELOAD_MODULE for name in filenames if name in FILE_TECH}
