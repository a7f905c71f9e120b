"""Call features with real phones: do not disturb, forwards, follow me and the *76 BLF hint.

The feature codes go to the FastAGI service as `make run` runs it, the Celery worker takes the
syncs they ask for; judged by what Asterisk shows (AstDB, channels, its log, hint states), what
the phones saw, and what the portal shows.
"""

import time

import pytest
from django.core.management import call_command
from django.test import Client

from asterisk import ami
from asterisk.testing.pbx import wait_for
from asterisk.tests.real.helpers import channel_details, channel_of, channels, no_channels, registered
from audit.models import Entry
from directory.users.extensions import extension_create, extension_update
from directory.users.models import PbxUser
from web.testing.forms import form_post_data
from web.testing.personas import administrator

pytestmark = pytest.mark.asterisk


def _office(pbx, service, *numbers, agi=True):
    """PJSIP extensions 2001 (Ana, with a mailbox), 2002 (Bob), 2003 (Cy), 2004 (Di); the worker
    and, unless told, the FastAGI service; the numbers' phones, registered."""
    names = {"2001": "Ana Müller", "2002": "Bob O'Brien", "2003": "Cy Young", "2004": "Di Diaz"}
    for number, name in names.items():
        extension_create(
            extension=number, name=name, tech="pjsip", voicemail="default" if number == "2001" else "novm"
        )
    call_command("asterisk_sync", "--full")
    worker = service("worker")
    wait_for(lambda: "ready" in worker.output(), "the Celery worker")
    if agi:
        fastagi = service("fastagi")
        wait_for(lambda: "listening" in fastagi.output(), "the FastAGI service")


def _phones(pbx, phone, *numbers):
    started = {n: phone(n) for n in numbers}
    wait_for(lambda: all(registered(pbx, n, "pjsip") for n in numbers), f"phones {numbers} to register")
    return started


def _played(pbx, mark: int, *prompts: str) -> bool:
    log = pbx.log_since(mark)
    return all(f"Playing '{p}." in log for p in prompts)


def _feature_code(pbx, who, code: str, *prompts: str) -> None:
    mark = pbx.log_mark()
    who.dial(code)
    wait_for(lambda: _played(pbx, mark, *prompts), f"{code}: {prompts}")
    wait_for(lambda: no_channels(pbx), f"the {code} call to end")


def _user(number: str) -> PbxUser:
    return PbxUser.objects.get(pk=number)


def _rings(pbx, device: str):
    return channel_of(pbx, f"PJSIP/{device}-", "Ringing")


def _admin_client() -> Client:
    client = Client()
    client.force_login(administrator())
    return client


def test_star78_sets_dnd_the_page_shows_it_a_call_does_not_ring_and_star79_clears_it(pbx, phone, service):
    _office(pbx, service)
    phones = _phones(pbx, phone, "2001", "2002")
    ana, bob = phones["2001"], phones["2002"]

    _feature_code(pbx, ana, "*78", "do-not-disturb", "activated")

    assert _user("2001").dnd is True
    listing = _admin_client().get("/extensions/").content.decode()
    assert 'title="Do not disturb' in listing
    entry = Entry.objects.filter(object_id="2001", via="phone").latest("pk")
    assert entry.detail == "phone on device 2001"
    assert entry.changes["dnd"] == [False, True]
    wait_for(lambda: pbx.database("DND") == {"DND/2001": "YES"}, "DND/2001 = YES in AstDB")

    calls_before = len(ana.events("CALL_INCOMING"))
    mark = pbx.log_mark()
    bob.dial("2001")
    wait_for(lambda: channel_of(pbx, "PJSIP/2002-", application="VoiceMail"), "Bob's call in Ana's voicemail")
    assert '"2001@default,b")' in pbx.log_since(mark), "the busy greeting, as FreePBX sends DND"
    assert channel_of(pbx, "PJSIP/2001-") is None
    assert len(ana.events("CALL_INCOMING")) == calls_before
    bob.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")

    _feature_code(pbx, ana, "*79", "do-not-disturb", "de-activated")

    assert _user("2001").dnd is False
    wait_for(lambda: pbx.database("DND") == {}, "DND/2001 gone from AstDB")
    bob.dial("2001")
    wait_for(lambda: _rings(pbx, "2001"), "Ana's phone to ring again")
    bob.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")


