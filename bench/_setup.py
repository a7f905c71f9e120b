"""Shared set-up for the benchmarks: a throw-away database and config folder, Django ready."""

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_in_temp_dir(label: str) -> Path:
    """Point pbxadmin at a fresh SQLite file and conf dir (unless DATABASE_URL is set) and set Django up."""
    work = Path(tempfile.mkdtemp(prefix=f"pbxadmin-bench-{label}-"))
    os.environ.setdefault("PBXADMIN_VAR_DIR", str(work))
    os.environ["ASTERISK_CONF_DIR"] = str(work / "asterisk")
    os.environ.setdefault("PBXADMIN_LOG_LEVEL", "WARNING")
    # No Asterisk here unless a benchmark brings one (AMI_SECRET unset: syncs write files only).
    os.environ.setdefault("AMI_SECRET", "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbxadmin.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    # A save's sync runs at its commit, in this process (Celery's eager mode): what a benchmark
    # times includes the files it writes. bench/api.py and bench/live.py run a real worker.
    from asterisk.tasks import reload_asterisk, sync_asterisk
    from pbxadmin.celery import app

    app.conf.task_always_eager = True
    # Eagerly, a retry would run at once, again and again: a failed sync here is not retried.
    sync_asterisk.max_retries = reload_asterisk.max_retries = 0
    return work


def seed_extensions(count: int) -> None:
    from web.testing.seed import seed_extensions as seed

    seed(count)


def median_ms(func, repeat: int) -> float:
    """The median wall time of `func()` over `repeat` calls, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def keep_one_connection() -> None:
    """Keep one database connection across test-client requests, as a server with persistent
    connections does (and so a query count sees only the request's own queries)."""
    from django.conf import settings
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.ALLOWED_HOSTS = ["testserver"]


@contextmanager
def ami_server_process():
    """The test AMI server in its own process, as Asterisk would be: client and server get a core each."""
    secret = secrets.token_hex(8)
    process = subprocess.Popen(
        [sys.executable, "-m", "asterisk.testing.ami_server", "--secret", secret],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(process.stdout.readline().rsplit(":", 1)[1])
        yield port, secret
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def worker_process(**env: str):
    """A Celery worker in its own process, as `make run` starts one, on this benchmark's database,
    folders and broker (the embedded filesystem one unless CELERY_BROKER_URL says otherwise)."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    url = f"sqlite:///{db['NAME']}" if connection.vendor == "sqlite" else os.environ.get("DATABASE_URL", "")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pbxadmin", "worker", "--pool", "threads",
         "--concurrency", "4", "--loglevel", "WARNING", "-n", "bench@%h"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "PBXADMIN_VAR_DIR": str(settings.VAR_DIR),
            "ASTERISK_CONF_DIR": str(settings.ASTERISK_CONF_DIR),
            **env,
        },
    )  # fmt: skip
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
