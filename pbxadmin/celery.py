"""The Celery app: `celery -A pbxadmin worker`. Configured from Django settings (CELERY_*).

Imported with the settings (pbxadmin/__init__.py), so it must not touch the disk: the
worker uses the var/ folder that `manage.py migrate` prepared.
"""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbxadmin.settings")

app = Celery("pbxadmin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["asterisk", "bulk"])


@worker_init.connect
def _a_worker(**kwargs) -> None:
    # Before the pool forks: every child inherits it.
    from asterisk import runner

    runner.working()
