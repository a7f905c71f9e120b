"""The import (bulk/importing.py): the dry run, skip or replace, all or nothing, one write and one sync
for the file, and every kind of bad input named by its row and column."""

import pytest

from asterisk import files
from asterisk.astdb import desired_keys
from asterisk.models import SyncChange
from bulk.importing import ImportRefused, check_file, import_file
from bulk.tests.helpers import csv_text, nothing_changed
from directory.devices.models import Device
from directory.devices.services import device_create
from directory.users.extensions import extension_create
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


# A file shaped like FreePBX's Bulk Handler export (bulk/tests/data/, README "Bulk import and export"): quoted
# commas, FreePBX-only columns, three empty column names at the end, a stored
# `callerid`, an extra empty cell on the last row, and a voicemail-only row.
FREEPBX_STYLE = (
    "extension,password,name,voicemail,ringtimer,noanswer,outboundcid,id,tech,dial,devicetype,user,description,"
    "callerid,context,deny,dtmfmode,nat,permit,secret,sipdriver,transport,voicemail_enable,voicemail_email,,,\n"
    "146,,SCHOOL - IT Director,default,0,,,146,sip,SIP/146,fixed,146,SCHOOL - IT Director,device <146>,"
    'from-internal,0.0.0.0/0.0.0.0,rfc2833,no,0.0.0.0/0.0.0.0,Terces12,chan_sip,"udp,tcp,tls",yes,a@example.com,,,\n'
    '818,,"Doe, John",default,0,,,818,sip,SIP/818,fixed,818,"Doe, John",device <818>,from-internal,'
    "0.0.0.0/0.0.0.0,rfc2833,no,0.0.0.0/0.0.0.0,REGEN,chan_pjsip,udp,yes,,,,\n"
    ",,,,,,,,,,,,,,,,,,,,,,yes,root@localhost,,,,\n"
)


def test_a_freepbx_style_export_is_read_with_its_quirks():
    report = check_file("extensions", FREEPBX_STYLE)
    assert report.ok, report.problems
    assert report.counts == {"create": 2, "skip": 1}, "the voicemail-only row without an extension is skipped"
    assert "callerid (pbxadmin always writes callerid=device <id>)" in report.ignored
    assert "3 unnamed" in report.ignored
    import_file("extensions", FREEPBX_STYLE)
    assert Device.objects.get(pk="146").endpoint.settings["transport"] == "udp,tcp,tls"
    assert Device.objects.get(pk="818").tech == "pjsip", "sip with sipdriver=chan_pjsip is PJSIP"
    assert PbxUser.objects.get(pk="818").name == "Doe, John"


def test_the_dry_run_classifies_every_row_and_writes_nothing(committed):
    committed(extension_create, extension="1000", name="Same", tech="sip", settings={"secret": "Abcd1234"})
    committed(extension_create, extension="1001", name="Old name", tech="sip")
    text = csv_text(
        "1000,Same,sip,,,,,",
        "1001,New name,sip,,,,,",
        "1002,Fresh,pjsip,,,,,",
        "10x3,Bad,sip,,,,,",
        "1004,Dup,sip,,,,,",
        "1004,Dup again,sip,,,,,",
    )
    report = check_file("extensions", text, replace=True)
    assert [(r["key"], r["action"]) for r in report.rows] == [
        ("1000", "unchanged"),
        ("1001", "update"),
        ("1002", "create"),
        ("10x3", "error"),
        ("1004", "create"),
        ("1004", "error"),
    ]
    assert {
        "line": 5,
        "key": "10x3",
        "column": "extension",
        "message": "Use digits only (0-9).",
        "action": "error",
        "level": "error",
    } in report.problems
    assert any("already on line 6" in p["message"] and p["line"] == 7 for p in report.problems)
    assert PbxUser.objects.count() == 2 and PbxUser.objects.get(pk="1001").name == "Old name"


def test_skip_existing_leaves_them_alone(committed):
    committed(extension_create, extension="1001", name="Old name", tech="sip")
    report = committed(
        import_file, "extensions", csv_text("1001,New name,sip,,,,,", "1002,B,sip,,,,,"), replace=False
    )
    assert report.counts == {"skip": 1, "create": 1}
    assert PbxUser.objects.get(pk="1001").name == "Old name"


def test_an_update_keeps_what_the_file_does_not_say(committed):
    committed(
        extension_create, extension="1001", name="A", tech="sip", ringtimer=30, settings={"nat": "route"}
    )
    secret = Device.objects.get(pk="1001").endpoint.settings["secret"]
    committed(import_file, "extensions", "extension,name\n1001,B\n", replace=True)
    user, device = PbxUser.objects.get(pk="1001"), Device.objects.get(pk="1001")
    assert (user.name, user.ringtimer) == ("B", 30)
    assert device.endpoint.settings["nat"] == "route"
    assert device.endpoint.settings["secret"] == secret


