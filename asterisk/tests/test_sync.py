"""The AstDB push: what a save makes Asterisk hold, and how failures heal."""

import io
import os
import time

import pytest
from django.core.management import call_command

from asterisk import ami, sync
from asterisk.ami import AmiActionError, AmiAuthError, AmiUnavailable
from asterisk.astdb import desired_keys
from asterisk.models import AstdbEntry, SyncChange, SyncStatus
from asterisk.sync import _ReplyCheck, run_reloads, run_sync
from asterisk.tasks import request_sync
from directory.devices.services import (
    device_create,
    device_delete,
    device_login,
    device_logout,
    device_update,
)
from directory.users.extensions import extension_create, extension_delete, extension_update
from directory.users.services import user_create, user_delete, user_update

pytestmark = pytest.mark.django_db

# What FreePBX 17 writes (README "Keeping Asterisk in step"), less what belongs to other
# modules (CustomPresence), for user 1000 on fixed device 1000 and adhoc device 3001;
# FreePBX's 3 concurrent calls by default.
SAMPLE = {
    "AMPUSER/1000/accountcode": "",
    "AMPUSER/1000/answermode": "disabled",
    "AMPUSER/1000/cfringtimer": "0",
    "AMPUSER/1000/cidname": "John Doe",
    "AMPUSER/1000/cidnum": "1000",
    "AMPUSER/1000/concurrency_limit": "3",
    "AMPUSER/1000/cwtone": "disabled",
    "AMPUSER/1000/device": "1000&3001",
    "AMPUSER/1000/hint": "PJSIP/1000&PJSIP/3001,CustomPresence:1000",
    "AMPUSER/1000/intercom": "enabled",
    "AMPUSER/1000/language": "",
    "AMPUSER/1000/noanswer": "",
    "AMPUSER/1000/outboundcid": "",
    "AMPUSER/1000/password": "",
    "AMPUSER/1000/recording": "",
    "AMPUSER/1000/recording/in/external": "dontcare",
    "AMPUSER/1000/recording/in/internal": "dontcare",
    "AMPUSER/1000/recording/ondemand": "disabled",
    "AMPUSER/1000/recording/out/external": "dontcare",
    "AMPUSER/1000/recording/out/internal": "dontcare",
    "AMPUSER/1000/recording/priority": "10",
    "AMPUSER/1000/ringtimer": "0",
    "AMPUSER/1000/rvolume": "",
    "AMPUSER/1000/voicemail": "default",
    "CW/1000": "ENABLED",
    "DEVICE/1000/default_user": "1000",
    "DEVICE/1000/dial": "PJSIP/1000",
    "DEVICE/1000/tech": "pjsip",
    "DEVICE/1000/type": "fixed",
    "DEVICE/1000/user": "1000",
    "DEVICE/3001/default_user": "none",
    "DEVICE/3001/dial": "PJSIP/3001",
    "DEVICE/3001/tech": "pjsip",
    "DEVICE/3001/type": "adhoc",
    "DEVICE/3001/user": "1000",
}


def _owned(server):
    return {k: v for k, v in server.astdb().items() if k.split("/")[0] in ("AMPUSER", "DEVICE", "CW")}


@pytest.fixture
def john(committed):
    return committed(extension_create, extension="1000", name="John Doe", tech="pjsip", voicemail="default")


@pytest.mark.slow
def test_each_save_syncs_at_its_commit_and_a_user_on_two_devices_gives_freepbx_keys(
    committed, asterisk, john
):
    # The first save wrote the dialplan file anew: Asterisk loaded it whole, once.
    assert asterisk.commands == ["voicemail reload", "dialplan reload"]
    asterisk.commands.clear()
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    committed(device_login, device=desk, user=john)
    assert _owned(asterisk) == SAMPLE
    assert set(asterisk.reloads) == {"res_pjsip.so"}, "each new PJSIP device's sections"
    assert asterisk.commands == [], "the hint changed in the running dialplan"
    assert asterisk.dialplan[("ext-local", "1000")] == {
        "1": ("Gosub", "sub-user-callerid,s,1()"),
        "2": ("Gosub", "sub-dial-user,s,1(1000,from-internal)"),
        "3": ("Hangup", ""),
        "hint": ("PJSIP/1000&PJSIP/3001", ""),
    }
    assert not SyncChange.objects.exists()


