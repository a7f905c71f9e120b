"""Export, then import into an empty system, in both modes: every generated file byte for byte and
the same AstDB keys, after deviceanduser mode made virtual extensions, adhoc devices and users on
several devices (bulk/exporting.py, bulk/rows.py, bulk/follow_ups.py)."""

import csv
import io

import pytest

from asterisk.astdb import desired_keys
from asterisk.files import write_files
from asterisk.render.conf import parse_conf
from bulk.exporting import export_file
from bulk.importing import check_file, import_file
from bulk.tests.helpers import command_export
from directory.devices.models import Device
from directory.devices.services import device_create, device_login, device_update
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(committed):
    """An office after some time in deviceanduser mode.

    - 1000 Ana: her own PJSIP 1000, a second fixed phone 3003 (custom), then logged into adhoc
      3002 and after that into adhoc 3001, so her devices are 1000&3003&3002&3001 (not by number);
    - 1001 Bo: a chan_sip extension;
    - 2001 Cy: virtual (no device 2001), the default user of adhoc 3001 and of fixed 4000;
    - 5000 Di: her own device turned adhoc, described apart from her name, with Bo on it now;
    - 3004: an IAX2 adhoc device nobody is on and nobody owns.
    """
    committed(extension_create, extension="1000", name="Ana Müller", tech="pjsip", voicemail="default")
    committed(extension_create, extension="1001", name="Bo", tech="sip", password="4711")
    cy = committed(user_create, extension="2001", name="Cy Virtual", voicemail="default", ringtimer=20)
    di = committed(extension_create, extension="5000", name="Di", tech="pjsip")
    ana, bo = PbxUser.objects.get(pk="1000"), PbxUser.objects.get(pk="1001")
    committed(device_create, id="3003", tech="custom", dial="Local/5551234@from-internal", default_user=ana)
    desk1 = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", default_user=cy)
    desk2 = committed(device_create, id="3002", tech="sip", devicetype="adhoc", description="Lobby")
    committed(device_create, id="4000", tech="pjsip", default_user=cy, emergency_cid="911")
    committed(device_create, id="3004", tech="iax2", devicetype="adhoc", description="Spare")
    committed(device_login, device=desk2, user=ana)
    committed(device_login, device=desk1, user=ana)
    own = Device.objects.select_related("endpoint").get(pk="5000")
    committed(device_update, device=own, devicetype="adhoc", description="Reception phone")
    committed(device_login, device=Device.objects.get(pk="5000"), user=bo)
    assert desired_keys()["AMPUSER/1000/device"] == "1000&3003&3002&3001"
    assert desired_keys()["DEVICE/5000/user"] == "1001" and di.pk == "5000"
    return ana


def _snapshot(conf_dir) -> tuple[dict[str, bytes], dict[str, str]]:
    write_files()
    return {p.name: p.read_bytes() for p in sorted(conf_dir.glob("*.conf"))}, desired_keys()


def _empty_the_system(conf_dir) -> None:
    Device.objects.all().delete()
    PbxUser.objects.all().delete()
    for path in conf_dir.glob("*.conf"):
        path.unlink()


def _export(kind: str) -> str:
    return "".join(export_file(kind=kind, with_secrets=True))


@pytest.mark.slow
def test_an_extensions_export_holds_virtual_extensions_and_every_other_device(office):
    rows = list(csv.DictReader(io.StringIO(_export("extensions"))))
    by_key = {r["extension"] or r["id"]: r for r in rows}
    assert list(by_key) == ["1000", "1001", "2001", "5000", "3001", "3002", "3003", "3004", "4000"]
    assert by_key["2001"]["tech"] == "virtual" and by_key["2001"]["id"] == ""
    assert (by_key["3001"]["extension"], by_key["3001"]["user"], by_key["3001"]["current_user"]) == (
        "",
        "2001",
        "1000",
    )
    assert (by_key["5000"]["devicetype"], by_key["5000"]["current_user"]) == ("adhoc", "1001")
    assert by_key["3004"]["current_user"] == "none" and by_key["3004"]["user"] == "none"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["extensions", "deviceanduser"])
