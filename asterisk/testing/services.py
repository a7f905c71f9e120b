"""pbxadmin's long-running services (FastAGI, the AMI event listener, the web server) as subprocesses
of a test, run as `make run` runs them: the same `manage.py` commands, the test's database and settings.

The test must use a database other processes can see (`transactional_db`; SQLite's test
database is a file). Each service is started and stopped by its PID, and its output is kept.
"""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as DATABASE_URL for another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def environment(**extra: str) -> dict[str, str]:
    """What a service of this test needs to see the same database, Asterisk and folders."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PBXADMIN_VAR_DIR": str(settings.VAR_DIR),
        "ASTERISK_CONF_DIR": str(settings.ASTERISK_CONF_DIR),
        "AMI_HOST": str(settings.AMI_HOST),
        "AMI_PORT": str(settings.AMI_PORT),
        "AMI_USERNAME": str(settings.AMI_USERNAME),
        "AMI_SECRET": str(settings.AMI_SECRET),
        "AMI_TIMEOUT": str(settings.AMI_TIMEOUT),
        "PBXADMIN_AGI_URL": str(settings.PBXADMIN_AGI_URL),
        "PBXADMIN_AGI_LISTEN": str(settings.PBXADMIN_AGI_LISTEN),
        "PBXADMIN_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CELERY_BROKER_URL", None)
    env.update(extra)
    return env


def worker_command(name: str = "worker") -> list[str]:
    """A Celery worker (with the periodic checks) as `make run` starts it, named `name@<host>`."""
    return [
        "-m", "celery", "-A", "pbxadmin", "worker", "--beat", "--all-servers", "--pool", "solo",
        "--without-gossip", "--without-mingle", "--loglevel", "INFO", "-n", f"{name}@%h",
    ]  # fmt: skip


class Service:
    """`python manage.py <command>` (or `python -m celery …` for `worker`) in the background;
    `stop()` sends SIGTERM, then SIGKILL."""

    def __init__(self, *command: str, log: Path, env: dict[str, str] | None = None):
        self.log = log
        argv = worker_command() if command == ("worker",) else ["manage.py", *command]
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, *argv],
                cwd=ROOT,
                env=env or environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return self.log.read_text(errors="replace")
        return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)

    def __enter__(self) -> "Service":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
