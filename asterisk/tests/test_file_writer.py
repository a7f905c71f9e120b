"""The file writer: with a background sync, saves return at once and a burst is written in one go;
whatever fails, a file that changed has its reload queued, and the reload is asked for."""

import threading

import pytest
from django.db import OperationalError

from asterisk import files, outbox, runner
from asterisk.file_writer import FileWriter
from asterisk.models import SyncChange
from asterisk.outbox import writer
from endpoints.conf import parse_conf
from endpoints.generate import FILE_RELOAD
from users.extensions import extension_create

# The writer thread reads with its own connection: it must see real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def _sections(path) -> set[str]:
    return {section.name for section in parse_conf(path.read_text()).sections}


def _pending(kind: str) -> set[str]:
    return set(SyncChange.objects.filter(kind=kind).values_list("ref", flat=True))


def _in_a_thread(func, timeout: float = 30) -> None:
    """Run func in a thread; fail (rather than hang) if it does not come back."""
    errors: list[BaseException] = []

    def run():
        try:
            func()
        except BaseException as e:  # re-raised in the test thread below
            errors.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the save waited for the config files"
    if errors:
        raise errors[0]


@pytest.fixture
def syncs_asked(settings, monkeypatch):
    """Saves as `make run` does them without a broker, the sync requests recorded instead of run
    (a sync thread would outlive the test): the writer alone writes the files."""
    settings.PBXADMIN_SYNC = "thread"
    asked: list[dict] = []
    monkeypatch.setattr(outbox, "request_sync", lambda **kwargs: asked.append(kwargs))
    return asked


@pytest.fixture
def rounds(monkeypatch):
    """How many times the writer thread wrote (a save writing in its own thread is not counted)."""
    calls = []
    real = outbox.write_pending_files

    def counting():
        if threading.current_thread().name == "pbxadmin-files":
            calls.append(1)
        return real()

    monkeypatch.setattr(outbox, "write_pending_files", counting)
    return calls


def test_a_save_does_not_wait_for_the_files_and_the_writer_writes_them(syncs_asked, conf_dir):
    conf_dir.mkdir(parents=True, exist_ok=True)
    with files._locked(conf_dir):  # another writer is busy with the files
        _in_a_thread(lambda: extension_create(extension="1000", name="Ana", tech="sip"))
    assert writer.wait(30)
    assert "1000" in _sections(conf_dir / "sip_additional.conf")
    assert not _pending("file")
    assert {"chan_sip.so", "dialplan"} <= _pending("reload")


def test_saves_made_while_a_write_is_busy_are_written_together(syncs_asked, conf_dir, rounds):
    conf_dir.mkdir(parents=True, exist_ok=True)
    with files._locked(conf_dir):
        for n in range(5):
            _in_a_thread(lambda n=n: extension_create(extension=f"{1000 + n}", name=f"P{n}", tech="sip"))
    assert writer.wait(30)
    # The first round may have read only the first save; every later one is in the next.
    assert 1 <= len(rounds) <= 2
    assert {"1000", "1001", "1002", "1003", "1004"} <= _sections(conf_dir / "sip_additional.conf")
    assert not _pending("file"), "a wake during a round was not lost"


def test_a_round_that_queued_reloads_asks_for_a_sync_of_its_own(syncs_asked, conf_dir):
    # The save's own request may be served before the writer queues the reloads.
    extension_create(extension="1000", name="Ana", tech="sip")
    assert writer.wait(30)
    assert syncs_asked == [{}, {"files_too": False}], "the save asked, then the round that changed files"
    outbox.writer.wake()  # nothing pending: no change, no request
    assert writer.wait(30)
    assert len(syncs_asked) == 2


def test_a_writer_whose_round_failed_writes_on_the_next_wake(settings, conf_dir):
    # Committed, files not written: the conf folder is a file when the save commits.
    blocked = conf_dir.parent / "not-a-folder"
    blocked.write_text("")
    settings.ASTERISK_CONF_DIR = blocked
    extension_create(extension="1000", name="Ana", tech="sip")
    settings.ASTERISK_CONF_DIR = conf_dir
    assert "sip_additional.conf" in _pending("file")
    failures = []

    def fails_once():
        if not failures:
            failures.append(1)
            raise RuntimeError("a bug in a renderer")
        files.write_pending_files()

    own = FileWriter(fails_once)
    own.wake()
    assert own.wait(30)
    assert "sip_additional.conf" in _pending("file"), "the failed round settled nothing"
    own.wake()
    assert own.wait(30)
    assert "1000" in _sections(conf_dir / "sip_additional.conf")
    assert not _pending("file")


def test_in_manual_mode_the_save_writes_its_files_itself(conf_dir, rounds):
    extension_create(extension="1000", name="Ana", tech="sip")
    assert "1000" in _sections(conf_dir / "sip_additional.conf")
    assert not rounds


def test_a_worker_writes_its_tasks_files_itself(settings, conf_dir, rounds, monkeypatch):
    settings.PBXADMIN_SYNC = "celery"
    monkeypatch.setattr(runner, "_in_worker", True)
    monkeypatch.setattr(outbox, "request_sync", lambda **kwargs: None)
    extension_create(extension="1000", name="Ana", tech="sip")
    assert "1000" in _sections(conf_dir / "sip_additional.conf")
    assert not rounds


# --- Whatever fails, a changed file has its reload -------------------------------


def _saved_not_written(monkeypatch) -> None:
    monkeypatch.setattr(outbox, "write_pending_files", lambda: [])
    extension_create(extension="1000", name="Ana", tech="pjsip")
    monkeypatch.undo()
    assert _pending("file") and not _pending("reload")


def test_a_file_replaced_before_a_later_one_failed_still_gets_its_reload(conf_dir, monkeypatch):
    _saved_not_written(monkeypatch)
    real, replaced = files.atomic_write, []

    def full_disk_on_the_second(path, text, **kwargs):
        if replaced:
            raise OSError(28, "No space left on device")
        replaced.append(path.name)
        return real(path, text, **kwargs)

    monkeypatch.setattr(files, "atomic_write", full_disk_on_the_second)
    assert files.write_pending_files() is None
    assert FILE_RELOAD[replaced[0]] in _pending("reload")
    assert _pending("file"), "kept for the next round"


def test_files_replaced_whose_rows_could_not_be_removed_still_get_their_reloads(conf_dir, monkeypatch):
    _saved_not_written(monkeypatch)
    real_delete = files.SyncChange.objects.filter

    def locked_database(*args, **kwargs):
        if "pk__in" in kwargs:
            raise OperationalError("database is locked")
        return real_delete(*args, **kwargs)

    monkeypatch.setattr(files.SyncChange.objects, "filter", locked_database)
    assert files.write_pending_files() is None
    monkeypatch.undo()
    assert "1000" in _sections(conf_dir / "pjsip.endpoint.conf")
    assert files.write_pending_files() == [], "the next round finds the text in place"
    assert {"res_pjsip.so", "dialplan"} <= _pending("reload")
    assert not _pending("file")


def test_a_temp_file_left_by_a_killed_writer_is_swept_and_no_one_elses(conf_dir):
    conf_dir.mkdir(parents=True, exist_ok=True)
    stale = conf_dir / ".pjsip.endpoint.conf.abc123.tmp"
    stale.write_text("half a file")
    theirs = conf_dir / ".manager.conf.x1y2.tmp"  # another tool's, mid-write
    theirs.write_text("[general]")
    files.write_files()
    assert not stale.exists()
    assert theirs.exists()
