"""Bulk import and export: the round trip, the dry run, all or nothing, and every kind of bad input."""

import csv
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from asterisk import files
from asterisk.astdb import desired_keys
from asterisk.files import write_files
from asterisk.models import SyncChange
from asterisk.render.conf import parse_conf
from bulk.csvfile import CsvFileError, decode, read_table
from bulk.importing import ImportRefused, check_file, import_file
from bulk.tests.test_migration import sample_text
from directory.devices.models import Device
from directory.devices.services import device_create
from directory.users.extensions import extension_create
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db

HEADER = "extension,name,tech,secret,outboundcid,voicemail,ringtimer,nat"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _export(*args) -> str:
    out = io.StringIO()
    call_command("export_extensions", *args, stdout=out)
    return out.getvalue()


def _snapshot(conf_dir) -> tuple[dict[str, bytes], dict[str, str]]:
    write_files()
    return {p.name: p.read_bytes() for p in sorted(conf_dir.glob("*.conf"))}, desired_keys()


def _nothing_changed():
    assert not PbxUser.objects.exists() and not Device.objects.exists()


def test_export_then_import_into_an_empty_system_gives_identical_files_and_astdb(committed, conf_dir):
    committed(
        extension_create,
        extension="1000",
        name="Ana Müller",
        tech="pjsip",
        voicemail="default",
        vm_pin="0042",
        vm_email="ana@example.com",
        vm_pager="ana.pager@example.com",
        vm_options="attach=yes|saycid=no|envelope=no|delete=no|tz=european",
        outboundcid='"Sales" <5551234>',
        ringtimer=25,
        callwaiting=False,
        accountcode="sales",
        settings={"max_contacts": "3", "allow": "ulaw,g722", "namedcallgroup": "office"},
    )
    committed(
        extension_create,
        extension="1001",
        name="O'Brien, Pat",
        tech="sip",
        password="4711",
        cid_num_alias="2001",
        settings={"nat": "no", "secret": "ab;12;cd", "deny": "10.0.0.0/8"},
    )
    committed(
        extension_create,
        extension="2000",
        name="=Branch",
        tech="iax2",
        language="fr",
        cfringtimer=-1,
        emergency_cid="911",
    )
    committed(extension_create, extension="3000", name="Lobby", tech="dahdi", settings={"channel": "4"})
    committed(
        extension_create, extension="4000", name="Mobile", tech="custom", dial="Local/5551234@from-internal"
    )
    committed(extension_create, extension="1002", name="Sales box", tech="pjsip", voicemail="sales")
    before_files, before_keys = _snapshot(conf_dir)
    assert parse_conf(before_files["voicemail_additional.conf"].decode()).section_names() == [
        "default",
        "sales",
    ]
    before_users = list(PbxUser.objects.values())
    exported = _export()
    assert "'=Branch" in exported, "formula-like cells are neutralised"
    assert "'-1" in exported

    PbxUser.objects.all().delete()
    Device.objects.all().delete()
    for path in conf_dir.glob("*.conf"):
        path.unlink()
    committed(import_file, "extensions", exported)
    after_files, after_keys = _snapshot(conf_dir)
    assert after_files == before_files
    assert after_keys == before_keys
    strip = ("created_at", "updated_at")
    assert [{k: v for k, v in u.items() if k not in strip} for u in PbxUser.objects.values()] == [
        {k: v for k, v in u.items() if k not in strip} for u in before_users
    ], "every field, the mailbox's PIN and options included"
    assert PbxUser.objects.get(pk="2000").name == "=Branch"


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


def test_freepbx_voicemail_options_spread_over_unnamed_cells_are_read_whole(committed):
    """FreePBX exports `attach=no,saycid=no,envelope=no,delete=no` unquoted: four cells, the last
    three under the header's unnamed columns. They are one mailbox's options, not 3 unnamed columns."""
    text = sample_text()  # its 3-digit mailbox PINs made 4: shorter ones are refused
    report = check_file("extensions", text, weak="keep")
    assert report.ok, report.problems
    assert not [c for c in report.ignored if "unnamed" in c]
    committed(import_file, "extensions", text, weak="keep")
    assert PbxUser.objects.get(pk="146").vm_options == "attach=no|saycid=no|envelope=no|delete=no"
    assert PbxUser.objects.get(pk="818").vm_options == "attach=no|saycid=no|envelope=no|delete=no"


