"""The Celery app: `celery -A pbxadmin worker`. Configured from Django settings (CELERY_*).

Celery runs all background work (the Asterisk sync, imports), in every setup: with
Redis in production, with an embedded filesystem broker under var/ for `make run`.
Imported with the settings (pbxadmin/__init__.py), so it must not touch the disk at
import: the folders are made when a worker starts or a message is first sent.
"""

import logging
import os

from celery import Celery, bootsteps
from celery.signals import beat_init, before_task_publish, celeryd_init, worker_init, worker_ready
from click import Option

from pbxadmin import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbxadmin.settings")
# `filesystem://` with messages written whole (kombu's own can be read half-written).
broker.install()

app = Celery("pbxadmin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["asterisk", "bulk"])

log = logging.getLogger(__name__)

# Each Asterisk server's runs go to its own queue, `pbx.<name>` (README "Several servers"): a
# worker on a PBX host consumes its server's (`-Q pbx.<name>`). A worker started with no -Q (as
# a single PBX's always was) consumes the default server's too: the one whose Asterisk its own
# settings reach. Only `--all-servers` (one host running everything: tests, a trial) consumes
# every server's, a new server's from the moment it is saved (looked for every ALL_SERVERS_EVERY
# seconds): never implied, or a host would write another PBX's files and log in to it.
ALL_SERVERS_EVERY = 10.0
app.user_options["worker"].add(
    Option(
        ("--all-servers",),
        is_flag=True,
        default=False,
        help="Also consume every Asterisk server's queue (pbx.<name>), new servers' included.",
    )
)


@celeryd_init.connect
def _which_queues(sender, instance, options, **kwargs) -> None:
    """Which servers' queues this worker consumes beyond its -Q: every one (--all-servers), the
    default server's (no -Q), or none."""
    if options.get("all_servers"):
        instance.servers_queues = "all"
    elif not options.get("queues"):
        instance.servers_queues = "default"
    else:
        instance.servers_queues = None


class EveryServersQueue(bootsteps.StartStopStep):
    """Consume the servers' queues `_which_queues` chose, at start and as servers change."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **options):
        self.timer = None
        self.default_queue = None
        super().__init__(parent, **options)

    def start(self, consumer) -> None:
        self.mode = getattr(consumer.controller, "servers_queues", None)
        if self.mode is None:
            return
        self.add_queues(consumer)
        self.timer = consumer.timer.call_repeatedly(ALL_SERVERS_EVERY, self.add_queues, (consumer,))

    def stop(self, consumer) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def add_queues(self, consumer) -> None:
        from django import db

        from asterisk.boundary import default_server_queue, server_queues

        try:
            db.close_old_connections()
            queues = server_queues() if self.mode == "all" else [default_server_queue()]
        except Exception:  # the database may be away a moment: the next round looks again
            log.exception("could not read the Asterisk servers' queues")
            return
        if self.mode == "default" and self.default_queue not in (None, queues[0]):
            # Another server became the default: its queue replaces the old one's.
            consumer.cancel_task_queue(self.default_queue)
        for queue in queues:
            # Consumed already: nothing happens.
            consumer.add_task_queue(queue)
        if self.mode == "default":
            self.default_queue = queues[0]


app.steps["consumer"].add(EveryServersQueue)


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
