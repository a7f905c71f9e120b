"""The Celery app: `celery -A pbxadmin worker`. Configured from Django settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbxadmin.settings")

app = Celery("pbxadmin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["asterisk", "bulk"])
