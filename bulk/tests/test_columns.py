"""The columns (bulk/columns.py): read as FreePBX writes them (the voicemail columns, chan_sip's
named groups), into the device, its section and the next export."""

import csv
import io

import pytest

from asterisk.astdb import desired_keys
from asterisk.render.conf import parse_conf
from bulk.importing import check_file, import_file
from bulk.tests.helpers import command_export, csv_text
from directory.devices.models import Device
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


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
    (cells,) = csv.DictReader(io.StringIO(command_export()))
    assert (cells["namedcallgroup"], cells["namedpickupgroup"]) == ("sales", "sales_support")
