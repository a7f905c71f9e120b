"""End to end with a real Redis broker and a real `celery worker` process.

CI requires Redis (.ci/run starts it); locally these tests are skipped, and
say so, when no Redis answers on 127.0.0.1:6379.
"""

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from asterisk.astdb import desired_keys
from asterisk.models import SyncChange, SyncStatus
from directory.users.extensions import extension_create
from directory.users.services import user_create, user_update
from pbxadmin.celery import app as celery_app
from web.testing.forms import form_post_data

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

REDIS_URL = os.environ.get("PBXADMIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as e:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI and did not answer at {REDIS_URL}: {e}")
        pytest.skip(f"no Redis at {REDIS_URL} ({e}); CI runs these")


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# Generous: a busy machine is slow, not wrong. Each wait ends as soon as its condition holds.
PATIENCE = 120


def wait_for(predicate, timeout: float = PATIENCE, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _point_at(broker_url: str) -> None:
    """This process publishes to `broker_url` from now on: the app's connection pools, made for
    the broker it used before, are dropped (as Celery does after a fork)."""
    celery_app.conf.broker_url = broker_url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


class Worker:
    """One `celery worker` process (with beat, as `make run` runs it), on Redis, by PID; it can be
    killed (SIGKILL, mid-run) and started again under the same node name."""

    def __init__(self, env: dict[str, str], queue: str, log: Path):
        self.env, self.queue, self.log = env, queue, log
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        mark = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "pbxadmin", "worker", "--beat", "--pool", "solo",
                 "-Q", self.queue, "--all-servers", "-n", f"{self.queue}@%h", "--without-gossip", "--without-mingle",
                 "--loglevel", "INFO"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for(lambda: "ready" in self.log.read_text()[mark:], what="the worker to start")
        return self

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker(asterisk, settings, tmp_path):
    _redis_or_skip()
    queue = f"pbxadmin-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # The servers' queues too are this test's own (`<queue>.main`), consumed with --all-servers.
        "PBXADMIN_SERVER_QUEUE_PREFIX": f"{queue}.",
        "AMI_HOST": "127.0.0.1",
        "AMI_PORT": str(asterisk.port),
        "AMI_USERNAME": asterisk.username,
        "AMI_SECRET": asterisk.secret,
        "AMI_TIMEOUT": "10",
        "PBXADMIN_VAR_DIR": str(tmp_path),
        "ASTERISK_CONF_DIR": str(settings.ASTERISK_CONF_DIR),
        "PBXADMIN_SYNC_BACKOFF_MAX": "2",
        "PBXADMIN_SYNC_CHECK_EVERY": "2",
        "PBXADMIN_LOG_LEVEL": "INFO",
    }
    old = (celery_app.conf.broker_url, celery_app.conf.task_default_queue, celery_app.conf.task_always_eager)
    _point_at(REDIS_URL)
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False
    settings.CELERY_BROKER_URL = REDIS_URL
    settings.PBXADMIN_SERVER_QUEUE_PREFIX = f"{queue}."
    running = Worker(env, queue, tmp_path / "worker.log")
    try:
        yield running.start()
    finally:
        running.stop()
        _point_at(old[0])
        celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = old[1:]
        print(running.log.read_text()[-3000:])


def _settled() -> bool:
    """Nothing waits and no run is asked for or under way (a run clears its request as it begins)."""
    status = SyncStatus.get()
    return not SyncChange.objects.exists() and not status.queued and status.running_by == ""


def _held(server) -> dict[str, str]:
    return {k: v for k, v in server.astdb().items() if k.split("/")[0] in ("AMPUSER", "DEVICE", "CW")}


def test_a_saved_extension_reaches_asterisk_with_one_reload_per_file_it_changed(worker, asterisk):
    # The first save also writes voicemail_additional.conf for the first time: voicemail reloads once.
    extension_create(extension="1000", name="John Doe", tech="pjsip")
    wait_for(lambda: _held(asterisk).get("DEVICE/1000/user") == "1000", what="the keys in AstDB")
    wait_for(_settled, what="the run to finish")
    assert _held(asterisk) == desired_keys()
    assert asterisk.reloads == ["res_pjsip.so"]
    # The first save writes the dialplan file anew: it is loaded whole, once; later users go live.
    assert sorted(asterisk.commands) == ["dialplan reload", "voicemail reload"]


def test_a_change_made_while_asterisk_is_down_arrives_when_it_is_back(worker, asterisk):
    asterisk.stop()
    user = user_create(extension="2000", name="Before")
    user_update(user=user, name="While Down")
    wait_for(lambda: "cannot connect" in SyncStatus.get().last_error, what="a failed attempt")
    asterisk.start()
    wait_for(lambda: _held(asterisk).get("AMPUSER/2000/cidname") == "While Down", what="the change to arrive")
    # The keys arrive before the run records its success: wait for that too.
    wait_for(lambda: SyncStatus.get().last_error == "", what="the error to clear")
    # The files were written while Asterisk was away; their reloads follow once it answers.
    wait_for(lambda: not SyncChange.objects.exists(), what="nothing left pending")


