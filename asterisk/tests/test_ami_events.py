"""The AMI event listener over TCP against the test server, driven by the recording of a real Asterisk."""

import logging

import pytest

from asterisk.ami import AmiConfig
from asterisk.models import PhoneStatus, PhoneStatusChange
from asterisk.selectors import listener_link
from asterisk.testing.listener import eventually, running_listener
from asterisk.testing.phones import BARESIP, FakePhone, recorded_phones, recorded_steps
from directory.devices.models import Device, Tech

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def devices(db):
    for device_id, tech in (("2001", Tech.PJSIP), ("2002", Tech.SIP), ("2003", Tech.PJSIP)):
        Device.objects.create(id=device_id, tech=tech, dial=f"{tech.upper()}/{device_id}")


@pytest.fixture
def config(asterisk):
    asterisk.phones = recorded_phones()
    return AmiConfig("127.0.0.1", asterisk.port, asterisk.username, asterisk.secret, 2)


def _state(device_id):
    row = PhoneStatus.objects.filter(device_id=device_id).first()
    return row and row.state


def _states(*device_ids):
    return {d: _state(d) for d in device_ids}


def _listening(asterisk, listener):
    eventually(listener.connected.is_set, what="the listener to connect")
    eventually(lambda: asterisk.listeners() == 1, what="one event session")


def test_given_no_phone_registered_the_snapshot_says_every_device_is_unregistered(asterisk, config, devices):
    with running_listener(config, flush_interval=0.05):
        eventually(
            lambda: _states("2001", "2002", "2003") == dict.fromkeys(("2001", "2002", "2003"), "unregistered")
        )
    row = PhoneStatus.objects.get(device_id="2001")
    assert (row.usage, row.address, row.user_agent, row.rtt_ms) == ("unavailable", "", "", None)
    assert {"PJSIPShowEndpoints", "PJSIPShowContacts", "SIPpeers", "IAXpeerlist", "DeviceStateList"} <= {
        a["action"] for a in asterisk.actions
    }


def test_given_registered_phones_the_snapshot_has_their_address_agent_and_round_trip(
    asterisk, config, devices
):
    asterisk.phones["2001"] = FakePhone(
        "2001", "pjsip", "registered", "192.0.2.10", 5180, BARESIP, 283, "NOT_INUSE"
    )
    asterisk.phones["2002"] = FakePhone(
        "2002", "sip", "registered", "192.0.2.11", 5182, "Yealink T46S", 1000, "INUSE"
    )
    with running_listener(config, flush_interval=0.05):
        eventually(lambda: PhoneStatus.objects.filter(device_id="2002", user_agent="Yealink T46S").exists())
    pjsip, sip, idle = (PhoneStatus.objects.get(device_id=d) for d in ("2001", "2002", "2003"))
    assert (pjsip.state, pjsip.usage, pjsip.address, pjsip.port) == ("registered", "idle", "192.0.2.10", 5180)
    assert (pjsip.user_agent, pjsip.rtt_ms) == (BARESIP, 0.283)
    assert (sip.state, sip.usage, sip.address, sip.port, sip.rtt_ms) == (
        "registered",
        "in_use",
        "192.0.2.11",
        5182,
        1,
    )
    assert idle.state == "unregistered"