@pytest.mark.slow
def test_an_edit_sends_only_what_changed_and_reloads_only_the_mailboxes(committed, asterisk, john):
    asterisk.actions.clear()
    asterisk.reloads.clear()
    asterisk.commands.clear()
    committed(extension_update, user=john, name="John Smith")
    assert [(a["action"], a.get("key"), a.get("val")) for a in asterisk.actions] == [
        ("DBPut", "1000/cidname", "John Smith"),
        ("Command", None, None),
    ]
    assert asterisk.reloads == []
    assert asterisk.commands == ["voicemail reload"], "the name is also the mailbox's full name"
    assert SyncStatus.get().last_actions == 1, "the run's own; the reload is a run of its own"


def test_an_edit_that_leaves_the_mailbox_as_it_was_reloads_nothing(committed, asterisk, john):
    asterisk.commands.clear()
    asterisk.reloads.clear()
    committed(extension_update, user=john, ringtimer=25)
    assert asterisk.reloads == []
    assert asterisk.commands == []


@pytest.mark.slow
def test_a_one_extension_edit_of_everything_stays_within_40_actions(committed, asterisk, john):
    asterisk.actions.clear()
    committed(
        extension_update,
        user=john,
        name="J",
        cid_num_alias="2000",
        outboundcid="5551234",
        ringtimer=30,
        voicemail="novm",
        callwaiting=False,
        emergency_cid="911",
        recording_in_external="force",
        settings={"qualifyfreq": "30"},
    )
    assert SyncStatus.get().last_actions <= 40
    assert len([a for a in asterisk.actions if a["action"] not in ("Login", "Logoff")]) <= 40
    assert _owned(asterisk)["AMPUSER/1000/cidnum"] == "2000"
    assert "CW/1000" not in _owned(asterisk)
    assert _owned(asterisk)["DEVICE/1000/emergency_cid"] == "911"


@pytest.mark.slow
def test_logging_in_moves_the_device_between_users_lists(committed, asterisk, john):
    bob = committed(extension_create, extension="1001", name="Bob", tech="sip")
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", default_user=bob)
    run_sync()
    assert _owned(asterisk)["AMPUSER/1001/device"] == "1001&3001"
    committed(device_login, device=desk, user=john)
    run_sync()
    held = _owned(asterisk)
    assert (held["AMPUSER/1000/device"], held["AMPUSER/1001/device"]) == ("1000&3001", "1001")
    assert held["DEVICE/3001/user"] == "1000"
    committed(device_logout, device=desk)
    run_sync()
    held = _owned(asterisk)
    assert (held["AMPUSER/1000/device"], held["AMPUSER/1001/device"]) == ("1000", "1001&3001")


def test_a_user_with_no_device_has_no_device_key(committed, asterisk):
    committed(user_create, extension="2000", name="Nobody")
    run_sync()
    assert "AMPUSER/2000/device" not in _owned(asterisk)
    assert _owned(asterisk)["AMPUSER/2000/cidname"] == "Nobody"


@pytest.mark.slow
def test_deleting_an_extension_removes_its_whole_trees(committed, asterisk, john):
    committed(extension_delete, user=john)
    assert _owned(asterisk) == {}
    assert ("ext-local", "1000") not in asterisk.dialplan
    assert {a["action"] for a in asterisk.actions[-4:]} <= {
        "DBDelTree",
        "DBDel",
        "DialplanExtensionRemove",
        "Reload",
        "Command",
    }


@pytest.mark.slow
def test_deleting_what_asterisk_already_lost_is_not_a_failure(committed, asterisk, john):
    run_sync()
    asterisk.db.clear()  # Asterisk lost its AstDB behind pbxadmin's back
    committed(extension_delete, user=john)
    result = run_sync()
    deletes = [a for a in asterisk.actions if a["action"] in ("DBDelTree", "DBDel")]
    assert {(a["family"], a["key"]) for a in deletes} == {
        ("AMPUSER", "1000"),
        ("CW", "1000"),
        ("DEVICE", "1000"),
    }
    assert result.warnings == []
    assert SyncStatus.get().last_error == ""
    assert not AstdbEntry.objects.exists()


