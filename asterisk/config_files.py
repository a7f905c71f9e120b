"""What the Config files page shows: per generated file, its state and the difference between
disk and database, secrets masked; computed once until a file or the database changes. And a
hand-edited file rewritten from the database, and one device's sections for its preview.

Rendering every file from the database costs about a second at 10,000 extensions, so the
result is cached (the default cache, shared by the web processes) under a fingerprint of
everything it depends on: each file's identity on disk (inode, size, modification time: a
file is replaced whole when written, and a hand edit moves its time), the files the outbox
names as waiting, and the number and latest change of the users, devices and SIP settings
(every save moves an `updated_at`, a delete the count). A request whose fingerprint matches
renders nothing.
"""

import difflib
import hashlib
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max

from asterisk.files import conf_dir, file_rewrite_requested
from asterisk.models import SyncChange
from asterisk.render.connectivity.routes import (
    inbound_route_preview_text,
    outbound_route_preview_text,
    trunk_preview_text,
)
from asterisk.render.dialplan import FILENAME as DIALPLAN_FILE
from asterisk.render.generate import ALL_FILES, device_sections, render_files, trunk_sections
from asterisk.render.secrets import VOICEMAIL_FILE, is_secret_file, mask_conf_text, mask_diff
from asterisk.tasks import request_sync
from directory.connectivity.models import InboundRoute, OutboundRoute, Trunk
from directory.devices.models import Device
from directory.endpoints.models import SipSettings
from directory.servers.current import current
from directory.users.models import PbxUser

# Lines of a file's difference shown; beyond, the page says it is cut.
MAX_DIFF_LINES = 2000
# A safety net, not the rule: an entry is replaced by the fingerprint long before.
CACHE_SECONDS = 600


def _disk(directory: Path, name: str) -> str:
    try:
        st = (directory / name).stat()
    except FileNotFoundError:
        return "-"
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def _fingerprint(directory: Path, waiting: set[str]) -> str:
    parts = [str(directory), *(f"{name}={_disk(directory, name)}" for name in ALL_FILES), *sorted(waiting)]
    for model in (PbxUser, Device, SipSettings, Trunk, OutboundRoute, InboundRoute):
        counted = model.objects.aggregate(n=Count("pk"), latest=Max("updated_at"))
        parts.append(f"{model._meta.label}:{counted['n']}:{counted['latest']}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _compare(directory: Path, waiting: set[str], *, viewer: bool) -> list[dict]:
    files = []
    for name, wanted in render_files().items():
        path = directory / name
        on_disk = path.read_text(encoding="utf-8") if path.exists() else ""
        diff = mask_diff(
            difflib.unified_diff(
                # Lines as Asterisk reads them: split at line feeds only (not U+2028 and the like).
                on_disk.split("\n"),
                wanted.split("\n"),
                f"{name} (on disk)",
                f"{name} (from the database)",
                lineterm="",
                n=2,
            ),
            mailboxes=name == VOICEMAIL_FILE,
            hide_hand_edits=viewer and is_secret_file(name),
        )
        if name in waiting:
            state = "pending"
        elif not path.exists():
            state = "missing"
        elif diff:
            state = "edited"
        else:
            state = "current"
        files.append(
            {
                "name": name,
                "state": state,
                "diff": diff[:MAX_DIFF_LINES],
                "truncated": len(diff) > MAX_DIFF_LINES,
            }
        )
    return files


def config_files(*, viewer: bool) -> list[dict]:
    """Each generated file: name, state (pending, missing, edited, current), its masked diff.

    `viewer`: someone who may not read secrets (a secret file's hand-edited lines are hidden).
    The files of the server in use (`directory.servers.current.using`; else the default one).
    """
    directory = conf_dir()
    waiting = set(SyncChange.objects.filter(kind=SyncChange.Kind.FILE).values_list("ref", flat=True))
    who = "viewer" if viewer else "administrator"
    key = f"config-files:{current().pk}:{who}:{_fingerprint(directory, waiting)}"
    files = cache.get(key)
    if files is None:
        files = _compare(directory, waiting, viewer=viewer)
        cache.set(key, files, CACHE_SECONDS)
    return files


def rewrite_file(*, name: str) -> None:
    """An administrator's "Rewrite this file" (a hand edit undone), inside the caller's transaction:
    the next run writes it from the database, whatever it holds now, and reloads its module.
    ValidationError for a file pbxadmin does not write. The file of the server in use."""
    file_rewrite_requested(name=name)
    server = current()
    transaction.on_commit(lambda: request_sync(force=True, server=server), robust=True)


def device_preview(device_id: str, *, secrets_shown: bool) -> dict[str, str]:
    """The sections one device gets in each file, as they are written (the device's Config
    preview); without `secrets_shown`, every secret line masked."""
    sections = device_sections(device_id)
    return sections if secrets_shown else {name: mask_conf_text(text) for name, text in sections.items()}


def trunk_preview(trunk_id: int, *, secrets_shown: bool) -> dict[str, str]:
    """The lines one trunk gets in each file: its sections (and registration line) in the
    channel driver's files and its dialling subroutine in the dialplan; without
    `secrets_shown`, every secret masked. {} for a trunk that does not exist."""
    sections = trunk_sections(trunk_id)
    dialplan = trunk_preview_text(trunk_id=trunk_id)
    if dialplan:
        sections = {**sections, DIALPLAN_FILE: dialplan}
    return sections if secrets_shown else {name: mask_conf_text(text) for name, text in sections.items()}


def outbound_route_preview(route_id: int, *, secrets_shown: bool) -> dict[str, str]:
    """The dialplan one outbound route gets (its contexts); the PIN masked unless `secrets_shown`."""
    text = outbound_route_preview_text(route_id=route_id, pin_shown=secrets_shown)
    return {DIALPLAN_FILE: text} if text else {}


def inbound_route_preview(route_id: int) -> dict[str, str]:
    """The dialplan one inbound route gets (its context)."""
    text = inbound_route_preview_text(route_id=route_id)
    return {DIALPLAN_FILE: text} if text else {}
