"""`manage.py device_status`: one line per device, or JSON with the documented keys."""

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from asterisk.models import PhoneStatus
from directory.devices.models import Device, Tech

pytestmark = pytest.mark.django_db

SINCE = datetime(2025, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture
def phones(db):
    for device_id, tech in (("2001", Tech.PJSIP), ("2002", Tech.SIP), ("10", Tech.IAX2)):
        Device.objects.create(id=device_id, tech=tech, dial=f"{tech.upper()}/{device_id}")
    PhoneStatus.objects.create(
        device_id="2001", state="registered", usage="idle", address="192.0.2.10", port=5180,
        user_agent="baresip v1.0.0 (x86_64/linux)", rtt_ms=0.283, since=SINCE, updated_at=SINCE,
    )  # fmt: skip
    PhoneStatus.objects.create(device_id="2002", state="unreachable", since=SINCE, updated_at=SINCE)


def _run(*args) -> str:
    out = StringIO()
    call_command("device_status", *args, stdout=out)
    return out.getvalue()


def test_json_gives_every_device_in_number_order_with_exactly_the_documented_keys(phones):
    objects = json.loads(_run("--json"))
    assert [o["id"] for o in objects] == ["10", "2001", "2002"]
    assert all(set(o) == {"id", "tech", "state", "address", "user_agent", "rtt_ms", "since"} for o in objects)
    assert objects[1] == {
        "id": "2001",
        "tech": "pjsip",
        "state": "registered",
        "address": "192.0.2.10:5180",
        "user_agent": "baresip v1.0.0 (x86_64/linux)",
        "rtt_ms": 0.283,
        "since": "2025-11-26T10:00:00+00:00",
    }


def test_a_device_asterisk_said_nothing_about_is_unknown(phones):
    (only,) = json.loads(_run("10", "--json"))
    assert only == {
        "id": "10", "tech": "iax2", "state": "unknown", "address": None, "user_agent": None, "rtt_ms": None,
        "since": None,
    }  # fmt: skip


def test_the_text_form_prints_one_line_per_device_asked_for(phones):
    lines = _run("2002", "2001").splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["2001", "pjsip", "registered"],
        ["2002", "sip", "unreachable"],
    ]
    assert "192.0.2.10:5180" in lines[0].split()
    assert "0.283 ms" in lines[0]


def test_it_refuses_a_device_that_does_not_exist(phones):
    with pytest.raises(CommandError, match="no such device: 999"):
        _run("2001", "999")


def test_while_the_listener_is_down_the_states_are_unknown_and_the_command_says_why(phones):
    from asterisk.models import ListenerState, ListenerStatus

    ListenerStatus.record(ListenerState.DOWN, "Asterisk closed the connection")
    objects = {o["id"]: o for o in json.loads(_run("--json"))}
    assert objects["2001"]["state"] == "unknown" and objects["2001"]["address"] == "192.0.2.10:5180"
    first = _run().splitlines()[0]
    assert first.startswith("Phone status unknown since ") and "the link to Asterisk is down" in first


def test_with_several_servers_each_phone_names_its_server(phones):
    from directory.servers.models import Server

    far = Server.objects.create(name="far", ami_host="192.0.2.7")
    Device.objects.filter(pk="2002").update(server=far)
    objects = {o["id"]: o["server"] for o in json.loads(_run("--json"))}
    assert objects == {"10": "main", "2001": "main", "2002": "far"}
    lines = {line.split()[0]: line.split()[1] for line in _run().splitlines() if line[:1].isdigit()}
    assert lines == {"10": "main", "2001": "main", "2002": "far"}
