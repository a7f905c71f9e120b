"""Phone status and the sync over the API (api/views/status.py): stale states are data, never passed off
as current; the sync's state is what a monitor reads, and Sync now asks for a run."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from api.tests.helpers import make_extension
from asterisk.models import ListenerState, ListenerStatus, PhoneState, PhoneStatus, SyncStatus
from asterisk.selectors import listener_link
from asterisk.sync import run_reloads, run_sync

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


def test_phone_status_is_read_only_and_per_device(admin_api, viewer_api):
    make_extension(admin_api)
    PhoneStatus.objects.create(
        device_id="1000",
        state=PhoneState.REGISTERED,
        address="192.0.2.7",
        port=5060,
        updated_at="2026-01-01T00:00Z",
    )
    status = viewer_api.get("/api/v1/phone-status/1000/").json()
    assert status["state"] == "registered" and status["address"] == "192.0.2.7:5060"
    assert viewer_api.get("/api/v1/phone-status/?state=registered").json()["count"] == 1
    assert admin_api.post("/api/v1/phone-status/1000/", {}).status_code == 405


def test_sync_status_and_sync_now(admin_api, viewer_api, worker_away):
    body = viewer_api.get("/api/v1/sync/").json()
    assert body["state"] == "never" and body["last_success_at"] is None and body["syncing"] is False
    response = admin_api.post("/api/v1/sync/")
    assert response.status_code == 202 and SyncStatus.get().queued and response.json()["syncing"] is True


@pytest.mark.slow
def test_the_sync_status_is_data_a_monitor_can_read(admin_api, asterisk, settings):
    make_extension(admin_api)  # manual sync: waits in the outbox
    pending = admin_api.get("/api/v1/sync/").json()["pending"]
    assert pending["extensions"] == 1 and pending["total"] >= 1
    run_sync()
    assert admin_api.get("/api/v1/sync/").json()["pending"]["reloads"] > 0, (
        "the reloads are a run of their own"
    )
    run_reloads()
    body = admin_api.get("/api/v1/sync/").json()
    assert body["state"] == "connected" and body["pending"]["total"] == 0
    assert body["last_actions"] > 0 and body["error"] is None
    assert datetime.fromisoformat(body["last_success_at"]) <= timezone.now()
