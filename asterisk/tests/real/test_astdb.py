"""AstDB as Asterisk holds it after pbxadmin's syncs: equal to what the database implies, key by key.

Read back with Asterisk's own `database show`; what one edit costs is counted
from Asterisk's log ("Running action 'DBPut'"), not from what pbxadmin thinks it sent.
"""

import re

import pytest
from django.core.management import call_command

from asterisk import sync
from asterisk.astdb import FAMILIES, desired_keys
from directory.devices.models import Device
from directory.devices.services import device_create, device_login
from directory.users.extensions import extension_create, extension_delete, extension_update
from directory.users.models import PbxUser
from directory.users.services import user_create

pytestmark = pytest.mark.asterisk


def _held(pbx) -> dict[str, str]:
    held = {}
    for family in FAMILIES:
        held.update(pbx.database(family))
    return held


def _actions_since(pbx, mark: int) -> list[str]:
    return re.findall(r"Running action '(\w+)'", pbx.log_since(mark))


def _office():
    extension_create(extension="2001", name="Ana Müller", tech="pjsip", voicemail="default", callwaiting=True)
    extension_create(extension="2002", name="Bob O'Brien", tech="sip", outboundcid='"Bob" <5551234>')
    extension_create(extension="2003", name="Cy", tech="iax2", emergency_cid="5559110")
    user_create(extension="2099", name="Vic Virtual", password="4711")
    device_create(id="3001", tech="pjsip", devicetype="adhoc", description="Shared desk")
    device_login(device=Device.objects.get(pk="3001"), user=PbxUser.objects.get(pk="2099"))


def test_full_sync_makes_asterisk_hold_exactly_the_keys_the_database_implies(pbx):
    _office()
    # A stray key in a family pbxadmin owns, and a lost one: --full mends both.
    pbx.cli("database put DEVICE 2003/user 1234")
    call_command("asterisk_sync", "--full")

    assert _held(pbx) == desired_keys()
    assert pbx.database("AMPUSER/2099")["AMPUSER/2099/device"] == "3001"
    assert pbx.database("DEVICE/3001")["DEVICE/3001/user"] == "2099"
    assert pbx.database("CW")["CW/2001"] == "ENABLED"


def test_one_edit_sends_only_its_difference(pbx):
    _office()
    call_command("asterisk_sync", "--full")
    mark = pbx.log_mark()

    extension_update(user=PbxUser.objects.get(pk="2002"), name="Robert O'Brien")
    sync.run_sync()

    assert pbx.database("AMPUSER/2002")["AMPUSER/2002/cidname"] == "Robert O'Brien"
    assert _held(pbx) == desired_keys()
    actions = [a for a in _actions_since(pbx, mark) if a not in ("Login", "Logoff", "Ping")]
    # The name is one key; the device's description is in its section, not in AstDB.
    assert actions.count("DBPut") == 1, actions
    assert "DBDel" not in actions and "DBDelTree" not in actions


def test_deleting_an_extension_removes_its_trees(pbx):
    _office()
    call_command("asterisk_sync", "--full")
    extension_delete(user=PbxUser.objects.get(pk="2001"))
    sync.run_sync()

    held = _held(pbx)
    assert not any(k.startswith(("AMPUSER/2001/", "DEVICE/2001/")) or k == "CW/2001" for k in held)
    assert held == desired_keys()