def test_a_burst_of_1000_saves_arrives_whole_in_far_fewer_runs(worker, asterisk):
    """Saves that come while a run is asked for, or under way, join the next one: the first
    save after a quiet spell goes out at once, and the burst coalesces into the runs it
    overlaps. How many depends on the machine's speed; far fewer than the saves, always."""
    runs_before = SyncStatus.get().runs
    for n in range(1000):
        user_create(extension=str(10000 + n), name=f"User {n}")
    wait_for(_settled, what="the sync")
    assert _held(asterisk) == desired_keys(), "every change arrived, nothing was lost"
    assert "AMPUSER/10999/cidname" in _held(asterisk)
    runs = SyncStatus.get().runs - runs_before
    assert 1 <= runs < 1000 // 2, f"{runs} runs for 1000 saves: far fewer runs than saves"


def test_a_worker_killed_mid_run_costs_seconds_and_everything_converges_after_its_restart(
    worker, asterisk, conf_dir
):
    # A slow Asterisk: the run over 400 users' keys takes a few seconds, time to kill it mid-way.
    asterisk.trickle = 0.2
    for n in range(400):
        user_create(extension=str(20000 + n), name=f"User {n}")
    wait_for(lambda: SyncStatus.get().running_by != "", what="a run to begin")
    wait_for(lambda: asterisk.actions, what="the run to reach Asterisk")
    worker.kill()
    status = SyncStatus.get()
    assert status.running_by != "", "killed mid-run: its claim is left behind"
    assert _held(asterisk) != desired_keys()

    asterisk.trickle = 0.0
    restarted = time.monotonic()
    worker.start()  # the same node name: it lifts what its earlier life held
    wait_for(_settled, timeout=60, what="everything to converge within a minute of the restart")
    assert time.monotonic() - restarted < 60
    assert _held(asterisk) == desired_keys()
    assert "[20399]" not in (conf_dir / "extensions_additional.conf").read_text()
    assert "exten => 20399,1," in (conf_dir / "extensions_additional.conf").read_text()


def test_changes_whose_request_died_with_the_web_process_are_taken_up_by_the_periodic_check(
    worker, asterisk, monkeypatch
):
    """The web server killed between a commit and its request to the worker: the rows are there,
    the request never left (here: it marked a run as asked for, then died). Beat finds them."""
    from asterisk import tasks

    monkeypatch.setattr(tasks, "_enqueue", lambda: True)  # the process died before it sent it
    user_create(extension="30000", name="Orphan")
    assert SyncStatus.get().queued and SyncChange.objects.exists()
    monkeypatch.undo()
    wait_for(_settled, timeout=60, what="the periodic check to sync what waited")
    assert _held(asterisk)["AMPUSER/30000/cidname"] == "Orphan"


class OwnRedis:
    """A Redis server of this test's own, on a free port, that it can stop and start again."""

    def __init__(self, port: int):
        self.port, self.process = port, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=2)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(answers, what="our Redis to answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


def test_with_the_broker_down_a_save_is_no_error_and_its_sync_follows_when_it_is_back(
    worker, asterisk, administrator_client, django_capture_on_commit_callbacks, tmp_path
):
    """Redis down: the page's save commits and answers as usual (no 500), the outbox keeps the
    work; once the broker answers again, the worker's periodic check sends it."""

    from asterisk.testing.pbx import free_ports

    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed (CI installs it)") if os.environ.get("CI") else pytest.skip(
            "no redis-server to run a broker of this test's own"
        )
    broker = OwnRedis(free_ports(1)[0])
    broker.start()
    worker.stop()  # the fixture's worker is on the shared Redis: this test's runs on its own
    own = Worker({**worker.env, "CELERY_BROKER_URL": broker.url}, worker.queue, tmp_path / "own-worker.log")
    _point_at(broker.url)
    try:
        own.start()
        broker.stop()  # the broker is down
        data = form_post_data(administrator_client.get("/extensions/add/?tech=sip"))
        data.update(extension="4000", name="Saved While Down")
        with django_capture_on_commit_callbacks(execute=True):
            response = administrator_client.post("/extensions/add/?tech=sip", data)
        assert response.status_code == 302, response.content[:500]
        assert SyncChange.objects.filter(kind="user", ref="4000").exists(), "the work waits in the outbox"
        assert SyncStatus.get().queued is False, "no request stands for a message that was never sent"

        broker.start()  # back: the worker reconnects, and its periodic check finds the change
        wait_for(_settled, timeout=90, what="the change to follow once the broker is back")
        assert _held(asterisk)["AMPUSER/4000/cidname"] == "Saved While Down"
    finally:
        own.stop()
        broker.stop()
