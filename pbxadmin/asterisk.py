"""The boundary between business operations and Asterisk.

Services call `asterisk_changed()` inside their transaction to say which
technologies' files their change touches. Nothing happens until the
transaction commits; a rollback sends nothing. Requests from one transaction
(a 10,000-row import included) are merged into one file write.
"""

import logging
import threading
from collections.abc import Iterable

from django.db import transaction

from endpoints.files import files_for_techs, write_files

log = logging.getLogger(__name__)

_pending = threading.local()


def asterisk_changed(*, techs: Iterable[str] = ()) -> None:
    """Record that the current transaction changes what Asterisk reads.

    `techs`: technologies whose config files must be regenerated (empty when
    only AstDB data changed).
    """
    pending: set[str] | None = getattr(_pending, "techs", None)
    if pending is None:
        pending = _pending.techs = set()
    pending.update(techs)
    # Every call registers a callback, but the first to run takes the whole
    # set and the others find it empty: no flag that a rollback could leave stuck.
    transaction.on_commit(_flush)


def _flush() -> None:
    techs = getattr(_pending, "techs", None)
    if techs is None:
        return
    _pending.techs = None
    apply_changes(techs=techs)


def apply_changes(*, techs: Iterable[str]) -> list[str]:
    """Regenerate the files of these technologies; return the files that changed."""
    names = files_for_techs(techs)
    return write_files(names) if names else []
