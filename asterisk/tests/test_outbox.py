"""The outbox (asterisk/outbox.py): what a transaction records for Asterisk, once, at its end or a
batch's, and what a rolled-back part never records."""

import pytest
from django.db import transaction

from asterisk import files, outbox
from asterisk.models import SyncChange
from asterisk.sync import run_sync
from directory.devices.services import device_create, device_delete
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_writes(monkeypatch):
    """The names of the files each after-commit write was asked for."""
    calls: list[list[str]] = []
    real = files._write_locked

    def counting(names, before_replacing):
        calls.append(sorted(names))
        return real(names, before_replacing)

    monkeypatch.setattr(files, "_write_locked", counting)
    return calls


def _files_pending() -> set[str]:
    return set(SyncChange.objects.filter(kind="file").values_list("ref", flat=True))


@pytest.mark.slow
def test_a_transaction_with_many_changes_writes_the_files_once(
    django_capture_on_commit_callbacks, file_writes
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n in range(1000, 1200):
            user_create(extension=str(n), name=f"User {n}")
    assert file_writes == [["extensions_additional.conf", "voicemail_additional.conf"]]
    assert not _files_pending(), "written, so no longer pending"
    assert SyncChange.objects.filter(kind="user").count() == 200, "the AstDB work waits for the sync"


def test_the_boundary_decides_which_files_a_device_change_touches():
    with transaction.atomic():
        device_create(id="2001", tech="sip")
        assert _files_pending() == {"sip_additional.conf", "extensions_additional.conf"}


def test_a_deleted_device_makes_every_device_file_checked_since_its_technology_is_gone(committed):
    device = committed(device_create, id="2001", tech="pjsip")
    SyncChange.objects.all().delete()
    with transaction.atomic():
        device_delete(device=device)
        assert {"pjsip.endpoint.conf", "sip_additional.conf", "iax_additional.conf"} <= _files_pending()


def test_a_rolled_back_savepoint_drops_its_records_and_the_rest_still_reach_the_files(
    django_capture_on_commit_callbacks, conf_dir
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            extension_create(extension="1000", name="Ana", tech="sip")
            raise RuntimeError("this part fails")
        assert not SyncChange.objects.exists()
        extension_create(extension="1001", name="Ben", tech="sip")
    sip = (conf_dir / "sip_additional.conf").read_text()
    assert "[1001]" in sip.splitlines() and "[1000]" not in sip.splitlines()


def _refs(kind: str) -> set[str]:
    return set(SyncChange.objects.filter(kind=kind).values_list("ref", flat=True))


def test_a_batch_records_what_changed_inside_it_once_at_its_end(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, outbox.batch():
        for n in range(20):
            extension_create(extension=str(1000 + n), name=f"User {n}", tech="sip")
        assert not SyncChange.objects.exists(), "collected, not recorded yet"
    assert _refs("user") == _refs("device") == {str(1000 + n) for n in range(20)}
    assert _files_pending() == {
        "sip_additional.conf",
        "extensions_additional.conf",
        "voicemail_additional.conf",
    }
    assert len(callbacks) == 1


def test_nested_batches_record_once_when_the_outer_one_ends(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, outbox.batch():
        with outbox.batch():
            user_create(extension="1000", name="Ana")
        assert not SyncChange.objects.exists(), "the inner batch leaves it to the outer one"
        user_create(extension="1001", name="Ben")
    assert _refs("user") == {"1000", "1001"}
    assert len(callbacks) == 1


def test_an_exception_out_of_a_batch_undoes_its_changes_and_records_nothing(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with pytest.raises(RuntimeError), outbox.batch():
            extension_create(extension="1000", name="Ana", tech="sip")
            raise RuntimeError("this part fails")
        assert not SyncChange.objects.exists()
        extension_create(extension="1001", name="Ben", tech="sip")  # the transaction goes on
    assert list(PbxUser.objects.values_list("pk", flat=True)) == ["1001"]
    assert _refs("user") == {"1001"}
    assert len(callbacks) == 1, "1001's own: the batch registered none"


@pytest.mark.slow
def test_a_block_rolled_back_inside_a_batch_reaches_neither_the_files_nor_astdb(
    committed, conf_dir, asterisk
):
    def import_with_a_failed_part():
        with outbox.batch():
            with pytest.raises(RuntimeError), transaction.atomic():
                extension_create(extension="1000", name="Ana", tech="sip")
                raise RuntimeError("this part fails")
            extension_create(extension="1001", name="Ben", tech="sip")

    committed(import_with_a_failed_part)
    run_sync()
    sip = (conf_dir / "sip_additional.conf").read_text().splitlines()
    assert "[1001]" in sip and "[1000]" not in sip
    assert "DEVICE/1001/dial" in asterisk.astdb() and not asterisk.astdb("DEVICE/1000")
    assert not SyncChange.objects.exclude(kind="reload").exists()


def test_outbox_changed_with_nothing_records_nothing():
    outbox.changed(users=(), devices=["", None])
    assert not SyncChange.objects.exists()
