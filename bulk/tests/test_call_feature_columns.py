"""The call features in Bulk Handler files: FreePBX's findmefollow columns, and pbxadmin's own for
do not disturb and the forwards; read by the import through the services, written by the export."""

import pytest

from bulk.csvfile import read_table
from bulk.exporting import export_extensions
from bulk.importing import check_file, import_file
from bulk.tests.test_migration import sample_text
from directory.users.extensions import extension_create, extension_delete, extension_update
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


def _csv(*rows: str, header: str) -> str:
    return "\n".join([header, *rows]) + "\n"


def test_freepbxs_own_export_brings_its_follow_me_settings(committed):
    # Its 3-digit mailbox PINs are refused (bulk/tests/test_migration.py): read with 4 digits.
    text = sample_text()
    report = check_file("extensions", text, weak="keep")
    assert report.ok, report.problems
    committed(import_file, "extensions", text, weak="keep")
    director = PbxUser.objects.get(pk="146")
    assert (director.followme, director.followme_list) == (True, "146-818-09171234567#")
    assert (director.followme_prering, director.followme_grptime) == (4, 60)
    assert (director.followme_strategy, director.followme_confirm) == ("ringallv2", False)
    john = PbxUser.objects.get(pk="818")
    assert (john.followme, john.followme_list, john.followme_prering, john.followme_grptime) == (
        False,
        "818",
        0,
        20,
    )
    ignored = " ".join(report.ignored)
    assert "findmefollow_grppre (a FreePBX follow-me setting pbxadmin does not have)" in report.ignored
    assert "findmefollow_enabled" not in ignored and "findmefollow_grplist" not in ignored


def test_dnd_and_the_forwards_have_columns_named_after_freepbxs_modules(committed):
    header = "extension,name,tech,donotdisturb_enable,callforward_cf,callforward_cfb,callforward_cfu,callwaiting_enable"
    committed(import_file, "extensions", _csv("2001,Ana,pjsip,yes,2002,,+4930123,no", header=header))
    user = PbxUser.objects.get(pk="2001")
    assert (user.dnd, user.cf, user.cfb, user.cfu, user.callwaiting) == (True, "2002", "", "+4930123", False)


def test_an_empty_cell_keeps_what_the_user_has_and_no_turns_it_off(committed):
    ana = committed(extension_create, extension="2001", name="Ana", tech="pjsip")
    committed(extension_update, user=ana, dnd=True, cf="2002", followme=True, followme_list="2003")
    header = "extension,name,donotdisturb_enable,callforward_cf,findmefollow_enabled,findmefollow_grplist"
    committed(import_file, "extensions", _csv("2001,Ana,,,,", header=header), replace=True)
    user = PbxUser.objects.get(pk="2001")
    assert (user.dnd, user.cf, user.followme, user.followme_list) == (True, "2002", True, "2003")
    committed(import_file, "extensions", _csv("2001,Ana,no,,no,", header=header), replace=True)
    user = PbxUser.objects.get(pk="2001")
    assert (user.dnd, user.followme) == (False, False)


def test_each_refusal_names_its_row_and_column():
    header = (
        "extension,name,tech,callforward_cf,findmefollow_enabled,findmefollow_pre_ring,donotdisturb_enable"
    )
    report = check_file("extensions", _csv("2001,Ana,pjsip,2001,yes,x,maybe", header=header))
    assert not report.ok
    columns = {p["column"] for p in report.problems}
    assert {
        "callforward_cf",
        "findmefollow_grplist",
        "findmefollow_pre_ring",
        "donotdisturb_enable",
    } <= columns
    assert not PbxUser.objects.exists()


def test_a_freepbx_strategy_pbxadmin_does_not_ring_is_read_as_the_nearest_with_a_note(committed):
    header = "extension,name,findmefollow_grplist,findmefollow_strategy"
    text = _csv("2001,Ana,2002,memoryhunt-prim", header=header)
    report = check_file("extensions", text)
    assert report.ok, report.problems
    assert any("memoryhunt-prim rings as hunt-prim" in row["message"] for row in report.rows)
    committed(import_file, "extensions", text)
    assert PbxUser.objects.get(pk="2001").followme_strategy == "hunt-prim"


def test_export_then_import_keeps_every_call_feature(committed):
    ana = committed(extension_create, extension="2001", name="Ana", tech="pjsip")
    committed(
        extension_update,
        user=ana,
        dnd=True,
        cf="2002",
        cfb="+4930123",
        cfu="0171",
        followme=True,
        followme_list="2002-0171234567#",
        followme_prering=3,
        followme_grptime=45,
        followme_strategy="hunt",
        followme_confirm=True,
    )
    exported = "".join(export_extensions())
    (row,) = read_table(exported).rows
    assert {
        k: row.cells[k] for k in ("donotdisturb_enable", "findmefollow_enabled", "findmefollow_grplist")
    } == {
        "donotdisturb_enable": "yes",
        "findmefollow_enabled": "yes",
        "findmefollow_grplist": "2002-0171234567#",
    }
    fields = ("dnd", "cf", "cfb", "cfu", "followme", "followme_list", "followme_prering", "followme_grptime")
    before = PbxUser.objects.values(*fields, "followme_strategy", "followme_confirm").get()
    committed(extension_delete, user=PbxUser.objects.get(pk="2001"))
    committed(import_file, "extensions", exported)
    assert PbxUser.objects.values(*fields, "followme_strategy", "followme_confirm").get() == before