def test_star72_and_a_number_forwards_the_next_call_with_the_callers_id_and_star73_ends_it(
    pbx, phone, service
):
    _office(pbx, service)
    phones = _phones(pbx, phone, "2001", "2002", "2003")
    ana, bob, cy = phones["2001"], phones["2002"], phones["2003"]

    _feature_code(pbx, ana, "*722003", "call-fwd-unconditional", "is-set-to")

    assert _user("2001").cf == "2003"
    wait_for(lambda: pbx.database("CF") == {"CF/2001": "2003"}, "CF/2001 = 2003 in AstDB")
    calls_before = len(ana.events("CALL_INCOMING"))
    bob.dial("2001")
    ringing = wait_for(lambda: _rings(pbx, "2003"), "Cy's phone to ring for Ana")
    seen = channel_details(pbx, ringing["channel"])
    assert (seen["Connected Line ID"], seen["Connected Line ID Name"]) == ("2002", "Bob O'Brien")
    incoming = cy.wait_event("CALL_INCOMING")
    assert incoming["peerdisplayname"] == "Bob O'Brien"
    assert channel_of(pbx, "PJSIP/2001-") is None
    assert len(ana.events("CALL_INCOMING")) == calls_before
    cy.accept()
    wait_for(lambda: channel_of(pbx, "PJSIP/2003-", "Up"), "Cy to take Bob's call")
    bob.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")

    _feature_code(pbx, ana, "*73", "call-fwd-unconditional", "de-activated")

    assert _user("2001").cf == ""
    wait_for(lambda: pbx.database("CF") == {}, "CF/2001 gone from AstDB")
    bob.dial("2001")
    wait_for(lambda: _rings(pbx, "2001"), "Ana's phone to ring again")
    assert channel_of(pbx, "PJSIP/2003-") is None
    bob.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")


def test_star72_asks_for_the_number_when_none_follows(pbx, phone, service):
    _office(pbx, service)
    ana = _phones(pbx, phone, "2001")["2001"]

    mark = pbx.log_mark()
    ana.dial("*72")
    wait_for(lambda: _played(pbx, mark, "vm-enter-num-to-call"), "the question for the number")
    ana.keys("2004#")
    wait_for(lambda: _played(pbx, mark, "is-set-to"), "'is set to'")
    wait_for(lambda: no_channels(pbx), "the call to end")

    assert _user("2001").cf == "2004"


def test_a_forward_round_a_chain_rings_the_user_where_it_comes_back(pbx, phone, service):
    """2001 forwards to 2003, 2003 back to 2001: a call to 2001 rings 2003, whose forward is
    not followed back; a forward to oneself is refused by the services."""
    _office(pbx, service)
    phones = _phones(pbx, phone, "2002", "2003")
    for number, target in (("2001", "2003"), ("2003", "2001")):
        extension_update(user=_user(number), cf=target)
    wait_for(lambda: pbx.database("CF") == {"CF/2001": "2003", "CF/2003": "2001"}, "both forwards in AstDB")

    phones["2002"].dial("2001")

    wait_for(lambda: _rings(pbx, "2003"), "2003's phone to ring")
    assert len([c for c in channels(pbx) if c["channel"].startswith("Local/")]) <= 2
    phones["2002"].hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")


