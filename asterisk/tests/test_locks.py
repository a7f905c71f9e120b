"""The config files' lease: one writer at a time across processes and hosts, kept in the database."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from asterisk.locks import FilesBusy, files_lease
from asterisk.models import SyncStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.slow
def test_a_second_writer_waits_then_gives_up_naming_the_holder():
    with files_lease():
        holder = SyncStatus.get().files_by
        assert holder
        with pytest.raises(FilesBusy) as refused, files_lease(wait_s=0.2):
            pass  # pragma: no cover - never entered
        assert holder in str(refused.value)
    assert SyncStatus.get().files_by == ""


def test_a_lease_is_released_when_the_block_raises():
    with pytest.raises(RuntimeError), files_lease():
        raise RuntimeError("the write failed")
    with files_lease(wait_s=0.5):
        pass


def test_an_expired_lease_of_a_dead_holder_is_taken_over():
    SyncStatus.get()
    SyncStatus.objects.update(files_by="celery@gone/1/2/x", files_until=timezone.now() - timedelta(seconds=1))
    with files_lease(wait_s=0.5):
        assert SyncStatus.get().files_by != "celery@gone/1/2/x"


@pytest.mark.slow
def test_a_restarted_worker_lifts_the_lease_its_killed_life_held():
    SyncStatus.get()
    SyncStatus.objects.update(
        files_by="celery@pbx1/41/7/abc", files_until=timezone.now() + timedelta(minutes=5)
    )
    with pytest.raises(FilesBusy), files_lease(wait_s=0.1):
        pass  # pragma: no cover
    assert SyncStatus.release_node("celery@pbx1") == 1
    with files_lease(wait_s=0.5):
        pass


@pytest.mark.slow
def test_a_waiting_writer_gets_the_lease_once_the_holder_in_another_connection_lets_go():
    held, release = threading.Event(), threading.Event()
    order: list[str] = []

    def hold():
        try:
            with files_lease():
                held.set()
                release.wait(10)
                order.append("first done")
        finally:
            connections.close_all()

    first = threading.Thread(target=hold)
    first.start()
    assert held.wait(10)
    waiter = threading.Timer(0.3, release.set)
    waiter.start()
    with files_lease(wait_s=30):
        order.append("second in")
    first.join(10)
    waiter.join(10)
    assert order == ["first done", "second in"]
