"""Run a task in the background: a Celery worker when there is a broker, else a thread of this process."""

import logging
import threading

from django.db import connection

from pbxadmin.asterisk import sync_mode

log = logging.getLogger(__name__)


def run_in_background(task, *args) -> None:
    """`task` is a Celery task; its function runs in a thread (or right here) without a broker."""
    mode = sync_mode()
    if mode == "celery":
        task.delay(*args)
    elif mode == "thread":
        threading.Thread(target=_run_and_close, args=(task, args), daemon=True, name=task.name).start()
    else:  # inline, and manual (which only concerns the AstDB sync)
        task.run(*args)


def _run_and_close(task, args) -> None:
    try:
        task.run(*args)
    except Exception:
        log.exception("background task %s failed", task.name)
    finally:
        connection.close()