def test_a_busy_forward_rings_its_number_only_while_the_user_is_busy(pbx, phone, service):
    _office(pbx, service)
    phones = _phones(pbx, phone, "2001", "2002", "2003", "2004")
    ana, bob, cy, di = (phones[n] for n in ("2001", "2002", "2003", "2004"))
    extension_update(user=_user("2001"), cfb="2003", callwaiting=False)
    wait_for(lambda: pbx.database("CFB") == {"CFB/2001": "2003"}, "CFB/2001 in AstDB")

    bob.dial("2001")
    wait_for(lambda: _rings(pbx, "2001"), "Ana's phone to ring while she is free")
    assert channel_of(pbx, "PJSIP/2003-") is None
    bob.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")

    di.dial("2001")
    wait_for(lambda: _rings(pbx, "2001"), "Di's call to ring Ana")
    ana.accept()
    wait_for(lambda: channel_of(pbx, "PJSIP/2001-", "Up"), "Ana on a call with Di")
    bob.dial("2001")
    wait_for(lambda: _rings(pbx, "2003"), "Cy's phone to ring while Ana is busy")
    cy.wait_event("CALL_INCOMING")
    bob.hangup()
    di.hangup()
    wait_for(lambda: no_channels(pbx), "the calls to end")


def test_a_no_answer_forward_rings_its_number_after_the_ring_time_or_at_once_when_unreachable(
    pbx, phone, service
):
    _office(pbx, service)
    phones = _phones(pbx, phone, "2001", "2002", "2003")
    ana, bob = phones["2001"], phones["2002"]
    extension_update(user=_user("2001"), cfu="2003", ringtimer=4)
    wait_for(lambda: pbx.database("CFU") == {"CFU/2001": "2003"}, "CFU/2001 in AstDB")

    bob.dial("2001")
    wait_for(lambda: _rings(pbx, "2001"), "Ana's phone to ring first")
    assert channel_of(pbx, "PJSIP/2003-") is None
    wait_for(lambda: _rings(pbx, "2003"), "Cy's phone once Ana did not answer")
    bob.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")

    ana.stop()
    wait_for(lambda: not registered(pbx, "2001", "pjsip"), "Ana's phone to be gone")
    mark = pbx.log_mark()
    bob.dial("2001")
    wait_for(lambda: _rings(pbx, "2003"), "Cy's phone at once, Ana's phone being unreachable")
    assert "PJSIP/2001-" not in pbx.log_since(mark)
    bob.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")


def test_a_follow_me_list_rings_the_listed_extension_after_the_initial_ring_time(pbx, phone, service):
    _office(pbx, service)
    phones = _phones(pbx, phone, "2001", "2002", "2003")
    extension_update(
        user=_user("2001"),
        followme=True,
        followme_list="2003",
        followme_prering=8,
        followme_grptime=30,
        followme_strategy="ringallv2",
    )
    wait_for(
        lambda: pbx.database("AMPUSER/2001").get("AMPUSER/2001/followme/ddial") == "DIRECT",
        "the follow-me in AstDB",
    )

    phones["2002"].dial("2001")

    first_seen: dict[str, float] = {}

    def both_ringing() -> bool:
        for device in ("2001", "2003"):
            if device not in first_seen and _rings(pbx, device):
                first_seen[device] = time.monotonic()
        return len(first_seen) == 2

    wait_for(both_ringing, "Ana's phone, then the follow-me list's")
    assert first_seen["2001"] < first_seen["2003"], "the list rings after the initial ring time"
    assert _rings(pbx, "2001"), "ringallv2: Ana's phone keeps ringing with the list"
    phones["2003"].accept()
    wait_for(lambda: channel_of(pbx, "PJSIP/2003-", "Up"), "Cy to take the call")
    wait_for(lambda: channel_of(pbx, "PJSIP/2001-") is None, "Ana's phone to stop ringing")
    phones["2002"].hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")