def test_regen_makes_a_new_strong_secret(committed):
    committed(extension_create, extension="1001", name="A", tech="sip")
    old = Device.objects.get(pk="1001").endpoint.settings["secret"]
    committed(
        import_file, "extensions", "extension,name,secret\n1001,A,REGEN\n", replace=True, change_secrets=True
    )
    new = Device.objects.get(pk="1001").endpoint.settings["secret"]
    assert new != old and len(new) == 32


def test_a_row_that_fails_at_import_time_leaves_nothing_written(committed):
    text = csv_text("1000,A,sip,,,,,", "1001,B,sip,,,,,", "1002,C,sip,,,,,")
    assert check_file("extensions", text).ok
    committed(device_create, id="1002", tech="pjsip", devicetype="adhoc")  # appears after the check
    with pytest.raises(ImportRefused) as refused:
        committed(import_file, "extensions", text)
    assert refused.value.report.counts["error"] == 1
    assert not PbxUser.objects.exists()
    assert list(Device.objects.values_list("pk", flat=True)) == ["1002"]


def test_an_import_writes_the_files_once_and_asks_for_one_sync(committed, monkeypatch):
    writes = []
    real = files._write_locked

    def counting(names, before_replacing):
        writes.append(names)
        return real(names, before_replacing)

    monkeypatch.setattr(files, "_write_locked", counting)
    rows = [f"{2000 + n},User {n},{'sip' if n % 2 else 'pjsip'},,,,," for n in range(60)]
    committed(import_file, "extensions", csv_text(*rows))
    assert len(writes) == 1
    assert PbxUser.objects.count() == 60
    reloads = sorted(SyncChange.objects.filter(kind="reload").values_list("ref", flat=True))
    assert reloads == ["chan_sip.so", "dialplan", "res_pjsip.so", "voicemail"], "each once"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,tech\nA,sip\n", "The file has no extension column"),
        ("extension,tech\n1000,sip\n", "The file has no name column"),
        ("extension,name\n1000,A,extra\n", "Line 2 has 3 cells but the header has 2 columns"),
        ("extension,name\n1000\n", "Line 2 has 1 cells but the header has 2 columns"),
        ("extension,name,name\n1000,A,B\n", "names these columns twice: name"),
        ("just one column\nvalue\n", "does not look like a CSV file"),
        ('extension,name\n1000,"unclosed\n', "not valid CSV"),
    ],
)
def test_bad_files_get_a_clear_message_and_change_nothing(committed, text, message):
    report = check_file("extensions", text)
    assert message in report.file_error
    with pytest.raises(ImportRefused):
        committed(import_file, "extensions", text)
    nothing_changed()


def test_invalid_values_name_the_row_and_the_column(committed):
    text = csv_text(
        "1000,A,sip,abc,,,,",
        "1001,B,sip,,notacid,,,",
        "1002,C,sip,,,,500,",
        "1003,D,skype,,,,,",
        "1004,E,sip,,,,,maybe",
        '1005,"F\nG",sip,,,,,',
    )
    with pytest.raises(ImportRefused) as refused:
        committed(import_file, "extensions", text)
    problems = {(p["line"], p["column"]) for p in refused.value.report.problems}
    assert {
        (2, "secret"),
        (3, "outboundcid"),
        (4, "ringtimer"),
        (5, "tech"),
        (6, "nat"),
        (7, "name"),
    } <= problems
    nothing_changed()


def test_pins_shorter_than_4_digits_are_refused_on_their_row(committed):
    text = (
        "extension,name,password,voicemail,voicemail_enable,voicemail_vmpwd\n"
        "1000,A,123,default,yes,4711\n1001,B,4711,default,yes,12\n1002,C,4711,,,\n"
    )
    report = check_file("extensions", text)
    assert [(p["line"], p["column"]) for p in report.problems] == [(2, "password"), (3, "voicemail_vmpwd")]
    assert all("at least 4 digits" in p["message"] for p in report.problems)


def test_users_and_devices_files_in_deviceanduser_mode(committed):
    committed(import_file, "users", "extension,name,password\n1000,Dana,4711\n1001,Eli,\n")
    committed(
        import_file,
        "devices",
        "id,tech,devicetype,user,description\n2001,pjsip,fixed,1000,Desk\n3001,sip,adhoc,,Hot\n",
    )
    assert Device.objects.get(pk="2001").user_id == "1000"
    assert Device.objects.get(pk="3001").devicetype == "adhoc"
    report = check_file("devices", "id,tech,user\n2002,pjsip,9999\n")
    assert report.problems[0]["column"] == "user" and "no user 9999" in report.problems[0]["message"]
    assert desired_keys(users=["1000"])["AMPUSER/1000/device"] == "2001"