def test_export_then_import_into_an_empty_system_gives_the_same_files_and_astdb(
    office, committed, conf_dir, mode
):
    before = _snapshot(conf_dir)
    if mode == "extensions":
        files = [("extensions", _export("extensions"))]
    else:
        files = [("users", _export("users")), ("devices", _export("devices"))]
    _empty_the_system(conf_dir)
    for kind, text in files:
        report = check_file(kind, text)
        assert report.ok and not report.undecided, report.problems
        committed(import_file, kind, text)
    after_files, after_keys = _snapshot(conf_dir)
    assert after_keys == before[1]
    assert list(after_files) == list(before[0])
    for name, content in before[0].items():
        assert after_files[name] == content, name


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["extensions", "deviceanduser"])
def test_importing_an_export_back_with_replace_changes_nothing(office, committed, conf_dir, mode):
    before = _snapshot(conf_dir)
    kinds = ["extensions"] if mode == "extensions" else ["users", "devices"]
    for kind in kinds:
        text = _export(kind)
        report = check_file(kind, text, replace=True)
        assert report.ok, report.problems
        assert set(report.counts) == {"unchanged"}, report.rows
        committed(import_file, kind, text, replace=True)
    assert _snapshot(conf_dir) == before


def test_a_hand_written_virtual_extension_and_a_device_alone_are_read(committed):
    # As FreePBX's Bulk Handler writes a user with no device: tech=virtual (with the user's
    # account code, a column the devices also have).
    text = (
        "extension,name,tech,accountcode,id,devicetype,user,current_user\n"
        "2001,Cy,virtual,sales,,,,\n"
        ",,pjsip,,3001,adhoc,2001,2001\n"
    )
    report = check_file("extensions", text)
    assert report.ok, report.problems
    committed(import_file, "extensions", text)
    assert not Device.objects.filter(pk="2001").exists()
    assert PbxUser.objects.get(pk="2001").accountcode == "sales"
    desk = Device.objects.get(pk="3001")
    assert (desk.devicetype, desk.default_user_id, desk.user_id) == ("adhoc", "2001", "2001")


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("2001,Cy,virtual,,,,", None, None),
        ("2002,Ed,virtual,,adhoc,,", "devicetype", "A virtual extension has no device"),
        (",,pjsip,3001,fixed,2001,9999", "current_user", "There is no user 9999"),
        (
            ",,pjsip,3001,fixed,2001,none",
            "current_user",
            "A fixed device is always on its default user (2001)",
        ),
        (",Someone,pjsip,3001,adhoc,,", "name", "A row without an extension is a device alone"),
        ("2002,Ed,pjsip,3002,,,", "id", "leave id empty or write 2002"),
    ],
)
def test_rows_that_cannot_be_what_they_say_are_refused_with_the_column(row, column, message):
    text = f"extension,name,tech,id,devicetype,user,current_user\n2001,Cy,virtual,,,,\n{row}\n"
    report = check_file("extensions", text)
    if column is None:
        assert not report.ok and "already on line 2" in report.problems[0]["message"]
        return
    assert not report.ok
    assert (column, True) in [(p["column"], message in p["message"]) for p in report.problems], (
        report.problems
    )


def test_replace_keeps_a_virtual_extension_virtual_and_refuses_to_add_or_drop_a_device(committed):
    committed(user_create, extension="2001", name="Cy")
    committed(extension_create, extension="1000", name="Ana", tech="pjsip")
    report = check_file(
        "extensions", "extension,name,tech\n2001,Cy Renamed,\n1000,Ana,virtual\n", replace=True
    )
    assert [(r["key"], r["action"]) for r in report.rows] == [("2001", "update"), ("1000", "error")]
    assert "has a PJSIP device: an import does not delete it" in report.problems[0]["message"]
    report = check_file("extensions", "extension,name,tech\n2001,Cy,pjsip\n", replace=True)
    assert "has no device of its own (virtual)" in report.problems[0]["message"]


@pytest.mark.slow
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
    exported = command_export()
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