def test_an_error_reply_in_a_push_names_the_action(asterisk):
    actions = [
        {"Action": "DBPut", "Family": "AMPUSER", "Key": f"{n}/cidname", "Val": "x"} for n in range(3000)
    ]
    actions.append({"Action": "DBPut", "Family": "AMPUSER", "Val": "no key"})
    check = _ReplyCheck()
    with pytest.raises(AmiActionError, match=r"^DBPut AMPUSER/: No key specified$"):
        ami.run(lambda session: session.push(actions, check))
    assert len(asterisk.astdb("AMPUSER")) == 3000


def test_a_failed_reload_in_a_push_is_a_warning(asterisk):
    check = _ReplyCheck()
    actions = [
        {"Action": "Reload", "Module": "chan_nothing.so"},
        {"Action": "DBDel", "Family": "CW", "Key": "1"},
    ]
    ami.run(lambda session: session.push(actions, check))
    assert check.warnings == ["Reload chan_nothing.so: No such module"]


@pytest.mark.slow
def test_deleting_a_user_detaches_its_devices_in_astdb(committed, asterisk):
    alice = committed(user_create, extension="1000", name="Alice")
    committed(device_create, id="2001", tech="sip", default_user=alice)
    run_sync()
    committed(user_delete, user=alice)
    run_sync()
    held = _owned(asterisk)
    assert held["DEVICE/2001/user"] == "none"
    assert held["DEVICE/2001/default_user"] == "none"
    assert not any(k.startswith("AMPUSER/1000/") for k in held)


@pytest.mark.slow
def test_deleting_a_device_leaves_its_user_with_the_others(committed, asterisk, john):
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    committed(device_login, device=desk, user=john)
    run_sync()
    committed(device_delete, device=desk)
    run_sync()
    held = _owned(asterisk)
    assert held["AMPUSER/1000/device"] == "1000"
    assert not any(k.startswith("DEVICE/3001/") for k in held), "the whole tree, tech included"


@pytest.mark.slow
def test_a_blank_emergency_cid_is_deleted_not_left_empty(committed, asterisk, john):
    device = john.devices.get()
    committed(device_update, device=device, emergency_cid="5551234")
    run_sync()
    assert _owned(asterisk)["DEVICE/1000/emergency_cid"] == "5551234"
    committed(device_update, device=device, emergency_cid="")
    run_sync()
    assert "DEVICE/1000/emergency_cid" not in _owned(asterisk)


@pytest.mark.slow
def test_a_save_while_asterisk_is_down_arrives_when_it_is_back(committed, asterisk, john):
    asterisk.stop()
    committed(user_update, user=john, name="Changed While Down")  # its sync fails: not the save
    with pytest.raises(AmiUnavailable):
        run_sync()
    status = SyncStatus.get()
    assert "cannot connect" in status.last_error
    assert SyncChange.objects.exists(), "nothing is lost"
    asterisk.start()
    run_sync()
    assert _owned(asterisk)["AMPUSER/1000/cidname"] == "Changed While Down"
    assert SyncStatus.get().last_error == ""


@pytest.mark.slow
def test_a_connection_dropped_mid_batch_converges_on_the_next_run(committed, asterisk, worker_away):
    for n in range(40):
        committed(user_create, extension=str(2000 + n), name=f"User {n}")
    asterisk.drop_after = 300
    with pytest.raises(AmiUnavailable):
        run_sync()
    assert 0 < len(_owned(asterisk)) < len(desired_keys())
    asterisk.drop_after = None
    run_sync()
    assert _owned(asterisk) == desired_keys()


def test_a_refused_login_is_final_and_reported(committed, asterisk, john):
    asterisk.refuse_logins = True
    committed(user_update, user=john, name="Changed While Refused")
    with pytest.raises(AmiAuthError):
        run_sync()
    assert "refused the login" in SyncStatus.get().last_error
    assert SyncChange.objects.exists()


