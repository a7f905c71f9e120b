"""The file writer: with a background sync, saves return at once and a burst is written in one go."""

import threading

import pytest

from asterisk import file_writer, files
from asterisk.file_writer import FileWriter, writer
from asterisk.models import SyncChange
from endpoints.conf import parse_conf
from users.extensions import extension_create

# The writer thread reads with its own connection: it must see real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def _sections(path) -> set[str]:
    return {section.name for section in parse_conf(path.read_text()).sections}


def _files_pending() -> set[str]:
    return set(SyncChange.objects.filter(kind="file").values_list("ref", flat=True))


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
def background(settings, asterisk):
    """Saves as `make run` does them without a broker: sync and files in this process's threads."""
    settings.PBXADMIN_SYNC = "thread"


@pytest.fixture
def rounds(monkeypatch):
    """How many times the writer wrote (the sync run's own write is not counted)."""
    calls = []
    real = file_writer.write_pending_files

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(file_writer, "write_pending_files", counting)
    return calls


def test_a_save_does_not_wait_for_the_files_and_the_writer_writes_them(background, conf_dir):
    conf_dir.mkdir(parents=True, exist_ok=True)
    with files._locked(conf_dir):  # another writer is busy with the files
        _in_a_thread(lambda: extension_create(extension="1000", name="Ana", tech="sip"))
    assert writer.wait(30)
    assert "1000" in _sections(conf_dir / "sip_additional.conf")
    assert not _files_pending()


def test_saves_made_while_a_write_is_busy_are_written_together(background, conf_dir, rounds):
    conf_dir.mkdir(parents=True, exist_ok=True)
    with files._locked(conf_dir):
        for n in range(5):
            _in_a_thread(lambda n=n: extension_create(extension=f"{1000 + n}", name=f"P{n}", tech="sip"))
    assert writer.wait(30)
    # The first round may have read only the first save; every later one is in the next.
    assert 1 <= len(rounds) <= 2
    assert {"1000", "1001", "1002", "1003", "1004"} <= _sections(conf_dir / "sip_additional.conf")


def test_a_writer_whose_write_failed_writes_on_the_next_wake(settings, conf_dir, monkeypatch):
    # Committed, files not written: the conf folder is a file when the save commits.
    blocked = conf_dir.parent / "not-a-folder"
    blocked.write_text("")
    settings.ASTERISK_CONF_DIR = blocked
    extension_create(extension="1000", name="Ana", tech="sip")
    settings.ASTERISK_CONF_DIR = conf_dir
    assert "sip_additional.conf" in _files_pending()

    real = file_writer.write_pending_files
    failures = []

    def fails_once():
        if not failures:
            failures.append(1)
            raise RuntimeError("a bug in a renderer")
        return real()

    monkeypatch.setattr(file_writer, "write_pending_files", fails_once)
    own = FileWriter()
    own.wake()
    assert own.wait(30)
    assert "sip_additional.conf" in _files_pending(), "the failed round settled nothing"
    own.wake()
    assert own.wait(30)
    assert "1000" in _sections(conf_dir / "sip_additional.conf")
    assert not _files_pending()


def test_in_manual_mode_the_save_writes_its_files_itself(conf_dir, rounds):
    extension_create(extension="1000", name="Ana", tech="sip")
    assert "1000" in _sections(conf_dir / "sip_additional.conf")
    assert not rounds
