"""Entries written before operations were recorded stay readable: each is an operation of its own.

Migrates the test database back to before the change, writes entries through the
historical model, and migrates forward again (on SQLite here; CI also PostgreSQL).
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import Entry

BEFORE = [("audit", "0003_export_and_file_entries")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_old_entries_become_one_operation_each_and_show_on_the_page(administrator_client):
    old = _migrate(BEFORE).loader.project_state(BEFORE).apps.get_model("audit", "Entry")
    for kind in ("user", "device", "endpoint"):
        old.objects.create(
            via="portal", person="alice-admin", action="created", object_type=kind, object_id="1000",
            changes={"description": [None, "Ann"]},
        )  # fmt: skip
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    rows = list(Entry.objects.filter(object_id="1000"))
    assert len({e.operation for e in rows}) == 3 and all(e.lead for e in rows)
    page = administrator_client.get("/audit/?id=1000").context["page"]
    assert [[p.object_type for p in e.parts] for e in page] == [["endpoint"], ["device"], ["user"]]
    assert "Description: Ann" in administrator_client.get("/audit/").content.decode()