@pytest.mark.slow
def test_full_sync_rebuilds_a_lost_astdb_and_leaves_keys_it_does_not_own(committed, asterisk, john):
    run_sync()
    asterisk.db.clear()
    asterisk.db["/AMPUSER/9999/cidname"] = "Not one of ours"
    asterisk.db["/DEVICE/1000/bogus"] = "x"
    asterisk.db["/AMPUSER/1000/followme/grppre"] = "Sales:"
    asterisk.db["/OTHER/keep"] = "not ours"
    out = io.StringIO()
    call_command("asterisk_sync", "--full", stdout=out)
    left = {"AMPUSER/9999/cidname", "DEVICE/1000/bogus", "AMPUSER/1000/followme/grppre"}
    assert _owned(asterisk).keys() == desired_keys().keys() | left
    assert asterisk.db["/OTHER/keep"] == "not ours"
    assert not any(a["action"] in ("DBDel", "DBDelTree") for a in asterisk.actions)
    text = out.getvalue()
    assert "full sync" in text
    assert "Left 3 keys pbxadmin does not own" in text
    assert "  AMPUSER/1000/followme/grppre = Sales:" in text


@pytest.mark.slow
def test_full_sync_deletes_stale_keys_it_owns_under_its_users_and_devices(committed, asterisk, john):
    """What FreePBX left that pbxadmin's database contradicts goes: call waiting now off, an emergency
    CID now blank, a device list for a user now on no device. Keys of users it never had stay."""
    committed(user_update, user=john, callwaiting=False)
    committed(user_create, extension="2000", name="No devices")
    asterisk.db.update(
        {
            "/CW/1000": "ENABLED",
            "/DEVICE/1000/emergency_cid": "911",
            "/AMPUSER/2000/device": "2000",
            "/AMPUSER/2000/hint": "SIP/2000,CustomPresence:2000",
            "/AMPUSER/7000/cidname": "A FreePBX user not imported",
        }
    )
    run_sync(full=True)
    held = _owned(asterisk)
    assert held.keys() == desired_keys().keys() | {"AMPUSER/7000/cidname"}
    assert {(a["action"], a["family"], a["key"]) for a in asterisk.actions if a["action"] == "DBDel"} == {
        ("DBDel", "CW", "1000"),
        ("DBDel", "DEVICE", "1000/emergency_cid"),
        ("DBDel", "AMPUSER", "2000/device"),
        ("DBDel", "AMPUSER", "2000/hint"),
    }


@pytest.mark.slow
def test_full_sync_removes_the_owned_keys_of_an_object_it_wrote_and_has_since_lost(
    committed, asterisk, john, worker_away
):
    # Deleted while its delete never reached Asterisk (the record says pbxadmin wrote it).
    asterisk.db["/AMPUSER/1000/vmx/busy/state"] = "blocked"
    committed(extension_delete, user=john)
    SyncChange.objects.all().delete()
    run_sync(full=True)
    assert _owned(asterisk) == {"AMPUSER/1000/vmx/busy/state": "blocked"}


def test_prune_unknown_lists_then_deletes_the_keys_it_does_not_own(committed, asterisk, john):
    run_sync()
    asterisk.db["/AMPUSER/1000/novmpw"] = "yes"
    asterisk.db["/AMPUSER/9999/cidname"] = "Stray"
    asterisk.db["/OTHER/keep"] = "not ours"
    out = io.StringIO()
    call_command("asterisk_sync", "--full", "--prune-unknown", "--no-input", stdout=out)
    assert _owned(asterisk) == desired_keys()
    assert asterisk.db["/OTHER/keep"] == "not ours", "only the families pbxadmin writes"
    lines = out.getvalue().splitlines()
    listed = lines.index("Deleting 2 keys pbxadmin does not own:")
    assert lines[listed + 1 : listed + 3] == ["  AMPUSER/1000/novmpw = yes", "  AMPUSER/9999/cidname = Stray"]
    assert lines.index(next(line for line in lines if line.startswith("full sync:"))) > listed


