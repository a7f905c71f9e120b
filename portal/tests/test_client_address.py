"""Which address a login counts against, directly and behind one reverse proxy."""

import pytest
from django.test import RequestFactory

from portal.client_address import client_address


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("192.0.2.1, 203.0.113.5", "203.0.113.5"),
        ("forged,203.0.113.5:4711", "203.0.113.5"),
        ("192.0.2.1, [2001:db8::1]:4711", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("203.0.113.5, unknown", "10.0.0.2"),
        ("", "10.0.0.2"),
    ],
)
def test_behind_the_proxy_the_rightmost_forwarded_entry_counts(settings, forwarded, expected):
    settings.PBXADMIN_BEHIND_PROXY = True
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


@pytest.mark.slow
def test_directly_the_connections_address_counts(settings):
    settings.PBXADMIN_BEHIND_PROXY = False
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_address(request) == "10.0.0.2"