def test_options_running_past_the_unnamed_columns_stay_whole_and_other_cells_keep_their_place():
    header = "extension,name,voicemail_enable,voicemail_vmpwd,voicemail_options,,"
    row = "2001,Ana,yes,1234,attach=yes,saycid=no,envelope=no,delete=no"
    table = read_table(csv_text(row, header=header))
    (read,) = table.rows
    assert read.cells["voicemail_options"] == "attach=yes,saycid=no,envelope=no,delete=no"
    assert table.unnamed == 0
    middle = read_table("extension,voicemail_options,,,name\n2001,attach=yes,delete=no,,Ana\n")
    (read,) = middle.rows
    assert (read.cells["voicemail_options"], read.cells["name"]) == ("attach=yes,delete=no", "Ana")


def test_a_voicemail_context_without_voicemail_enable_makes_no_mailbox(committed, conf_dir):
    """As FreePBX: `voicemail=default` alone makes no mailbox; the device names `<ext>@device`."""
    header = "extension,name,tech,secret,voicemail,voicemail_enable,voicemail_vmpwd"
    text = csv_text("2001,Ana,sip,Abcd1234efgh,default,,", "2002,Bo,sip,Abcd1234efgh,default,yes,1002",
                    header=header)  # fmt: skip
    report = check_file("extensions", text)
    assert (
        "voicemail: voicemail=default without voicemail_enable=yes makes no mailbox"
        in report.rows[0]["message"]
    )
    committed(import_file, "extensions", text)
    ana, bo = PbxUser.objects.get(pk="2001"), PbxUser.objects.get(pk="2002")
    assert (ana.voicemail, ana.vm_pin) == ("novm", "")
    assert (bo.voicemail, bo.vm_pin, bo.vm_options) == ("default", "1002", "")
    sip = parse_conf((conf_dir / "sip_additional.conf").read_text())
    assert dict(sip.get("2001"))["mailbox"] == "2001@device"
    assert dict(sip.get("2002"))["mailbox"] == "2002@default"
    mailboxes = parse_conf((conf_dir / "voicemail_additional.conf").read_text())
    assert mailboxes.get("default") == [("2002", "1002,Bo,,,")], "as FreePBX writes it: no options"
    assert desired_keys(users=["2001"])["AMPUSER/2001/voicemail"] == "novm"


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
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
        (b"extension,name\n1000,Caf\xe9\n", "not UTF-8: byte 24 (line 2)"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data, message):
    with pytest.raises(CsvFileError, match=re.escape(message)):
        read_table(decode(data))


@override_settings(BULK_IMPORT_MAX_BYTES=100)
def test_a_file_over_the_limit_is_refused():
    with pytest.raises(CsvFileError, match="the limit is"):
        decode(b"extension,name\n" + b"1000,A\n" * 30)


def test_a_bom_is_accepted():
    report = check_file("extensions", decode("\ufeffextension,name\n1000,A\n".encode()))
    assert report.counts["create"] == 1


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
    _nothing_changed()


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
    _nothing_changed()


def test_pins_shorter_than_4_digits_are_refused_on_their_row(committed):
    text = (
        "extension,name,password,voicemail,voicemail_enable,voicemail_vmpwd\n"
        "1000,A,123,default,yes,4711\n1001,B,4711,default,yes,12\n1002,C,4711,,,\n"
    )
    report = check_file("extensions", text)
    assert [(p["line"], p["column"]) for p in report.problems] == [(2, "password"), (3, "voicemail_vmpwd")]
    assert all("at least 4 digits" in p["message"] for p in report.problems)


def test_the_command_reports_each_problem_and_fails(tmp_path, committed):
    path = tmp_path / "x.csv"
    path.write_text(csv_text("1000,A,sip,,,,,", "1001,B,sip,,,,abc,"))
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^1 row refused: nothing was imported"):
        call_command("import_extensions", str(path), stdout=out)
    assert "line 3, ringtimer: Write a whole number." in out.getvalue()
    _nothing_changed()