@pytest.mark.slow
def test_prune_unknown_asks_first_and_a_no_sends_nothing(committed, asterisk, john, monkeypatch):
    from django.core.management.base import CommandError

    run_sync()
    asterisk.db["/AMPUSER/1000/novmpw"] = "yes"
    asterisk.db["/AMPUSER/1000/cidname"] = "Edited by hand"
    asterisk.actions.clear()
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "no")
    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was sent"):
        call_command("asterisk_sync", "--full", "--prune-unknown", stdout=out)
    assert asked == ["Delete these 1 keys from Asterisk? Type yes to go on: "]
    assert "  AMPUSER/1000/novmpw = yes" in out.getvalue()
    assert not [a for a in asterisk.actions if a["action"].startswith("DB")]
    assert asterisk.db["/AMPUSER/1000/novmpw"] == "yes"
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    call_command("asterisk_sync", "--full", "--prune-unknown", stdout=io.StringIO())
    assert _owned(asterisk) == desired_keys()


def test_prune_unknown_needs_full():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="needs --full"):
        call_command("asterisk_sync", "--prune-unknown")


@pytest.mark.slow
def test_every_key_pbxadmin_computes_is_one_it_owns(committed, john):
    """OWNED is the one list of what pbxadmin manages: nothing it writes may be missing from it."""
    from asterisk.astdb import is_owned

    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    committed(device_login, device=desk, user=john)
    committed(device_update, device=desk, emergency_cid="911")
    committed(user_update, user=john, password="1234", language="fr")
    committed(user_update, user=john, dnd=True, cf="2000", cfb="2001", cfu="+4930123", followme_list="2000")
    keys = desired_keys()
    assert {"CW/1000", "DEVICE/3001/emergency_cid", "AMPUSER/1000/hint"} <= keys.keys()
    assert {"DND/1000", "CF/1000", "CFB/1000", "CFU/1000", "AMPUSER/1000/followme/grplist"} <= keys.keys()
    assert [k for k in keys if not is_owned(k)] == []


@pytest.mark.parametrize(
    ("path", "owned"),
    [
        ("AMPUSER/1000/cidname", True),
        ("AMPUSER/1000/recording/priority", True),
        ("AMPUSER/1000/hint", True),
        ("CW/1000", True),
        ("DEVICE/3001/emergency_cid", True),
        ("AMPUSER/1000/novmpw", False),
        ("AMPUSER/1000/vmx/unavail/state", False),
        ("AMPUSER/1000/followme/ddial", True),
        ("AMPUSER/1000/followme/grplist", True),
        ("AMPUSER/1000/followme/grppre", False),
        ("DND/1000", True),
        ("CF/1000", True),
        ("CFB/1000", True),
        ("CFU/1000", True),
        ("AMPUSER/1000/recording/other", False),
        ("DEVICE/3001/bogus", False),
        ("CustomPresence/1000", False),
    ],
)
def test_which_keys_are_owned(path, owned):
    from asterisk.astdb import is_owned

    assert is_owned(path) is owned


def test_a_subtree_pattern_owns_every_key_below_it(monkeypatch):
    """How a later module (follow-me) joins the list: one `name/*` entry."""
    from asterisk import astdb

    monkeypatch.setitem(astdb.OWNED, "AMPUSER", (*astdb.OWNED["AMPUSER"], "followme/*"))
    assert astdb.is_owned("AMPUSER/1000/followme/ddial")
    assert astdb.is_owned("AMPUSER/1000/followme/grplist")
    assert not astdb.is_owned("AMPUSER/1000/followmex")


def test_the_command_reports_an_unreachable_asterisk(committed, asterisk, john):
    from django.core.management.base import CommandError

    asterisk.stop()
    with pytest.raises(CommandError, match="cannot connect"):
        call_command("asterisk_sync", stdout=io.StringIO())


def test_a_burst_of_saves_requests_one_run(committed, worker_away):
    for n in range(20):
        committed(user_create, extension=str(3000 + n), name=f"User {n}")
    assert len(worker_away) == 1, "the first asked; the others found a run asked for"
    assert SyncStatus.get().queued is True
    assert request_sync() is False, "already requested: no second run"
    assert SyncChange.objects.filter(kind="user").count() == 20


# --- A busy Asterisk is not a missing one ---------------------------------------------


def _static_change(settings):
    """A change of the static dialplan (the default ring time): it takes a `dialplan reload`."""
    from asterisk.files import write_all_files

    settings.PBXADMIN_RINGTIME_DEFAULT += 1
    write_all_files()


