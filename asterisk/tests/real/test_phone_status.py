"""The AMI event listener (`manage.py ami_events`, as `make run` runs it) follows real phones:
registering, unregistering, vanishing (killed, then qualified). Judged by `device_status --json`,
the contract the README gives, beside what Asterisk itself says of the phone."""

import io
import json

import pytest
from django.core.management import call_command

from asterisk.testing.pbx import wait_for
from asterisk.tests.real.helpers import registered
from directory.users.extensions import extension_create

pytestmark = pytest.mark.asterisk


def _status(device_id: str) -> dict:
    out = io.StringIO()
    call_command("device_status", device_id, "--json", stdout=out)
    (row,) = json.loads(out.getvalue())
    return row


def _listening(pbx, service):
    extension_create(extension="2001", name="Ana Müller", tech="pjsip")
    extension_create(extension="2002", name="Bob O'Brien", tech="sip")
    call_command("asterisk_sync", "--full")
    listener = service("ami_events", "--max-delay", "2")
    wait_for(lambda: "Following AMI events" in listener.output(), "the listener to start")
    wait_for(lambda: _status("2001")["state"] == "unregistered", "the listener's first snapshot")
    return listener


@pytest.mark.parametrize("device_id, tech", [("2001", "pjsip"), ("2002", "sip")])
def test_the_listener_follows_a_phone_registering_and_unregistering(pbx, phone, service, device_id, tech):
    _listening(pbx, service)

    handset = phone(device_id)
    wait_for(lambda: registered(pbx, device_id, tech), "Asterisk to see the phone register")

    # The user agent comes a moment later: the listener asks Asterisk for the phone's details.
    row = wait_for(
        lambda: r if (r := _status(device_id))["state"] == "registered" and r["user_agent"] else None,
        "registered, with the phone's model",
    )
    assert row["tech"] == tech
    assert row["address"].startswith("127.0.0.1:")
    assert "baresip" in row["user_agent"]

    handset.stop()  # baresip unregisters on its way out
    wait_for(lambda: not registered(pbx, device_id, tech), "Asterisk to see the phone unregister")
    wait_for(lambda: _status(device_id)["state"] == "unregistered", "unregistered in device_status")


def test_a_phone_that_vanished_is_unreachable_once_qualified(pbx, phone, service):
    _listening(pbx, service)
    handset = phone("2001")
    wait_for(lambda: _status("2001")["state"] == "registered", "registered")

    handset.kill()  # unplugged: no unregister
    # Asterisk finds out at its next qualify; ask for it now instead of waiting a minute.
    wait_for(
        lambda: "Unavail" in pbx.cli("pjsip qualify 2001") + pbx.cli("pjsip show contacts like 2001"),
        "Asterisk to find the contact unreachable",
    )

    wait_for(lambda: _status("2001")["state"] == "unreachable", "unreachable in device_status")