def test_an_outside_follow_me_number_must_press_1_to_take_the_call(pbx, phone, service):
    """`2003#` is dialled as an outside number, in Ana's context (from-internal reaches 2003 too)."""
    _office(pbx, service)
    phones = _phones(pbx, phone, "2001", "2002", "2003")
    bob, cy = phones["2002"], phones["2003"]
    extension_update(
        user=_user("2001"),
        followme=True,
        followme_list="2003#",
        followme_prering=0,
        followme_confirm=True,
        followme_strategy="ringall",
    )
    wait_for(
        lambda: pbx.database("AMPUSER/2001").get("AMPUSER/2001/followme/grpconf") == "ENABLED",
        "the confirmation in AstDB",
    )
    mark = pbx.log_mark()

    bob.dial("2001")
    wait_for(lambda: _rings(pbx, "2003"), "the outside number to ring")
    cy.accept()
    wait_for(lambda: _played(pbx, mark, "followme/options"), "'press 1 to accept'")
    assert channel_of(pbx, "PJSIP/2002-", "Up") is None, "not put through before 1 is pressed"
    cy.keys("1")
    wait_for(lambda: channel_of(pbx, "PJSIP/2002-", "Up"), "Bob put through once 1 was pressed")
    bob.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")


def test_star21_turns_follow_me_on_and_off(pbx, phone, service):
    _office(pbx, service)
    ana = _phones(pbx, phone, "2001")["2001"]
    extension_update(user=_user("2001"), followme_list="2003")

    _feature_code(pbx, ana, "*21", "activated")
    assert _user("2001").followme is True
    wait_for(
        lambda: pbx.database("AMPUSER/2001").get("AMPUSER/2001/followme/ddial") == "DIRECT", "ddial DIRECT"
    )
    _feature_code(pbx, ana, "*21", "de-activated")
    assert _user("2001").followme is False


def test_star71_and_star70_turn_call_waiting_off_and_on(pbx, phone, service):
    _office(pbx, service)
    ana = _phones(pbx, phone, "2001")["2001"]

    _feature_code(pbx, ana, "*71", "call-waiting", "de-activated")
    assert _user("2001").callwaiting is False
    wait_for(lambda: "CW/2001" not in pbx.database("CW"), "CW/2001 gone")
    _feature_code(pbx, ana, "*70", "call-waiting", "activated")
    wait_for(lambda: pbx.database("CW").get("CW/2001") == "ENABLED", "CW/2001 = ENABLED")


def _hint_state(exten: str) -> str:
    reply = ami.run(
        lambda session: session.send_one(
            {"Action": "ExtensionState", "Exten": exten, "Context": "from-internal"}
        ),
        ami.AmiConfig.from_settings(),
    )
    return reply.get("StatusText", "")


def test_dnd_set_on_the_page_shows_on_the_phones_star76_hint(pbx, service):
    _office(pbx, service, agi=False)
    client = _admin_client()
    page = client.get("/extensions/2001/")
    assert "Call features" in page.content.decode()
    assert _hint_state("*762001") in ("Idle", "Unavailable")

    data = form_post_data(page)
    data["dnd"] = "on"
    assert client.post("/extensions/2001/", data).status_code == 302

    wait_for(lambda: _hint_state("*762001") == "Busy", "the *762001 hint to show DND")
    assert "Custom:DND2001" in pbx.cli("core show hints")
    del data["dnd"]
    data.update(form_post_data(client.get("/extensions/2001/")))
    data.pop("dnd", None)
    assert client.post("/extensions/2001/", data).status_code == 302
    wait_for(lambda: _hint_state("*762001") == "Idle", "the hint to show DND off")


def test_the_dialplan_reloads_with_no_warning_at_all(pbx):
    extension_create(extension="2001", name="Ana", tech="pjsip", voicemail="default")
    extension_update(user=_user("2001"), dnd=True, cf="0301234567", followme=True, followme_list="2002-0171#")
    call_command("asterisk_sync", "--full")
    mark = pbx.log_mark()

    pbx.cli("dialplan reload")
    pbx.cli("core show uptime")

    assert pbx.problems(since=mark) == []
    shown = pbx.cli("dialplan show app-callfeatures")
    for code in ("*76", "*78", "*79", "*72", "*73", "*90", "*91", "*52", "*53", "*70", "*71", "*21"):
        assert f"'{code}' =>" in shown, code
