"""`manage.py import_extensions`: each problem reported and nothing imported; the dry run, skip and
--replace."""

import io

import pytest
from django.core.management import CommandError, call_command

from bulk.tests.helpers import csv_text, nothing_changed
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


def test_the_command_reports_each_problem_and_fails(tmp_path, committed):
    path = tmp_path / "x.csv"
    path.write_text(csv_text("1000,A,sip,,,,,", "1001,B,sip,,,,abc,"))
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^1 row refused: nothing was imported"):
        call_command("import_extensions", str(path), stdout=out)
    assert "line 3, ringtimer: Write a whole number." in out.getvalue()
    nothing_changed()


def test_the_command_dry_run_and_replace(tmp_path, committed):
    path = tmp_path / "x.csv"
    path.write_text(csv_text("1000,A,sip,,,,,"))
    out = io.StringIO()
    call_command("import_extensions", str(path), "--dry-run", stdout=out)
    assert "1 rows: 1 create (would be imported)." in out.getvalue()
    nothing_changed()
    call_command("import_extensions", str(path), stdout=io.StringIO())
    path.write_text(csv_text("1000,Renamed,sip,,,,,"))
    call_command("import_extensions", str(path), stdout=io.StringIO())
    assert PbxUser.objects.get(pk="1000").name == "A", "existing ones are skipped unless --replace"
    call_command("import_extensions", str(path), "--replace", stdout=io.StringIO())
    assert PbxUser.objects.get(pk="1000").name == "Renamed"
