"""What an import records in the outbox: once for the whole file, not once per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from asterisk.astdb import desired_keys
from asterisk.files import write_files
from asterisk.models import SyncChange
from asterisk.sync import run_sync
from bulk.importing import import_file

pytestmark = pytest.mark.django_db

HEADER = "extension,name,tech,voicemail,voicemail_enable,nat"
VOICEMAIL = "voicemail_additional.conf"


def _extensions(count: int, name: str, nat: str) -> str:
    """`count` extensions, SIP and PJSIP, each with a mailbox (so its name is in a file too)."""
    rows = [
        f"{1000 + n},{name} {n},{'sip' if n % 2 else 'pjsip'},default,yes,{nat if n % 2 else ''}"
        for n in range(count)
    ]
    return "\n".join([HEADER, *rows]) + "\n"


# The outbox's inserts, and files_for's look-up of the changed devices' technologies.
OUTBOX_SQL = (
    '"asterisk_syncchange"',
    'SELECT "devices_device"."id" AS "pk", "devices_device"."tech" AS "tech"',
)


def _outbox_queries(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if any(s in q["sql"] for s in OUTBOX_SQL)]


@pytest.mark.slow
def test_a_replace_import_records_the_outbox_in_the_same_few_queries_however_many_rows_change(
    committed, django_capture_on_commit_callbacks
):
    committed(import_file, "extensions", _extensions(150, "Old", "no"))
    outbox_queries = {}
    for count in (20, 150):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
            report = import_file("extensions", _extensions(count, f"New{count}", "yes"), replace=True)
        assert report.counts["update"] == count
        assert len(callbacks) == 1, "one after-commit callback for the whole file"
        outbox_queries[count] = _outbox_queries(queries)
    # One look-up of the files and one insert, or two where SQLite's 999 parameters cannot
    # take 150 rows' users, devices and files of four columns (server, kind, ref, time) in
    # one statement; row by row it was 80 and 600.
    for count, sql in outbox_queries.items():
        lookups = [q for q in sql if '"asterisk_syncchange"' not in q]
        assert len(lookups) == 1, (count, sql)
        assert 1 <= len(sql) - len(lookups) <= (2 if connection.vendor == "sqlite" else 1), (count, sql)


@pytest.mark.slow
def test_after_a_replace_import_the_files_and_astdb_hold_every_updated_row(
    committed, asterisk, conf_dir, worker_away
):
    worker_away.come_back()
    committed(import_file, "extensions", _extensions(40, "Old", "no"))
    assert not SyncChange.objects.exists()

    worker_away.go()  # away again: the outbox holds what follows
    committed(import_file, "extensions", _extensions(40, "New", "yes"), replace=True)
    assert set(SyncChange.objects.filter(kind="user").values_list("ref", flat=True)) == {
        str(1000 + n) for n in range(40)
    }
    run_sync()

    touched = ["sip_additional.conf", "pjsip.endpoint.conf", "extensions_additional.conf", VOICEMAIL]
    assert write_files(touched) == [], "the files written after the commit were already current"
    mailboxes = (conf_dir / VOICEMAIL).read_text().splitlines()
    assert any(line.startswith("1039 => ") and ",New 39," in line for line in mailboxes)
    assert asterisk.astdb("AMPUSER")["AMPUSER/1039/cidname"] == "New 39"
    owned = {k: v for k, v in asterisk.astdb().items() if k.split("/")[0] in ("AMPUSER", "DEVICE", "CW")}
    assert owned == desired_keys()
    assert not SyncChange.objects.exclude(kind="reload").exists(), "the sync settled the import's rows"


@pytest.mark.slow
def test_a_devices_file_putting_one_user_on_too_many_devices_is_refused_at_the_check(deviceanduser):
    from bulk.importing import check_file
    from directory.users.services import user_create

    user_create(extension="1000", name="Ann")
    rows = "".join(f"{20000 + n},pjsip,1000\n" for n in range(200))
    report = check_file("devices", "id,tech,user\n" + rows)
    assert not report.ok
    refused = [p for p in report.problems if "too many devices" in p["message"]]
    assert refused and refused[0]["column"] == "user"
