"""End to end with a real Redis broker and a real `celery worker` process.

CI requires Redis (.ci/run starts it); locally these tests are skipped, and
say so, when no Redis answers on 127.0.0.1:6379.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from asterisk.astdb import desired_keys
from asterisk.models import SyncChange, SyncStatus
from pbxadmin.celery import app as celery_app
from users.extensions import extension_create
from users.services import user_create, user_update

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


@pytest.fixture
def worker(asterisk, settings, tmp_path):
    _redis_or_skip()
    queue = f"pbxadmin-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "AMI_HOST": "127.0.0.1",
        "AMI_PORT": str(asterisk.port),
        "AMI_USERNAME": asterisk.username,
        "AMI_SECRET": asterisk.secret,
        "AMI_TIMEOUT": "10",
        "PBXADMIN_VAR_DIR": str(tmp_path),
        "ASTERISK_CONF_DIR": str(settings.ASTERISK_CONF_DIR),
        "PBXADMIN_SYNC_BACKOFF_MAX": "2",
        "PBXADMIN_LOG_LEVEL": "INFO",
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "pbxadmin",
                "worker",
                "--pool",
                "solo",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    old = (celery_app.conf.broker_url, celery_app.conf.task_default_queue, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = REDIS_URL
    celery_app.conf.task_default_queue = queue
    celery_app.conf.task_always_eager = False
    settings.CELERY_BROKER_URL = REDIS_URL
    try:
        wait_for(lambda: "ready" in log_path.read_text(), what="the worker to start")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        celery_app.conf.broker_url, celery_app.conf.task_default_queue, celery_app.conf.task_always_eager = (
            old
        )
        print(log_path.read_text()[-3000:])


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
    assert not SyncChange.objects.exists(), "nothing left pending"


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