@pytest.mark.slow
def test_the_recorded_registrations_call_unregister_and_vanishing_phone_are_followed(
    asterisk, config, devices
):
    with running_listener(config, flush_interval=0.05) as listener:
        _listening(asterisk, listener)
        asterisk.play("PHONES")
        eventually(lambda: _states("2001", "2002") == {"2001": "registered", "2002": "registered"})
        # The user agents come from the details the listener asks for after a registration.
        eventually(lambda: PhoneStatus.objects.filter(user_agent=BARESIP).count() == 2, what="user agents")
        pjsip = PhoneStatus.objects.get(device_id="2001")
        assert (pjsip.address, pjsip.port, pjsip.rtt_ms, pjsip.usage) == ("127.0.0.1", 5180, 0.283, "idle")
        assert PhoneStatus.objects.get(device_id="2002").address == "127.0.0.1"

        asterisk.play("CALL")
        asterisk.play("PHONE")
        eventually(lambda: _state("2002") == "unregistered")
        sip = PhoneStatus.objects.get(device_id="2002")
        assert (sip.address, sip.user_agent, sip.usage) == ("", "", "unavailable")

        asterisk.play("pjsip")
        eventually(lambda: _state("2001") == "unreachable")
    assert PhoneStatus.objects.get(device_id="2001").usage == "unavailable"
    history = list(
        PhoneStatusChange.objects.filter(device_id="2002").order_by("id").values_list("state", flat=True)
    )
    assert history[-2:] == ["registered", "unregistered"]


@pytest.mark.slow
def test_a_call_marks_the_phones_in_use_then_idle(asterisk, config, devices):
    call = recorded_steps()["CALL"]
    answered = next(i for i, b in enumerate(call) if "Device: SIP/2002\r\nState: INUSE" in b) + 1
    with running_listener(config, flush_interval=0.05) as listener:
        _listening(asterisk, listener)
        asterisk.play("PHONES")
        eventually(lambda: _state("2002") == "registered")
        asterisk.emit(call[:answered])
        eventually(lambda: PhoneStatus.objects.filter(usage="in_use").count() == 2, what="both phones in use")
        asterisk.emit(call[answered:])
        eventually(lambda: PhoneStatus.objects.filter(usage="idle").count() == 2, what="both phones idle")


@pytest.mark.slow
def test_after_the_server_drops_the_connection_it_reconnects_and_takes_a_new_snapshot(
    asterisk, config, devices
):
    with running_listener(config, flush_interval=0.05, first_delay=0.1) as listener:
        _listening(asterisk, listener)
        eventually(lambda: _state("2001") == "unregistered")
        asterisk.stop()
        # While Asterisk is down, a phone registers; the next snapshot must tell.
        asterisk.phones["2001"] = FakePhone(
            "2001", "pjsip", "registered", "192.0.2.20", 5060, "Polycom", 5000, "NOT_INUSE"
        )
        asterisk.start()
        eventually(lambda: _state("2001") == "registered", what="the state after reconnecting")
        assert asterisk.connections >= 2
        assert PhoneStatus.objects.get(device_id="2001").user_agent == "Polycom"


@pytest.mark.slow
def test_a_refused_login_is_logged_clearly_and_retried_until_accepted(asterisk, config, devices, caplog):
    asterisk.refuse_logins = True
    asterisk.auth_fail_close_delay = 0.01
    with (
        caplog.at_level(logging.ERROR, logger="asterisk.listener"),
        running_listener(config, first_delay=0.05, max_delay=0.2) as listener,
    ):
        eventually(lambda: asterisk.failed_logins >= 3, what="three login attempts")
        asterisk.refuse_logins = False
        eventually(listener.connected.is_set, what="the login accepted once allowed")
    assert "refused the login of 'pbxadmin'" in caplog.text
    assert "AMI_SECRET" in caplog.text
    assert not PhoneStatus.objects.filter(state="registered").exists()


@pytest.mark.slow
def test_a_burst_is_written_once_per_device(asterisk, config, devices):
    flips = [
        f"Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: PJSIP/2003\r\nState: {state}\r\n\r\n"
        for state in ["RINGING", "INUSE", "NOT_INUSE"] * 300
    ]
    with running_listener(config, flush_interval=0.5) as listener:
        _listening(asterisk, listener)
        eventually(lambda: listener.saved >= 3, what="the snapshot saved")
        saved = listener.saved
        asterisk.emit(flips)
        eventually(lambda: PhoneStatus.objects.get(device_id="2003").usage == "idle")
        assert listener.saved - saved <= 2


