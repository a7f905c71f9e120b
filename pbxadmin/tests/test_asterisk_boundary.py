"""The boundary: what a transaction records for Asterisk, and when it acts on it."""

import pytest
from django.db import connection, transaction

from pbxadmin.asterisk import asterisk_changed
from pbxadmin.models import SyncChange, SyncStatus
from users.services import user_create

pytestmark = pytest.mark.django_db


def _our_callbacks() -> int:
    return sum(
        1 for _sids, func, _robust in connection.run_on_commit if getattr(func, "func", None) is not None
    )


def test_a_transaction_with_many_changes_registers_one_after_commit_callback():
    with transaction.atomic():
        for n in range(200):
            asterisk_changed(techs={"sip"}, users={str(n)})
        assert _our_callbacks() == 1
        assert SyncChange.objects.count() == 200


def test_a_rolled_back_savepoint_drops_its_records_and_the_next_change_registers_again():
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            asterisk_changed(users={"1000"})
            raise RuntimeError("this part fails")
        assert _our_callbacks() == 0
        assert not SyncChange.objects.exists()
        asterisk_changed(users={"1001"})
        assert _our_callbacks() == 1
        assert list(SyncChange.objects.values_list("ref", flat=True)) == ["1001"]


def test_a_save_with_asterisk_down_succeeds_and_reports_it(
    settings, asterisk, django_capture_on_commit_callbacks
):
    settings.PBXADMIN_SYNC = "inline"
    asterisk.stop()
    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(extension="1000", name="Ana")
    assert user.pk == "1000"
    status = SyncStatus.get()
    assert "cannot connect" in status.last_error and status.queued is False
    assert SyncChange.objects.filter(kind="user", ref="1000").exists(), "kept for the next run"
