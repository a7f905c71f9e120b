"""An installation upgrades across the move of users/, devices/ and endpoints/ into directory/.

The apps moved as Python packages only: their labels (users, devices, endpoints), tables and
migrations stayed, so a database the previous release migrated has nothing left to apply, and
its rows are read by the moved models. This test makes such a database: it migrates the real
test database back to the previous release's last migrations of these apps' first steps, fills
it through the historical models, migrates forward and reads the rows back.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from directory.devices.models import Device
from directory.endpoints.models import Endpoint
from directory.users.models import PbxUser

# What the release before the move had applied, app by app (its last migrations).
PREVIOUS_RELEASE = {
    "users": "0006_merge_0004_name_folded_0005_mailbox_options_empty",
    "devices": "0004_name_folded",
    "endpoints": "0002_sip_settings",
}
# The moved apps' migrations added after that release, by features (not by the move).
NEW_SINCE = {
    ("users", "0007_call_features"),
    ("users", "0008_pbxuser_server"),
    ("devices", "0005_device_server"),
}
# An older state of the same apps, to fill before migrating forward across what followed.
OLDER = [("users", "0002_mailbox"), ("devices", "0002_hotdesk_lockout"), ("endpoints", "0001_initial")]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def test_the_moved_apps_keep_their_labels_and_migrations(db):
    graph = _executor().loader.graph
    for app, last in PREVIOUS_RELEASE.items():
        assert (app, last) in graph.nodes
    assert (PbxUser._meta.app_label, Device._meta.app_label, Endpoint._meta.app_label) == (
        "users",
        "devices",
        "endpoints",
    )
    assert (PbxUser._meta.db_table, Device._meta.db_table, Endpoint._meta.db_table) == (
        "users_pbxuser",
        "devices_device",
        "endpoints_endpoint",
    )


@pytest.mark.slow
def test_a_database_of_the_previous_release_needs_only_the_new_features_migrations(transactional_db):
    """The move itself adds no migration: what a previous release's database has to apply for
    the moved apps is the features added since (the call features), and it applies."""
    executor = _executor()
    executor.migrate(list(PREVIOUS_RELEASE.items()))
    executor = _executor()
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    assert {
        (m.app_label, m.name) for m, _backwards in pending if m.app_label in PREVIOUS_RELEASE
    } == NEW_SINCE
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert not _executor().migration_plan(_executor().loader.graph.leaf_nodes())


@pytest.mark.slow
def test_rows_from_an_older_state_are_read_by_the_moved_models(transactional_db):
    executor = _executor()
    executor.migrate(OLDER)
    old = _executor().loader.project_state(OLDER).apps
    user = old.get_model("users", "PbxUser").objects.create(
        extension="1000", name="Müller", voicemail="default"
    )
    device = old.get_model("devices", "Device").objects.create(
        id="1000", tech="pjsip", dial="PJSIP/1000", devicetype="fixed", user=user, default_user=user
    )
    old.get_model("endpoints", "Endpoint").objects.create(device=device, settings={"secret": "Abcd1234efgh"})

    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())

    migrated = PbxUser.objects.get(pk="1000")
    assert (migrated.name, migrated.voicemail) == ("Müller", "default")
    # Filled by a later migration, through the folding that moved to directory/folding.py.
    assert migrated.name_folded == "muller"
    phone = Device.objects.select_related("endpoint").get(pk="1000")
    assert (phone.user_id, phone.default_user_id, phone.endpoint.settings) == (
        "1000",
        "1000",
        {"secret": "Abcd1234efgh"},
    )
