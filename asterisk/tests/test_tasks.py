"""Asking for the background runs: a burst of saves asks for one files writer, not one each."""

import pytest

from asterisk import tasks
from asterisk.models import SyncChange, SyncStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(monkeypatch):
    """The runs handed to the workers, by task name; none of them runs."""
    names: list[str] = []
    monkeypatch.setattr(
        tasks, "_enqueue", lambda task=None: names.append((task or tasks.sync_asterisk).name) or True
    )
    return names


def writers(asked: list[str]) -> int:
    return asked.count(tasks.write_config_files.name)


def test_a_burst_of_file_changes_asks_for_one_writer_until_a_writer_takes_the_lease(conf_dir, asked):
    for _ in range(10):
        SyncChange.objects.create(kind=SyncChange.Kind.FILE, ref="sip_additional.conf")
        tasks.request_files()
    assert writers(asked) == 1, "the first asked; the others found a writer asked for"
    assert SyncStatus.get().files_queued

    # The writer takes the lease (and the request with it), then reads every row.
    tasks.write_config_files()
    assert not SyncChange.objects.filter(kind=SyncChange.Kind.FILE).exists()
    assert not SyncStatus.get().files_queued
    tasks.request_files()
    assert writers(asked) == 2, "a change after the writer began asks for the next one"


def test_a_writer_asked_for_while_the_broker_is_down_is_asked_again(conf_dir, monkeypatch):
    monkeypatch.setattr(tasks, "_enqueue", lambda task=None: False)
    assert tasks.request_files() is False
    assert not SyncStatus.get().files_queued, "the next save asks again"


def test_a_restarted_worker_asks_for_a_writer_whatever_the_flag_says(conf_dir, asked):
    SyncStatus.request(kind="files")  # asked by a life of the worker that died with the message
    SyncChange.objects.create(kind=SyncChange.Kind.FILE, ref="sip_additional.conf")
    tasks.recover(node="celery@pbx")
    assert writers(asked) == 1
