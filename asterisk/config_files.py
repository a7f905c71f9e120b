"""The Config files page's content: per generated file, what is on disk against what the database
implies, secrets masked, and its state; and a hand-edited file rewritten from the database."""

import difflib

from django.db import transaction

from asterisk.files import conf_dir, file_rewrite_requested
from asterisk.models import SyncChange
from asterisk.render.generate import device_sections, render_files
from asterisk.render.secrets import is_secret_file, mask_conf_text, mask_diff
from asterisk.tasks import request_sync
from directory.secrets import known_secrets

# A diff longer than this many lines is cut (the page says so).
DIFF_LINES_SHOWN = 2000


def config_files(*, hand_edits_hidden: bool) -> list[dict]:
    """Per generated file: its name, its state (`pending`: named in the outbox, written at the
    next sync; `missing`; `edited`: on disk but not what the database implies; `current`) and
    the difference, secrets masked. `hand_edits_hidden` (a viewer): a secret file's lines as
    edited by hand are not shown at all."""
    directory = conf_dir()
    waiting = set(SyncChange.objects.filter(kind=SyncChange.Kind.FILE).values_list("ref", flat=True))
    known = known_secrets()
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
            known,
            hide_hand_edits=hand_edits_hidden and is_secret_file(name),
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
                "diff": diff[:DIFF_LINES_SHOWN],
                "truncated": len(diff) > DIFF_LINES_SHOWN,
            }
        )
    return files


def rewrite_file(*, name: str) -> None:
    """An administrator's "Rewrite this file" (a hand edit undone), inside the caller's transaction:
    the next run writes it from the database, whatever it holds now, and reloads its module.
    ValidationError for a file pbxadmin does not write."""
    file_rewrite_requested(name=name)
    transaction.on_commit(lambda: request_sync(force=True), robust=True)


def device_preview(device_id: str, *, secrets_shown: bool) -> dict[str, str]:
    """The sections one device gets in each file, as they are written (the device's Config
    preview); without `secrets_shown`, every secret line masked."""
    sections = device_sections(device_id)
    return sections if secrets_shown else {name: mask_conf_text(text) for name, text in sections.items()}
