"""The migrations that moved the sync tables out of `pbxadmin` keep an installation's rows.

Runs on whichever database the suite runs on (SQLite here; CI also PostgreSQL):
it migrates the real test database back to before the move, fills the tables
through the historical models, and migrates forward again.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from asterisk.models import AstdbEntry, SyncChange, SyncStatus
from portal.models import PortalSettings

BEFORE_THE_MOVE = [("pbxadmin", "0002_portal_settings")]
MOVED = {
    "astdbentry": "asterisk",
    "syncchange": "asterisk",
    "syncstatus": "asterisk",
    "portalsettings": "portal",
}


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.slow
def test_rows_written_before_the_move_are_found_in_the_asterisk_and_portal_apps(transactional_db):
    executor = _migrate(BEFORE_THE_MOVE)
    applied = {app for app, _ in MigrationRecorder(connection).applied_migrations()}
    assert "asterisk" not in applied and "portal" not in applied
    old = executor.loader.project_state(BEFORE_THE_MOVE).apps
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    old.get_model("pbxadmin", "SyncChange").objects.create(kind="user", ref="1000")
    old.get_model("pbxadmin", "SyncChange").objects.create(kind="device", ref="2001")
    old.get_model("pbxadmin", "SyncStatus").objects.create(
        pk=1, queued=True, last_error="cannot connect", last_success_at=when, last_actions=29, runs=7
    )
    old.get_model("pbxadmin", "AstdbEntry").objects.create(
        owner_key="AMPUSER/1000", keys={"AMPUSER/1000/cidname": "Alice"}
    )
    old.get_model("pbxadmin", "PortalSettings").objects.create(pk=1, mode="deviceanduser")
    # An installation from before the move has its content types (and so the
    # permissions its groups hold) under pbxadmin.
    ContentType.objects.filter(model__in=MOVED).update(app_label="pbxadmin")
    permission = Permission.objects.get(content_type__model="syncstatus", codename="view_syncstatus")

    executor = _migrate(executor.loader.graph.leaf_nodes())

    assert sorted(SyncChange.objects.values_list("kind", "ref")) == [("device", "2001"), ("user", "1000")]
    status = SyncStatus.objects.get(pk=1)
    assert (status.queued, status.last_error, status.last_success_at) == (True, "cannot connect", when)
    assert (status.last_actions, status.runs) == (29, 7)
    # Keyed by server and object since servers: the default server's.
    assert AstdbEntry.objects.get(owner_key="AMPUSER/1000").keys == {"AMPUSER/1000/cidname": "Alice"}
    assert PortalSettings.objects.get(pk=1).mode == "deviceanduser"
    assert dict(ContentType.objects.filter(model__in=MOVED).values_list("model", "app_label")) == MOVED
    assert Permission.objects.get(pk=permission.pk).content_type.app_label == "asterisk"
