"""A command ends when its work is done: what it saved still reaches the files and Asterisk.

Real processes (manage.py), since what is at stake is what happens when one exits.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from asterisk import runner
from endpoints.conf import parse_conf

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, var_dir: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "PBXADMIN_VAR_DIR": str(var_dir),
        "ASTERISK_CONF_DIR": str(var_dir / "asterisk"),
        # Its own SQLite file, whatever database the tests run on.
        "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "",
        "PBXADMIN_SYNC_DELAY": "0",
        **env,
    }
    for name in ("DJANGO_SETTINGS_MODULE", "PBXADMIN_SYNC"):
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def _endpoints(var_dir: Path) -> set[str]:
    text = (var_dir / "asterisk" / "pjsip.endpoint.conf").read_text()
    return {section.name for section in parse_conf(text).sections}


def test_without_a_broker_only_a_serving_process_hands_work_to_threads(settings, monkeypatch):
    settings.PBXADMIN_SYNC, settings.CELERY_BROKER_URL = "auto", ""
    monkeypatch.setattr(runner, "_serving", False)
    assert runner.mode() == "inline"
    runner.serving()
    assert runner.mode() == "thread"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert runner.mode() == "celery"


def test_an_import_command_leaves_files_written_and_asterisk_in_step(tmp_path, asterisk):
    var = tmp_path / "var"
    ami = {
        "AMI_HOST": "127.0.0.1",
        "AMI_PORT": str(asterisk.port),
        "AMI_USERNAME": asterisk.username,
        "AMI_SECRET": asterisk.secret,
    }
    _manage("migrate", "-v0", var_dir=var)
    staff = tmp_path / "staff.csv"
    staff.write_text("extension,name,tech\n2001,Ann,pjsip\n2002,Bob,pjsip\n")

    # The default (auto, no broker): the command syncs before it exits.
    _manage("import_extensions", str(staff), var_dir=var, **ami)
    assert {"2001", "2002"} <= _endpoints(var)
    assert asterisk.astdb().get("AMPUSER/2002/cidname") == "Bob"
    status = _manage(
        "shell", "-c", "from asterisk.models import SyncStatus as S; print(S.get().queued)", var_dir=var
    )
    assert status.stdout.splitlines()[-1] == "False", "no run left claimed by a thread that died"

    # Told to use threads anyway: the process still finishes the files it owes before exiting
    # (the sync thread waits 30 s first and dies with the process: the writer did it).
    more = tmp_path / "more.csv"
    more.write_text("extension,name,tech\n2003,Cy,pjsip\n")
    _manage("import_extensions", str(more), var_dir=var, PBXADMIN_SYNC="thread", PBXADMIN_SYNC_DELAY="30")
    assert {"2001", "2002", "2003"} <= _endpoints(var)
    assert not list((var / "asterisk").glob(".*.tmp")), "no write was cut short"

    # Asterisk refusing the login: the import stands, the command reports it and succeeds.
    last = tmp_path / "last.csv"
    last.write_text("extension,name,tech\n2004,Di,pjsip\n")
    refused = _manage("import_extensions", str(last), var_dir=var, **{**ami, "AMI_SECRET": "wrong"})
    assert "1 create (were imported)" in refused.stdout
    assert "2004" in _endpoints(var)


def test_a_task_thread_waiting_to_retry_ends_when_asked(settings):
    settings.PBXADMIN_SYNC = "thread"
    runs = []

    class Flaky:
        name = "asterisk.tasks.flaky"
        autoretry_for = (ConnectionError,)

        def run(self):
            runs.append(1)
            raise ConnectionError("Asterisk is down")

    runner.run_in_background(Flaky())
    deadline = time.monotonic() + 30
    while not runs and time.monotonic() < deadline:
        time.sleep(0.01)
    # It has run once and waits 2 s to retry; asked to stop, it ends without a second run.
    assert runner.stop_threads(30) == []
    assert runs == [1]


def test_a_process_finishes_the_writers_round_before_it_exits(tmp_path):
    """A daemon thread is stopped wherever it stands at exit; the writer's round is waited for."""
    marker = tmp_path / "written"
    script = (
        "import django, pathlib, time; django.setup()\n"
        "from asterisk.file_writer import FileWriter\n"
        "def work():\n"
        "    time.sleep(0.5)  # a round still under way when the main thread ends\n"
        f"    pathlib.Path({str(marker)!r}).write_text('done')\n"
        "FileWriter(work).wake()\n"
    )
    environment = {
        **os.environ,
        "PBXADMIN_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pbxadmin.settings",
    }
    subprocess.run([sys.executable, "-c", script], env=environment, cwd=ROOT, check=True, timeout=60)
    assert marker.read_text() == "done"