@pytest.mark.slow
def test_a_reload_slower_than_ami_timeout_is_waited_for_and_succeeds(
    asterisk, settings, committed, john, worker_away
):
    settings.AMI_TIMEOUT, settings.AMI_RELOAD_TIMEOUT = 1, 30
    asterisk.slow_commands["dialplan reload"] = 2
    _static_change(settings)
    outcome = sync.run_reloads(owner="test")
    assert outcome is not None and outcome.reloads[-1] == "dialplan", "the slow one last"
    status = SyncStatus.get()
    assert status.last_error == "" and status.last_error_kind == ""
    assert not SyncChange.objects.exists()


@pytest.mark.slow
def test_a_reload_that_outlasts_even_its_own_timeout_is_busy_and_never_sent_twice(
    asterisk, settings, committed, john, client, administrator_user, worker_away
):
    settings.AMI_TIMEOUT, settings.AMI_RELOAD_TIMEOUT = 1, 1
    asterisk.slow_commands["dialplan reload"] = 3
    _static_change(settings)
    with pytest.raises(ami.AmiBusy, match="busy reloading the dialplan"):
        sync.run_reloads(owner="test")
    status = SyncStatus.get()
    assert status.last_error_kind == "busy" and status.reload_by == ""
    assert not SyncChange.objects.filter(kind="reload", ref="dialplan").exists(), "Asterisk has it"
    client.force_login(administrator_user)
    state = client.get("/sync/status/").json()
    assert state["state"] == "busy" and state["headline"] == "Asterisk is busy"

    # An AstDB change goes through meanwhile; the next reload run waits for a Ping first,
    # and sends what waits, not the reload again.
    worker_away.come_back()
    asterisk.actions.clear()
    asterisk.commands.clear()
    committed(extension_update, user=john, name="John Busy")
    assert _owned(asterisk)["AMPUSER/1000/cidname"] == "John Busy"
    reloads = [a for a in asterisk.actions if a["action"] in ("Ping", "Command", "Reload")]
    assert [(a["action"], a.get("command")) for a in reloads] == [
        ("Ping", None),
        ("Command", "voicemail reload"),
    ]
    assert SyncStatus.get().last_error_kind == ""


def test_a_run_that_finds_another_under_way_leaves_it_alone_and_it_asks_again_at_its_end(
    asterisk, committed, john, worker_away
):
    assert SyncStatus.acquire("other/1/x", sync._lease())
    committed(extension_update, user=john, ringtimer=25)
    assert sync.run_requested(owner="me").result is None, "the run under way holds the lease"
    assert SyncChange.objects.filter(kind="user").exists()
    asked = worker_away[:]
    assert SyncStatus.finish("other/1/x") is True, "a run was asked for meanwhile: queue it"
    assert asked, "the save asked for a run"


def test_a_worker_that_starts_again_lifts_the_run_its_earlier_life_held(
    asterisk, committed, john, worker_away
):
    from asterisk.tasks import recover

    assert SyncStatus.acquire("celery@pbx1/4242/abc", sync._lease())
    assert SyncStatus.acquire("celery@pbx1/9999/new", sync._lease()) is False
    committed(extension_update, user=john, ringtimer=25)
    worker_away.come_back()
    recover(node="celery@pbx1")
    assert SyncStatus.get().running_by == ""
    assert not SyncChange.objects.exists(), "what waited was synced at once"
    assert _owned(asterisk)["AMPUSER/1000/ringtimer"] == "25"


def _age_files(conf_dir, seconds: float) -> None:
    """Make every generated file look written `seconds` ago."""
    when = time.time() - seconds
    for path in conf_dir.iterdir():
        if path.is_file():
            os.utime(path, (when, when))


def test_reloads_of_files_asterisk_read_when_it_started_are_settled_without_being_sent(
    asterisk, conf_dir, committed, john, worker_away
):
    from asterisk.files import write_all_files

    asterisk.reloads.clear()
    asterisk.commands.clear()
    SyncChange.objects.create(kind=SyncChange.Kind.RELOAD, ref="dialplan")  # as a full run asks
    write_all_files()  # `writeconf`: the reloads of what it rewrote are queued
    assert {"dialplan", "res_pjsip.so"} <= set(
        SyncChange.objects.filter(kind="reload").values_list("ref", flat=True)
    )
    _age_files(conf_dir, 120)
    asterisk.booted_at = time.time() - 60  # restarted after the files were written
    outcome = sync.run_reloads(owner="test")
    assert outcome is not None and outcome.reloads == []
    assert asterisk.reloads == [] and "dialplan reload" not in asterisk.commands
    assert "voicemail reload" not in asterisk.commands
    assert not SyncChange.objects.filter(kind="reload").exists()


