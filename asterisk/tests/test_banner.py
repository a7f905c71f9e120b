"""The banner speaks for the link to Asterisk: its states come from real runs against the AMI test server."""

import contextlib
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from asterisk.ami import AmiError
from asterisk.models import ListenerState, ListenerStatus, SyncStatus
from asterisk.selectors import listener_link
from asterisk.sync import run_requested
from directory.devices.services import device_create, device_delete
from directory.users.extensions import extension_create, extension_delete
from directory.users.models import PbxUser
from directory.users.services import user_create

pytestmark = pytest.mark.django_db


def status(client) -> dict:
    response = client.get("/sync/status/")
    assert response.status_code == 200
    return response.json()


def try_sync() -> None:
    with contextlib.suppress(AmiError):
        run_requested()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_given_a_fresh_install_then_it_says_never_connected_and_where_it_tries(
    administrator_client, settings
):
    settings.AMI_HOST, settings.AMI_PORT, settings.AMI_USERNAME = "pbx.example.org", 5038, "portal"
    state = status(administrator_client)
    assert state["state"] == "never"
    assert "Not connected to Asterisk yet" in state["headline"]
    assert "pbx.example.org:5038" in state["detail"]
    hints = " ".join(state["hints"])
    assert "manager.conf" in hints and "[portal]" in hints and "AMI_SECRET" in hints
    html = administrator_client.get("/extensions/").content.decode()
    assert "Not connected to Asterisk yet" in html and "AMI_SECRET" in html
    assert "up to date" not in html


def test_given_asterisk_refuses_the_connection_then_it_says_unreachable_with_what_to_check(
    administrator_client, settings
):
    settings.AMI_HOST, settings.AMI_PORT, settings.AMI_TIMEOUT = "127.0.0.1", closed_port(), 2
    settings.AMI_SECRET = "configured"
    try_sync()
    assert SyncStatus.get().last_error_kind == "unreachable"
    state = status(administrator_client)
    assert state["state"] == "unreachable"
    assert state["headline"] == "Asterisk unreachable"
    assert f"127.0.0.1:{settings.AMI_PORT}" in state["detail"]
    hints = " ".join(state["hints"])
    assert "Asterisk running" in hints and "enabled" in hints and "bindaddr" in hints
    # The raw error is there, but never alone: the plain words come first.
    html = administrator_client.get("/extensions/").content.decode()
    assert html.index("Asterisk unreachable") < html.index("Connect call failed")


def test_given_asterisk_refuses_the_login_then_it_names_the_account_to_check(
    administrator_client, asterisk, settings
):
    asterisk.auth_fail_close_delay = 0
    settings.AMI_SECRET = "not-the-secret"
    try_sync()
    state = status(administrator_client)
    assert state["state"] == "login"
    assert state["headline"] == "Asterisk refused the login"
    hints = " ".join(state["hints"])
    assert f"[{asterisk.username}]" in hints and "AMI_USERNAME" in hints and "AMI_SECRET" in hints
    assert "not-the-secret" not in administrator_client.get("/extensions/").content.decode()


def test_given_a_sync_reached_asterisk_then_it_says_connected_and_up_to_date(administrator_client, asterisk):
    try_sync()
    state = status(administrator_client)
    assert state["state"] == "connected"
    assert state["headline"] == "Connected to Asterisk"
    assert state["pending"] == "up to date"
    assert asterisk.count("Ping") == 1, "with nothing to send, the run still checks the link"


def test_given_asterisk_comes_back_then_the_error_gives_way_to_connected(administrator_client, asterisk):
    asterisk.stop()
    try_sync()
    assert status(administrator_client)["state"] == "unreachable"
    asterisk.start()
    try_sync()
    assert status(administrator_client)["state"] == "connected"


@pytest.mark.slow
def test_pending_work_counts_extensions_not_keys_and_does_not_rise_on_a_delete(
    administrator_client, committed
):
    for number in ("1000", "1001", "1002"):
        committed(extension_create, extension=number, name=f"Person {number}", tech="pjsip")
    first = status(administrator_client)["pending"]
    assert first.startswith("3 extensions")
    committed(extension_delete, user=PbxUser.objects.get(pk="1000"))
    assert status(administrator_client)["pending"].startswith("3 extensions")


def test_in_deviceanduser_mode_pending_work_is_users_and_devices(
    administrator_client, committed, deviceanduser
):
    committed(user_create, extension="2000", name="Ann")
    device = committed(device_create, id="3000", tech="sip")
    committed(device_delete, device=device)
    pending = status(administrator_client)["pending"]
    assert pending.startswith("1 user, 1 device and "), pending
    assert "waiting" in pending


def test_the_status_endpoint_needs_a_role(client, viewer_client):
    assert client.get("/sync/status/").status_code == 302  # to the login page
    assert viewer_client.get("/sync/status/").status_code == 200


def test_sync_now_answers_with_the_outcome_when_asked_for_json(
    administrator_client, asterisk, committed, worker_away
):
    committed(extension_create, extension="1000", name="A", tech="sip")
    worker_away.come_back()
    response = administrator_client.post("/sync/", HTTP_ACCEPT="application/json")
    state = response.json()
    assert state["state"] == "connected" and not state["syncing"]
    assert state["outcome"].startswith("Sync finished:") and "sent to Asterisk" in state["outcome"]
    assert asterisk.astdb("DEVICE")["DEVICE/1000/dial"] == "SIP/1000"


