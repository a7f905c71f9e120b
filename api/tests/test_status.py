"""Phone status and the link to Asterisk over the API: stale states are data, never passed off as current."""

from datetime import UTC, datetime

import pytest

from asterisk.models import ListenerState, ListenerStatus, PhoneStatus
from asterisk.selectors import listener_link

pytestmark = pytest.mark.django_db

AT = datetime(2025, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def registered(admin_api):
    response = admin_api.post(
        "/api/v1/extensions/", {"extension": "2001", "name": "Ann", "tech": "pjsip"}, format="json"
    )
    assert response.status_code == 201
    PhoneStatus.objects.create(
        device_id="2001", state="registered", usage="idle", address="192.0.2.10", port=5180,
        user_agent="Yealink T46S", rtt_ms=1.5, since=AT, updated_at=AT,
    )  # fmt: skip


def test_while_the_listener_is_connected_the_phone_status_is_current(viewer_api, registered):
    ListenerStatus.record(ListenerState.CONNECTED)
    body = viewer_api.get("/api/v1/phone-status/2001/").json()
    assert (body["state"], body["stale"], body["last_known_state"]) == ("registered", False, "registered")
    assert body["since"] == body["last_known_since"] == AT.isoformat()
    assert viewer_api.get("/api/v1/extensions/2001/").json()["state"] == "registered"


def test_while_the_link_is_down_every_answer_says_unknown_since_then_and_keeps_the_last_known(
    viewer_api, registered
):
    ListenerStatus.record(ListenerState.CONNECTED)
    ListenerStatus.record(ListenerState.DOWN, "Asterisk closed the connection")
    down_since = listener_link().since.isoformat()
    for body in (
        viewer_api.get("/api/v1/phone-status/2001/").json(),
        viewer_api.get("/api/v1/phone-status/").json()["results"][0],
    ):
        assert (body["state"], body["stale"], body["since"]) == ("unknown", True, down_since)
        assert (body["last_known_state"], body["last_known_since"]) == ("registered", AT.isoformat())
        assert (body["address"], body["user_agent"]) == ("192.0.2.10:5180", "Yealink T46S")
    assert viewer_api.get("/api/v1/extensions/2001/").json()["state"] == "unknown"
    assert viewer_api.get("/api/v1/devices/2001/").json()["state"] == "unknown"
    sync = viewer_api.get("/api/v1/sync/").json()
    assert sync["listener"] == {
        "state": "down",
        "current": False,
        "since": down_since,
        "error": "Asterisk closed the connection",
        "text": f"status unknown since {listener_link().since_text}: the link to Asterisk is down",
    }
    assert sync["phones"].startswith("Phone status unknown since ")
