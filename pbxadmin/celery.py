"""The Celery app: `celery -A pbxadmin worker`. Configured from Django settings (CELERY_*).

Celery runs all background work (the Asterisk sync, imports), in every setup: with
Redis in production, with an embedded filesystem broker under var/ for `make run`.
Imported with the settings (pbxadmin/__init__.py), so it must not touch the disk at
import: the folders are made when a worker starts or a message is first sent.
"""

import os

from celery import Celery
from celery.signals import beat_init, before_task_publish, worker_init, worker_ready

from pbxadmin import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbxadmin.settings")
# `filesystem://` with messages written whole (kombu's own can be read half-written).
broker.install()

app = Celery("pbxadmin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["asterisk", "bulk"])


def _broker_folders() -> None:
    """The embedded broker's folders and beat's schedule file's (kombu and beat make neither)."""
    from django.conf import settings

    os.makedirs(settings.CELERY_BROKER_FOLDER, mode=0o700, exist_ok=True)
    for folder in settings.CELERY_BROKER_TRANSPORT_OPTIONS.values():
        if isinstance(folder, str) and folder.startswith(str(settings.CELERY_BROKER_FOLDER)):
            os.makedirs(folder, mode=0o700, exist_ok=True)


@before_task_publish.connect
@worker_init.connect
@beat_init.connect
def _before_the_broker_is_used(**kwargs) -> None:
    _broker_folders()


@worker_ready.connect
def _worker_ready(sender, **kwargs) -> None:
    """A worker (re)starts: whatever an earlier life of it left half done is taken up now, not
    when a claim expires (asterisk.tasks.recover, bulk.tasks.recover)."""
    from asterisk.boundary import recover as recover_sync
    from bulk.tasks import recover as recover_jobs

    recover_sync(node=sender.hostname)
    recover_jobs(node=sender.hostname)