def test_the_command_dry_run_and_replace(tmp_path, committed):
    path = tmp_path / "x.csv"
    path.write_text(csv_text("1000,A,sip,,,,,"))
    out = io.StringIO()
    call_command("import_extensions", str(path), "--dry-run", stdout=out)
    assert "1 rows: 1 create (would be imported)." in out.getvalue()
    _nothing_changed()
    call_command("import_extensions", str(path), stdout=io.StringIO())
    path.write_text(csv_text("1000,Renamed,sip,,,,,"))
    call_command("import_extensions", str(path), stdout=io.StringIO())
    assert PbxUser.objects.get(pk="1000").name == "A", "existing ones are skipped unless --replace"
    call_command("import_extensions", str(path), "--replace", stdout=io.StringIO())
    assert PbxUser.objects.get(pk="1000").name == "Renamed"


def test_export_includes_secrets_unless_asked_not_to(committed, tmp_path):
    committed(extension_create, extension="1000", name="A", tech="sip")
    secret = Device.objects.get(pk="1000").endpoint.settings["secret"]
    assert secret in _export()
    assert secret not in _export("--without-secrets")
    target = tmp_path / "out.csv"
    call_command("export_extensions", str(target), stdout=io.StringIO())
    assert target.read_text().startswith("extension,password,name,")


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


def test_the_voicemail_columns_are_read_as_freepbx_writes_them(committed):
    header = "extension,name,tech,voicemail_enable,voicemail_vmpwd,voicemail_email,voicemail_pager,voicemail_options"
    rows = [
        '2001,Ana,pjsip,yes,1234,ana@example.com,,"attach=yes,saycid=no"',
        "2002,Bo,pjsip,no,,,,",
        "2003,Cy,pjsip,yes,12a4,cy@example.com,,",
    ]
    report = check_file("extensions", csv_text(*rows, header=header))
    assert [(p["line"], p["column"]) for p in report.problems] == [(4, "voicemail_vmpwd")]
    committed(import_file, "extensions", csv_text(*rows[:2], header=header))
    ana, bo = PbxUser.objects.get(pk="2001"), PbxUser.objects.get(pk="2002")
    assert (ana.voicemail, ana.vm_pin, ana.vm_options) == ("default", "1234", "attach=yes|saycid=no")
    assert bo.voicemail == "novm"


def test_the_mailbox_pin_is_exported_only_with_the_secrets(committed):
    committed(extension_create, extension="2001", name="Ana", tech="custom", dial="Local/1@x", voicemail="default",
              vm_pin="9876")  # fmt: skip
    assert "voicemail_vmpwd" in _export() and "9876" in _export()
    without = _export("--without-secrets")
    assert "voicemail_vmpwd" not in without and "9876" not in without
    users = _export("--kind", "users", "--without-secrets")
    assert "9876" not in users


def test_chan_sip_named_groups_are_imported_written_and_exported(committed, conf_dir):
    """FreePBX 17's chan_sip call and pickup groups are the named ones: a file's columns reach the
    device, its section and the next export; none is reported as ignored."""
    header = "extension,name,tech,secret,namedcallgroup,namedpickupgroup,force_avp,sessiontimers,vmexten"
    text = csv_text("2001,Ana,sip,Abcd1234efgh,sales,sales_support,yes,refuse,*97", header=header)
    report = check_file("extensions", text)
    assert report.ok, report.problems
    assert report.ignored == []
    committed(import_file, "extensions", text)
    settings = Device.objects.get(pk="2001").endpoint.settings
    assert (settings["namedcallgroup"], settings["namedpickupgroup"]) == ("sales", "sales_support")
    section = dict(parse_conf((conf_dir / "sip_additional.conf").read_text()).get("2001"))
    assert (section["namedcallgroup"], section["namedpickupgroup"]) == ("sales", "sales_support")
    assert (section["force_avp"], section["session-timers"], section["vmexten"]) == ("yes", "refuse", "*97")
    assert "callgroup" not in section, "FreePBX 17 writes only the named groups"
    (cells,) = csv.DictReader(io.StringIO(_export()))
    assert (cells["namedcallgroup"], cells["namedpickupgroup"]) == ("sales", "sales_support")
