"""Moving from FreePBX: what its phones set lives in AstDB only, and is taken over before the first
full sync (manage.py adopt_call_features)."""

import io

import pytest
from django.core.management import call_command

from asterisk.call_features.adopt import fields_from_astdb
from asterisk.sync import run_sync
from audit.models import Entry, Via
from directory.users.extensions import extension_create
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db

FREEPBX = {
    "DND/2001": "YES",
    "CF/2001": "2002",
    "CFB/2002": "0171234567",
    "CFU/2002": "",
    "AMPUSER/2002/followme/ddial": "DIRECT",
    "AMPUSER/2002/followme/grplist": "2002-0171234567#",
    "AMPUSER/2002/followme/prering": "4",
    "AMPUSER/2002/followme/grptime": "60",
    "AMPUSER/2002/followme/strategy": "memoryhunt",
    "AMPUSER/2002/followme/grpconf": "ENABLED",
    "AMPUSER/2002/followme/grppre": "Sales:",
    "AMPUSER/2002/cidname": "Bob",
    "DND/7000": "YES",
}


def test_freepbxs_keys_say_each_users_call_features():
    assert fields_from_astdb(FREEPBX) == {
        "2001": {"dnd": True, "cf": "2002"},
        "2002": {
            "cfb": "0171234567",
            "followme": True,
            "followme_list": "2002-0171234567#",
            "followme_prering": "4",
            "followme_grptime": "60",
            "followme_strategy": "hunt",
            "followme_confirm": True,
        },
        "7000": {"dnd": True},
    }


@pytest.mark.slow
def test_the_command_saves_them_on_the_users_and_the_full_sync_keeps_them(committed, asterisk):
    for number in ("2001", "2002"):
        committed(extension_create, extension=number, name=f"User {number}", tech="pjsip")
    asterisk.db.update({f"/{k}": v for k, v in FREEPBX.items()})
    out = io.StringIO()

    committed(call_command, "adopt_call_features", stdout=out)

    ana, bob = PbxUser.objects.get(pk="2001"), PbxUser.objects.get(pk="2002")
    assert (ana.dnd, ana.cf) == (True, "2002")
    assert (bob.cfb, bob.followme, bob.followme_list, bob.followme_grptime) == (
        "0171234567",
        True,
        "2002-0171234567#",
        60,
    )
    text = out.getvalue()
    assert "user 2001: changed cf, dnd" in text and "2 users changed." in text
    assert "Keys of 1 numbers that are no user here were left." in text
    assert Entry.objects.filter(via=Via.COMMAND, object_id="2001").exists()
    run_sync(full=True)
    held = asterisk.astdb()
    assert (held["DND/2001"], held["CF/2001"], held["CFB/2002"]) == ("YES", "2002", "0171234567")
    assert held["AMPUSER/2002/followme/grppre"] == "Sales:", "FreePBX's other follow-me keys stay"


def test_a_dry_run_changes_nothing_and_a_refused_value_is_said(committed, asterisk):
    committed(extension_create, extension="2001", name="Ana", tech="pjsip")
    asterisk.db.update({"/DND/2001": "YES", "/CF/2001": "2001"})
    out = io.StringIO()
    call_command("adopt_call_features", "--dry-run", stdout=out)
    assert "user 2001: would change dnd" in out.getvalue()
    assert "user 2001: not taken, the rules refuse it: cf: Forwarding" in out.getvalue()
    assert PbxUser.objects.get(pk="2001").dnd is False
    committed(call_command, "adopt_call_features", stdout=io.StringIO())
    assert (PbxUser.objects.get(pk="2001").dnd, PbxUser.objects.get(pk="2001").cf) == (True, "")