def test_a_file_written_after_asterisk_started_is_reloaded(asterisk, conf_dir, committed, john, worker_away):
    from asterisk.files import write_all_files

    SyncChange.objects.create(kind=SyncChange.Kind.RELOAD, ref="dialplan")
    write_all_files()
    queued = set(SyncChange.objects.filter(kind="reload").values_list("ref", flat=True))
    assert {"dialplan", "res_pjsip.so"} <= queued
    _age_files(conf_dir, 120)
    asterisk.booted_at = time.time() - 180  # up since before the files
    asterisk.reloads.clear()
    asterisk.commands.clear()
    outcome = sync.run_reloads(owner="test")
    assert outcome is not None and set(outcome.reloads) == queued
    assert "res_pjsip.so" in asterisk.reloads and "dialplan reload" in asterisk.commands


def _files_pending() -> set[str]:
    return set(SyncChange.objects.filter(kind="file").values_list("ref", flat=True))


def test_a_crash_between_commit_and_write_is_repaired_by_the_next_run(asterisk, conf_dir):
    # The process dies after the commit: the on-commit work never runs.
    extension_create(extension="1000", name="Ana", tech="sip")
    assert not (conf_dir / "sip_additional.conf").exists()
    assert "sip_additional.conf" in _files_pending(), "the outbox still says so"

    run_sync()
    run_reloads()

    assert "[1000]" in (conf_dir / "sip_additional.conf").read_text().splitlines()
    assert not SyncChange.objects.exists()
    assert ("Reload", "chan_sip.so") in [(a["action"], a.get("module")) for a in asterisk.actions]


def test_a_save_with_asterisk_down_succeeds_and_reports_it(asterisk, django_capture_on_commit_callbacks):
    asterisk.stop()
    with django_capture_on_commit_callbacks(execute=True):
        user = user_create(extension="1000", name="Ana")
    assert user.pk == "1000"
    status = SyncStatus.get()
    # Here Celery does not retry (see conftest), so nothing stays asked for; on a worker the
    # retry keeps the request and the change arrives (test_worker.py).
    assert "cannot connect" in status.last_error and status.queued is False
    assert SyncChange.objects.filter(kind="user", ref="1000").exists(), "kept for the next run"


def test_when_the_files_cannot_be_written_the_sync_still_runs_once_and_the_banner_keeps_the_error(
    settings, asterisk, conf_dir, django_capture_on_commit_callbacks
):  # it once looped: each run asked for another, for the files it could not write
    blocked = conf_dir.parent / "not-a-folder"
    blocked.write_text("")  # a file where the folder should be: every write fails, even as root
    settings.ASTERISK_CONF_DIR = blocked
    with django_capture_on_commit_callbacks(execute=True):
        extension_create(extension="1000", name="Ana", tech="sip")
    status = SyncStatus.get()
    assert status.runs == 1, "one run pushed AstDB; the leftover file rows did not start another"
    assert status.last_error_kind == "files" and "config files" in status.last_error
    assert status.queued is False
    assert "sip_additional.conf" in _files_pending(), "kept for the next write"
    assert asterisk.astdb().get("DEVICE/1000/dial") == "SIP/1000"


def test_an_unexpected_error_in_a_run_lets_go_of_the_run(monkeypatch, asterisk, worker_away, committed):
    committed(extension_create, extension="1000", name="Ana", tech="sip")
    assert SyncStatus.get().queued

    def locked(self, **_options):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(sync._Run, "go", locked)
    with pytest.raises(RuntimeError):
        sync.run_requested(owner="w1")
    status = SyncStatus.get()
    assert status.running_by == "" and status.lease_until is None, "the next run may begin at once"
    monkeypatch.undo()
    assert sync.run_requested(owner="w2").result is not None
    assert asterisk.astdb().get("DEVICE/1000/dial") == "SIP/1000"
