"""Trunks' registrations from Asterisk's events and lists (asterisk/trunk_status.py)."""

import pytest

from asterisk.models import RegistrationState, TrunkRegistration
from asterisk.trunk_status import NOT_REGISTERING, RegistrationTracker, save, trunk_registration_states
from directory.connectivity.services import trunk_create

pytestmark = pytest.mark.django_db


def _trunk(tech: str, **fields):
    values = {"name": f"carrier-{tech}", "tech": tech, "host": "SIP.example.net", "port": 5099}
    values |= {"username": "office", "secret": "Abc12345", "register": True, **fields}
    return trunk_create(**values)


def _apply(*events) -> None:
    tracker = RegistrationTracker()
    for event in events:
        tracker.apply({k.lower(): v for k, v in event.items()})
    save(tracker.take())


@pytest.mark.parametrize(
    ("tech", "event"),
    [
        # PJSIP: Username is the client URI, Domain the server URI.
        (
            "pjsip",
            {
                "Event": "Registry",
                "ChannelType": "pjsip",
                "Username": "sip:office@sip.example.net:5099",
                "Domain": "sip:sip.example.net:5099",
                "Status": "Registered",
            },
        ),
        # PJSIPShowRegistrationsOutbound's items.
        (
            "pjsip",
            {
                "Event": "OutboundRegistrationDetail",
                "ObjectName": "carrier-pjsip",
                "ServerUri": "sip:sip.example.net:5099",
                "ClientUri": "sip:office@sip.example.net:5099",
                "Status": "Registered",
            },
        ),
        # chan_sip: the host without its port.
        (
            "sip",
            {
                "Event": "Registry",
                "ChannelType": "SIP",
                "Username": "office",
                "Domain": "sip.example.net",
                "Status": "Registered",
            },
        ),
        # SIPshowregistry's items.
        (
            "sip",
            {
                "Event": "RegistryEntry",
                "Host": "sip.example.net",
                "Port": "5099",
                "Username": "office",
                "State": "Registered",
            },
        ),
        # IAX2: Domain is host:port, no account.
        (
            "iax2",
            {
                "Event": "Registry",
                "ChannelType": "IAX2",
                "Domain": "sip.example.net:5099",
                "Status": "Registered",
            },
        ),
    ],
)
def test_each_technologys_registration_event_marks_its_trunk_registered(tech, event):
    trunk = _trunk(tech)
    assert trunk_registration_states()[trunk.pk].state == RegistrationState.UNKNOWN
    _apply(event)
    state = trunk_registration_states()[trunk.pk]
    assert (state.state, state.label) == (RegistrationState.REGISTERED, "Registered")
    assert state.since is not None


def test_a_refusal_and_a_timeout_are_told_apart():
    trunk = _trunk("sip")
    _apply(
        {
            "Event": "Registry",
            "ChannelType": "SIP",
            "Username": "office",
            "Domain": "sip.example.net",
            "Status": "Rejected",
        }
    )
    assert trunk_registration_states()[trunk.pk].state == RegistrationState.REJECTED
    _apply(
        {
            "Event": "Registry",
            "ChannelType": "SIP",
            "Username": "office",
            "Domain": "sip.example.net",
            "Status": "Timeout",
        }
    )
    assert trunk_registration_states()[trunk.pk].state == RegistrationState.UNREACHABLE


def test_another_account_or_host_is_not_this_trunks():
    trunk = _trunk("sip")
    _apply(
        {
            "Event": "Registry",
            "ChannelType": "SIP",
            "Username": "other",
            "Domain": "sip.example.net",
            "Status": "Registered",
        }
    )
    _apply(
        {
            "Event": "Registry",
            "ChannelType": "SIP",
            "Username": "office",
            "Domain": "evil.example",
            "Status": "Registered",
        }
    )
    assert trunk_registration_states()[trunk.pk].state == RegistrationState.UNKNOWN


def test_a_trunk_that_does_not_register_says_so():
    trunk = trunk_create(name="ipauth", tech="pjsip", host="10.0.0.5")
    assert trunk_registration_states()[trunk.pk] == NOT_REGISTERING


def test_untrusted_text_is_cleaned_and_cut():
    _apply(
        {
            "Event": "Registry",
            "ChannelType": "SIP",
            "Username": "office\r\nAction: x",
            "Domain": "sip.example.net",
            "Status": "Registered\x00" + "x" * 100,
        }
    )
    row = TrunkRegistration.objects.get()
    assert "\n" not in row.username and "\x00" not in row.detail and len(row.detail) <= 40