def test_sync_now_says_what_went_wrong_when_asterisk_is_down(administrator_client, settings):
    settings.AMI_HOST, settings.AMI_PORT, settings.AMI_TIMEOUT = "127.0.0.1", closed_port(), 2
    settings.AMI_SECRET = "configured"
    state = administrator_client.post("/sync/", HTTP_ACCEPT="application/json").json()
    assert state["outcome"].startswith("Sync failed: Asterisk unreachable")


def test_sync_now_counts_what_the_administrator_changed_not_the_keys_it_sent(
    administrator_client, asterisk, committed, worker_away
):
    for number in ("1000", "1001"):
        committed(extension_create, extension=number, name=f"Person {number}", tech="sip")
    worker_away.come_back()
    outcome = administrator_client.post("/sync/", HTTP_ACCEPT="application/json").json()["outcome"]
    # Two extensions make some 40 AstDB puts; the sentence speaks of the extensions and files.
    assert SyncStatus.get().last_actions > 20
    assert outcome == "Sync finished: 2 extensions and 3 config files sent to Asterisk; up to date.", outcome


def test_in_deviceanduser_mode_sync_now_counts_users_and_devices(
    administrator_client, asterisk, committed, deviceanduser, worker_away
):
    committed(user_create, extension="2000", name="Ann")
    committed(device_create, id="3000", tech="sip")
    committed(device_create, id="3001", tech="sip")
    worker_away.come_back()
    outcome = administrator_client.post("/sync/", HTTP_ACCEPT="application/json").json()["outcome"]
    assert outcome.startswith("Sync finished: 1 user, 2 devices and 3 config files sent"), outcome


def test_a_sync_with_nothing_waiting_says_asterisk_answered(administrator_client, asterisk):
    outcome = administrator_client.post("/sync/", HTTP_ACCEPT="application/json").json()["outcome"]
    assert outcome == "Sync finished: Asterisk answered; up to date."


# The AMI event listener is the second witness: connected all the time, it knows first.


def test_given_asterisk_stops_after_a_sync_then_the_listener_s_word_wins_within_its_next_write(
    administrator_client, asterisk
):
    try_sync()
    ListenerStatus.record(ListenerState.CONNECTED)
    assert status(administrator_client)["pending"] == "up to date"
    ListenerStatus.record(ListenerState.DOWN, "Asterisk closed the connection")
    since = listener_link().since_text
    state = status(administrator_client)
    assert (state["state"], state["headline"], state["tone"]) == (
        "unreachable",
        "Asterisk unreachable",
        "problem",
    )
    assert state["phones"] == f"Phone status unknown since {since}: the link to Asterisk is down"
    assert state["listener"]["state"] == "down" and state["listener"]["current"] is False
    assert "Asterisk closed the connection" in state["error"]
    html = administrator_client.get("/extensions/").content.decode()
    assert "Connected to Asterisk" not in html and "up to date" not in html
    assert f"Phone status unknown since {since}: the link to Asterisk is down" in html


def test_given_the_listener_is_back_after_a_failed_sync_then_it_says_connected_again(
    administrator_client, asterisk
):
    asterisk.stop()
    try_sync()
    ListenerStatus.record(ListenerState.DOWN, "cannot connect")
    assert status(administrator_client)["state"] == "unreachable"
    ListenerStatus.record(ListenerState.CONNECTED)
    state = status(administrator_client)
    assert (state["state"], state["phones"], state["listener"]["current"]) == ("connected", "", True)


def test_given_a_silent_listener_then_connected_is_only_a_warning_naming_the_listener(
    administrator_client, asterisk
):
    try_sync()
    ListenerStatus.record(ListenerState.CONNECTED)
    last_beat = timezone.now() - ListenerStatus.SILENT_AFTER - timedelta(seconds=1)
    ListenerStatus.objects.update(heartbeat_at=last_beat)
    state = status(administrator_client)
    assert (state["state"], state["tone"], state["listener"]["state"]) == ("connected", "warning", "silent")
    assert state["phones"].endswith(": the AMI event listener is not running")
    assert state["listener"]["since"] == last_beat.isoformat()


def test_the_listener_s_since_moves_only_when_the_link_goes_up_or_down(db):
    ListenerStatus.record(ListenerState.DOWN, "refused")
    first = ListenerStatus.objects.get().since
    ListenerStatus.record(ListenerState.LOGIN, "login refused")
    ListenerStatus.record(ListenerState.STOPPED)
    assert ListenerStatus.objects.get().since == first
    ListenerStatus.record(ListenerState.CONNECTED)
    up = ListenerStatus.objects.get().since
    assert up > first
    ListenerStatus.record(ListenerState.CONNECTED)
    assert ListenerStatus.objects.get().since == up
    assert listener_link().text == ""


def test_before_any_listener_ran_the_phones_are_not_called_stale(administrator_client):
    state = status(administrator_client)
    assert state["phones"] == "" and state["listener"]["state"] == "never"
