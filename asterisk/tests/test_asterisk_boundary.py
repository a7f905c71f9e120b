"""The boundary: what a transaction records for Asterisk, and when and how it acts on it."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from asterisk import files, outbox
from asterisk.models import SyncChange, SyncStatus
from asterisk.sync import run_reloads, run_sync
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


def test_a_crash_between_commit_and_write_is_repaired_by_the_next_run(asterisk, conf_dir):
    # The process dies after the commit: the on-commit work never runs.
    extension_create(extension="1000", name="Ana", tech="sip")
    assert not (conf_dir / "sip_additional.conf").exists()
    assert "sip_additional.conf" in _files_pending(), "the outbox still says so"

    run_sync()
    run_reloads()

    assert "[1000]" in (conf_dir / "sip_additional.conf").read_text().splitlines()
    assert not SyncChange.objects.exists()
    assert ("Reload", "chan_sip.so") in [(a["action"], a.get("module")) for a in asterisk.actions]


def test_a_change_committed_while_files_are_written_keeps_its_row(committed, monkeypatch, conf_dir):
    committed(extension_create, extension="1000", name="Ana", tech="sip")
    real = files._write_locked

    def write_then_another_commit(names, before_replacing):
        written = real(names, before_replacing)
        # Another process commits a change after this writer read the database.
        with transaction.atomic():
            extension_create(extension="1001", name="Ben", tech="sip")
        return written

    extension_create(extension="1002", name="Cy", tech="sip")
    monkeypatch.setattr(files, "_write_locked", write_then_another_commit)
    files.write_pending_files()
    assert "sip_additional.conf" in _files_pending(), "1001's row outlives the write that missed it"
    monkeypatch.setattr(files, "_write_locked", real)
    files.write_pending_files()
    assert "[1001]" in (conf_dir / "sip_additional.conf").read_text().splitlines()


def test_a_save_with_asterisk_down_succeeds_and_reports_it(asterisk, django_capture_on_commit_callbacks):
    asterisk.stop()
    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(extension="1000", name="Ana")
    assert user.pk == "1000"
    status = SyncStatus.get()
    # Here Celery does not retry (see conftest), so nothing stays asked for; on a worker the
    # retry keeps the request and the change arrives (test_worker.py).
    assert "cannot connect" in status.last_error and status.queued is False
    assert SyncChange.objects.filter(kind="user", ref="1000").exists(), "kept for the next run"


def test_outbox_changed_with_nothing_records_nothing():
    outbox.changed(users=(), devices=["", None])
    assert not SyncChange.objects.exists()


def test_writeconf_settles_what_the_outbox_held_and_queues_the_reloads(conf_dir):
    extension_create(extension="1000", name="Ana", tech="sip")  # committed, never written
    call_command("writeconf", stdout=io.StringIO())
    assert "[1000]" in (conf_dir / "sip_additional.conf").read_text().splitlines()
    assert not _files_pending()
    reloads = set(SyncChange.objects.filter(kind="reload").values_list("ref", flat=True))
    assert {"chan_sip.so", "dialplan"} <= reloads


def test_when_the_files_cannot_be_written_the_sync_still_runs_once_and_the_banner_keeps_the_error(
    settings, asterisk, conf_dir, django_capture_on_commit_callbacks
):  # it once looped: each run asked for another, for the files it could not write
    blocked = conf_dir.parent / "not-a-folder"
    blocked.write_text("")  # a file where the folder should be: every write fails, even as root
    settings.ASTERISK_CONF_DIR = blocked
    with django_capture_on_commit_callbacks(execute=True):
        extension_create(extension="1000", name="Ana", tech="sip")
    status = SyncStatus.get()
    assert status.runs == 1, "one run pushed AstDB; the leftover file rows did not start another"
    assert status.last_error_kind == "files" and "config files" in status.last_error
    assert status.queued is False
    assert "sip_additional.conf" in _files_pending(), "kept for the next write"
    assert asterisk.astdb().get("DEVICE/1000/dial") == "SIP/1000"


def test_an_unexpected_error_in_a_run_lets_go_of_the_run(monkeypatch, asterisk, worker_away, committed):
    from asterisk import sync

    committed(extension_create, extension="1000", name="Ana", tech="sip")
    assert SyncStatus.get().queued

    def locked(self, **_options):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(sync._Run, "go", locked)
    with pytest.raises(RuntimeError):
        sync.run_requested(owner="w1")
    status = SyncStatus.get()
    assert status.running_by == "" and status.lease_until is None, "the next run may begin at once"
    monkeypatch.undo()
    assert sync.run_requested(owner="w2").result is not None
    assert asterisk.astdb().get("DEVICE/1000/dial") == "SIP/1000"
