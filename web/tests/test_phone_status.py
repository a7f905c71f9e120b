"""The phone state on the lists, the device page, the polling endpoint, and untrusted text from Asterisk."""

from datetime import UTC, datetime

import pytest

from asterisk.models import PhoneStatus, PhoneStatusChange
from asterisk.phone_status import MAX_USER_AGENT, Tracker
from directory.devices.services import device_create

pytestmark = pytest.mark.django_db

AT = datetime(2025, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def phones(committed, deviceanduser):
    for device_id in ("2001", "2002", "2003"):
        committed(device_create, id=device_id, tech="pjsip")
    PhoneStatus.objects.create(
        device_id="2001", state="registered", usage="in_use", address="192.0.2.10", port=5180,
        user_agent="<b>Yealink</b> T46S", rtt_ms=1.5, since=AT, updated_at=AT,
    )  # fmt: skip
    PhoneStatus.objects.create(device_id="2002", state="unreachable", since=AT, updated_at=AT)
    PhoneStatusChange.objects.create(
        device_id="2001", at=AT, state="registered", address="192.0.2.10", port=5180
    )


def test_the_devices_list_shows_each_state_in_words_with_address_and_escaped_user_agent(
    viewer_client, phones
):
    html = viewer_client.get("/devices/").content.decode()
    assert "Registered" in html and "Unreachable" in html and "Unknown" in html
    assert "192.0.2.10:5180" in html
    assert "&lt;b&gt;Yealink&lt;/b&gt; T46S" in html and "<b>Yealink" not in html
    assert "In use" in html


@pytest.mark.slow
def test_the_state_filter_shows_only_unregistered_or_unreachable_devices(viewer_client, phones):
    page = viewer_client.get("/devices/?state=down").context["page"]
    assert [d.id for d in page] == ["2002"]


@pytest.mark.slow
def test_the_users_list_marks_the_devices_each_user_is_on(viewer_client, committed, phones):
    from directory.devices.models import Device
    from directory.devices.services import device_update
    from directory.users.services import user_create

    user = committed(user_create, extension="1000", name="Ann")
    committed(device_update, device=Device.objects.get(id="2002"), default_user=user)
    html = viewer_client.get("/users/?state=down").content.decode()
    assert 'data-phone-device="2002"' in html and "Unreachable" in html


def test_the_extensions_list_shows_the_state_of_each_extension_s_phone(viewer_client, committed):
    from directory.users.extensions import extension_create

    committed(extension_create, extension="3001", name="Bo", tech="pjsip")
    PhoneStatus.objects.create(device_id="3001", state="unregistered", since=AT, updated_at=AT)
    html = viewer_client.get("/extensions/").content.decode()
    assert 'data-phone-device="3001"' in html and "Unregistered" in html
    assert viewer_client.get("/extensions/?state=down").context["page"].paginator.count == 1


@pytest.mark.slow
def test_the_device_page_shows_the_details_and_last_changes(viewer_client, phones):
    html = viewer_client.get("/devices/2001/").content.decode()
    assert "Phone model" in html and "1.5 ms" in html
    assert "Last changes" in html and "2025-11-26 10:00:00 · Registered from 192.0.2.10:5180" in html


def test_the_polling_endpoint_gives_the_states_asked_for_and_ignores_what_is_not_an_id(viewer_client, phones):
    response = viewer_client.get("/phone-status/", {"ids": "2001,2003,../x,2001"})
    assert response["Cache-Control"] == "no-store"
    devices = {d["id"]: d for d in response.json()["devices"]}
    assert set(devices) == {"2001", "2003"}
    assert devices["2001"]["state_label"] == "Registered" and devices["2001"]["address"] == "192.0.2.10:5180"
    assert devices["2003"]["state"] == "unknown"


def test_the_polling_endpoint_needs_a_login(client, phones):
    response = client.get("/phone-status/", {"ids": "2001"})
    assert response.status_code in (302, 403)
    assert "devices" not in response.content.decode()


def test_text_from_asterisk_loses_control_characters_and_is_cut_to_length():
    tracker = Tracker()
    tracker.apply(
        {
            "event": "ContactList", "endpoint": "2001", "viaaddr": "10.0.0.1\r\nX", "viaport": "5060",
            "useragent": "Evil\x00\x1b[31m" + "A" * 500, "status": "Reachable", "roundtripusec": "1000",
        }
    )  # fmt: skip
    phone = tracker.phones["2001"]
    assert phone.address == "10.0.0.1X"
    assert phone.user_agent.startswith("Evil[31mAAA") and len(phone.user_agent) == MAX_USER_AGENT


def test_names_that_are_not_device_ids_are_ignored():
    tracker = Tracker()
    for peer in ("SIP/trunk-provider", "PJSIP/../2001", "Custom:DND2001", "SIP/"):
        tracker.apply(
            {"event": "PeerStatus", "peer": peer, "peerstatus": "Registered", "address": "1.2.3.4:5"}
        )
        tracker.apply({"event": "DeviceStateChange", "device": peer, "state": "INUSE"})
    assert tracker.phones == {}
