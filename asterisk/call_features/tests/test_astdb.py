"""The call features in AstDB, as FreePBX's modules keep them, and the device states that follow
them; pushed by the sync (the wire-level AMI test server plays Asterisk)."""

import pytest

from asterisk.astdb import FAMILIES, OWNED, desired_keys, is_owned
from asterisk.astdb_plan import plan_changes
from asterisk.call_features.astdb import state_actions, user_keys
from asterisk.sync import run_sync
from directory.users.extensions import extension_create, extension_delete, extension_update
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(committed):
    return committed(extension_create, extension="2001", name="Ana", tech="pjsip")


def test_a_user_with_no_call_feature_has_no_key_of_them(ana):
    assert user_keys(ana) == {}


def test_each_feature_has_freepbxs_key_and_value(ana):
    user = extension_update(
        user=ana,
        dnd=True,
        cf="2002",
        cfb="+4930123",
        cfu="0171234",
        followme=True,
        followme_list="2002-0171234567#",
        followme_prering=4,
        followme_grptime=60,
        followme_strategy="ringallv2",
        followme_confirm=True,
    )
    assert user_keys(user) == {
        "DND/2001": "YES",
        "CF/2001": "2002",
        "CFB/2001": "+4930123",
        "CFU/2001": "0171234",
        "AMPUSER/2001/followme/ddial": "DIRECT",
        "AMPUSER/2001/followme/grpconf": "ENABLED",
        "AMPUSER/2001/followme/grplist": "2002-0171234567#",
        "AMPUSER/2001/followme/grptime": "60",
        "AMPUSER/2001/followme/prering": "4",
        "AMPUSER/2001/followme/strategy": "ringallv2",
    }


def test_a_follow_me_turned_off_keeps_its_list_with_ddial_extension(ana):
    user = extension_update(user=ana, followme_list="2002")
    keys = user_keys(user)
    assert keys["AMPUSER/2001/followme/ddial"] == "EXTENSION"
    assert keys["AMPUSER/2001/followme/grpconf"] == "DISABLED"


def test_every_key_they_make_is_owned_and_their_families_are_read_back(ana):
    extension_update(user=ana, dnd=True, cf="1", cfb="2", cfu="3", followme=True, followme_list="2")
    keys = desired_keys()
    assert all(is_owned(k) for k in keys)
    assert {"DND", "CF", "CFB", "CFU"} <= set(FAMILIES)
    assert not is_owned("AMPUSER/2001/followme/grppre"), "FreePBX's other follow-me keys are its own"
    assert "followme/*" not in OWNED["AMPUSER"]


def test_a_devices_state_follows_its_key_each_way():
    assert state_actions("DND", "2001", "YES") == [
        {"Action": "Setvar", "Variable": "DEVICE_STATE(Custom:DND2001)", "Value": "BUSY"}
    ]
    assert state_actions("DND", "2001", None)[0]["Value"] == "NOT_INUSE"
    assert state_actions("CF", "2001", "2002")[0]["Variable"] == "DEVICE_STATE(Custom:CF2001)"
    assert state_actions("AMPUSER", "2001/followme/ddial", "DIRECT")[0] == {
        "Action": "Setvar",
        "Variable": "DEVICE_STATE(Custom:FOLLOWME2001)",
        "Value": "BUSY",
    }
    assert state_actions("AMPUSER", "2001/followme/ddial", "EXTENSION")[0]["Value"] == "NOT_INUSE"
    assert state_actions("CFB", "2001", "2") == state_actions("AMPUSER", "2001/cidname", "x") == []


def test_the_plan_sets_the_state_right_after_the_key():
    plan = plan_changes(
        {"DND/2001": {"DND/2001": "YES"}}, {"CF/2001": {"CF/2001": "2002"}}, ["DND/2001", "CF/2001"]
    )
    assert [(a["Action"], a.get("Variable", a.get("Family"))) for a in plan.actions] == [
        ("DBDel", "CF"),
        ("Setvar", "DEVICE_STATE(Custom:CF2001)"),
        ("DBPut", "DND"),
        ("Setvar", "DEVICE_STATE(Custom:DND2001)"),
    ]


@pytest.mark.slow
def test_the_sync_writes_the_keys_and_sets_the_states_then_takes_them_away(committed, asterisk, ana):
    run_sync()
    committed(extension_update, user=ana, dnd=True, cf="2002", followme=True, followme_list="2002")
    run_sync()
    held = asterisk.astdb()
    assert (held["DND/2001"], held["CF/2001"], held["AMPUSER/2001/followme/ddial"]) == (
        "YES",
        "2002",
        "DIRECT",
    )
    assert asterisk.device_states == {"DND2001": "BUSY", "CF2001": "BUSY", "FOLLOWME2001": "BUSY"}

    committed(extension_update, user=ana, dnd=False, cf="", followme=False)
    run_sync()
    held = asterisk.astdb()
    assert "DND/2001" not in held and "CF/2001" not in held
    assert held["AMPUSER/2001/followme/ddial"] == "EXTENSION"
    assert asterisk.device_states == {
        "DND2001": "NOT_INUSE",
        "CF2001": "NOT_INUSE",
        "FOLLOWME2001": "NOT_INUSE",
    }


@pytest.mark.slow
def test_a_change_elsewhere_sends_no_state_again(committed, asterisk, ana):
    committed(extension_update, user=ana, dnd=True)
    run_sync()
    sent = len([a for a in asterisk.actions if a["action"] == "Setvar"])
    committed(extension_update, user=ana, name="Ana Maria")
    run_sync()
    assert len([a for a in asterisk.actions if a["action"] == "Setvar"]) == sent


@pytest.mark.slow
def test_deleting_the_user_deletes_its_features_and_clears_their_states(committed, asterisk, ana):
    committed(extension_update, user=ana, dnd=True, cfb="2002", cfu="2003")
    run_sync()
    committed(extension_delete, user=PbxUser.objects.get(pk="2001"))
    run_sync()
    held = asterisk.astdb()
    assert not [k for k in held if k.endswith("/2001") or "/2001/" in k]
    assert asterisk.device_states["DND2001"] == "NOT_INUSE"


@pytest.mark.slow
def test_a_full_sync_rewrites_lost_features_and_leaves_freepbxs_other_follow_me_keys(
    committed, asterisk, ana
):
    committed(extension_update, user=ana, dnd=True, followme_list="2002")
    run_sync()
    asterisk.db.clear()
    asterisk.db["/AMPUSER/2001/followme/grppre"] = "Sales:"
    asterisk.db["/CFU/2001"] = "999"  # not what the database says: pbxadmin's key, so it goes
    run_sync(full=True)
    held = asterisk.astdb()
    assert held["DND/2001"] == "YES"
    assert held["AMPUSER/2001/followme/grplist"] == "2002"
    assert held["AMPUSER/2001/followme/grppre"] == "Sales:"
    assert "CFU/2001" not in held
    assert asterisk.device_states["DND2001"] == "BUSY"
