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
from contextlib import contextmanager
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
    rows = (
        Device.objects.filter(tech__in=techs)
        .order_by()
        .values_list(
            "id",
            "tech",
            "dial",
            "devicetype",
            "user_id",
            "user__voicemail",
            "endpoint__settings",
        )
    )
    out = []
    for (
        device_id,
        tech,
        dial,
        devicetype,
        user_id,
        voicemail,
        endpoint_settings,
    ) in rows:
        out.append((tech, DeviceRow(device_id, dial, mailbox_for(device_id, devicetype, user_id, voicemail),
                                     endpoint_settings or {})))  # fmt: skip
    out.sort(key=lambda item: _device_sort_key(item[1].id))
    return out


def mailbox_for(
    device_id: str, devicetype: str, user_id: str | None, voicemail: str | None
) -> str:
    """FreePBX maps a fixed device's mailbox to its user's; others keep `<id>@device`."""
    if (
        devicetype == DeviceType.FIXED
        and user_id
        and voicemail
        and voicemail != NO_VOICEMAIL
    ):
        return f"{user_id}@{voicemail}"
    return f"{device_id}@device"


def render_files(names: Iterable[str] | None = None) -> dict[str, str]:
    """The text each named file (default: all) should hold, from the database. Pure but for the read."""
    names = list(FILE_TECH) if names is None else list(names)
    techs = {FILE_TECH[name] for name in names}
    sections: dict[str, list[Section]] = defaultdict(list)
    for tech, row in _device_rows(techs):
        for filename, file_sections in TECHS[tech].render(row).items():
            sections[filename].extend(file_sections)
    return {
        name: format_file(sections[name], includes=_INCLUDES.get(name, ()))
        for name in names
    }


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
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
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
            (directory / include).touch(exist_ok=True)
    if changed:
        log.info("wrote %s", ", ".join(changed))
    return changed


def changed_modules(filenames: Iterable[str]) -> set[str]:
    """The Asterisk modules to reload for these rewritten files."""
    return {
        TECHS[FILE_TECH[name]].RELOAD_MODULE for name in filenames if name in FILE_TECH
    }
