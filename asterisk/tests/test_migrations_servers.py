"""A single-PBX database upgrades to servers with nothing to do: its outbox, mirrors and status
rows are the default server's, and the way back keeps them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from asterisk.models import AstdbEntry, DialplanEntry, SyncChange, SyncStatus
from directory.servers.current import default

BEFORE = [("asterisk", "0009_trunk_registration")]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


@pytest.mark.slow
def test_rows_of_a_single_pbx_become_the_default_servers_and_come_back(transactional_db):
    _executor().migrate(BEFORE)
    old = _executor().loader.project_state(BEFORE).apps
    old.get_model("asterisk", "AstdbEntry").objects.create(
        owner_key="AMPUSER/1000", keys={"AMPUSER/1000/cidname": "Ann"}
    )
    old.get_model("asterisk", "DialplanEntry").objects.create(
        number="1000", entries=[["ext-local", "1000", "1", "Goto", "x"]]
    )
    old.get_model("asterisk", "SyncChange").objects.create(kind="user", ref="1000")
    old.get_model("asterisk", "SyncStatus").objects.create(pk=1, runs=7)

    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())
    main = default()
    assert AstdbEntry.objects.get(owner_key="AMPUSER/1000").server == main
    assert DialplanEntry.objects.get(number="1000").entries[0][0] == "ext-local"
    assert SyncChange.objects.get().ref == "1000"
    assert (SyncStatus.get().pk, SyncStatus.get().runs) == (1, 7)

    _executor().migrate(BEFORE)
    old = _executor().loader.project_state(BEFORE).apps
    assert old.get_model("asterisk", "AstdbEntry").objects.get().owner_key == "AMPUSER/1000"
    assert old.get_model("asterisk", "DialplanEntry").objects.get().number == "1000"
    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())