def test_phones_the_portal_does_not_know_are_kept_apart_and_a_deleted_device_loses_its_status(
    asterisk, config, devices
):
    asterisk.phones["9999"] = FakePhone("9999", "pjsip")
    with running_listener(config, flush_interval=0.05):
        eventually(lambda: _state("9999") == "unregistered" and _state("2001") == "unregistered")
    assert not Device.objects.filter(id="9999").exists()
    Device.objects.get(id="2001").delete()
    assert not PhoneStatus.objects.filter(device_id="2001").exists()


def _marks(client, *device_ids) -> dict:
    response = client.get("/phone-status/", {"ids": ",".join(device_ids)})
    return {"link": response.json()["link"], **{d["id"]: d for d in response.json()["devices"]}}


@pytest.mark.slow
def test_when_asterisk_stops_the_marks_say_unknown_since_then_within_seconds_and_are_current_again_after(
    asterisk, config, devices, viewer_client
):
    asterisk.phones["2001"] = FakePhone(
        "2001", "pjsip", "registered", "192.0.2.10", 5180, "Yealink T46S", 1500, "NOT_INUSE"
    )
    with running_listener(config, flush_interval=0.05, first_delay=0.1, max_delay=0.2) as listener:
        _listening(asterisk, listener)
        eventually(lambda: listener_link().current and _state("2001") == "registered", what="a current link")
        # The link's state and the phones' freshness may land in two of the listener's writes
        # (seen once in CI): the mark is current within them.
        mark = eventually(
            lambda: (m := _marks(viewer_client, "2001")["2001"])["state"] == "registered" and m,
            what="2001's mark current",
        )
        assert (mark["state"], mark["state_label"], mark["stale"]) == ("registered", "Registered", False)

        asterisk.stop()
        # The listener notices the dropped connection at once and says so with its next write.
        link = eventually(lambda: (lnk := listener_link()).state == "down" and lnk, what="the link down")
        assert not link.current and "Asterisk closed the connection" in link.error
        marks = _marks(viewer_client, "2001", "2003")
        assert marks["link"]["current"] is False
        assert (
            marks["link"]["text"] == f"status unknown since {link.since_text}: the link to Asterisk is down"
        )
        mark = marks["2001"]
        assert (mark["state"], mark["stale"], mark["last_known_state"]) == ("unknown", True, "registered")
        assert mark["state_label"] == f"Unknown since {link.since_text}"
        assert mark["detail"] == "last known: Registered · 192.0.2.10:5180 · Yealink T46S"
        assert (marks["2003"]["state"], marks["2003"]["detail"]) == ("unknown", "last known: Unregistered")
        # The database keeps what Asterisk said last: the pages only tell it as stale.
        assert _state("2001") == "registered"
        since = link.since

        # Retries while it is down move nothing: still unknown since the same moment.
        attempts = listener.attempts
        eventually(lambda: listener.attempts >= attempts + 2, what="two more attempts")
        assert listener_link().since == since

        asterisk.start()
        eventually(lambda: listener_link().current, what="the link back")
        # Current again within the listener's next writes (the link's state and the phones'
        # freshness may land in two rounds: seen once on PostgreSQL under load).
        mark = eventually(
            lambda: (m := _marks(viewer_client, "2001")["2001"])["state"] == "registered" and m,
            what="2001's mark current again",
        )
        assert (mark["state"], mark["stale"], mark["state_label"]) == ("registered", False, "Registered")
    assert listener_link().state == "stopped" and not listener_link().current


def test_a_refused_login_leaves_the_marks_stale_with_the_reason(asterisk, config, devices):
    asterisk.refuse_logins = True
    asterisk.auth_fail_close_delay = 0.01
    with running_listener(config, flush_interval=0.05, first_delay=0.05, max_delay=0.2):
        link = eventually(lambda: (lnk := listener_link()).state == "login" and lnk, what="the refusal")
    assert link.text.endswith(": Asterisk refused the event listener's login")
    assert "AMI_SECRET" in link.error
