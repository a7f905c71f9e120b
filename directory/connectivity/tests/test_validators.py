"""What a trunk or a route may hold (directory/connectivity/validators.py): FreePBX's dial-pattern
syntax, and nothing that could start a new dialplan line, end an application's arguments or
start a comment, in any position."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from directory.connectivity import validators as v

# What would change a dialplan line or a config line: a new line, an argument separator, the end
# of the arguments, a comment, an expression, a second channel, another technology or host.
DANGEROUS = ["\n", "\r", "\x00", ",", ";", ")", "(", "$", "{", "}", "&", "/", "@", "[x]\n", "\u2028", '"']

CHECKS = {
    "trunk_name": (v.trunk_name, "carrier"),
    "host": (v.host, "sip.example.net"),
    "trunk_username": (v.trunk_username, "office"),
    "trunk_secret": (v.trunk_secret, "abcDEF123"),
    "dial_pattern": (v.dial_pattern, "NXXNXXXXXX"),
    "dial_prefix": (v.dial_prefix, "9"),
    "dial_prepend": (v.dial_prepend, "1"),
    "dialplan_callerid": (v.dialplan_callerid, "Acme Sales <5551000>"),
    "cid_name_prefix": (v.cid_name_prefix, "Sales: "),
    "did": (v.did, "5551000"),
    "route_pin": (v.route_pin, "1234"),
    "route_name": (v.route_name, "Local calls"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", CHECKS)
@pytest.mark.parametrize("bad", DANGEROUS)
def test_every_dangerous_piece_in_every_position_is_refused(name, bad):
    check, good = CHECKS[name]
    check(good)
    for at in range(len(good) + 1):
        with pytest.raises(ValidationError):
            check(good[:at] + bad + good[at:])


@pytest.mark.parametrize("name", CHECKS)
@given(text=st.text())
def test_nothing_accepted_holds_a_dangerous_character(name, text):
    check, _good = CHECKS[name]
    try:
        check(text)
    except ValidationError:
        return
    assert not any(c in text for c in "\n\r\x00,;()$&/@{}\\")


@pytest.mark.parametrize(
    "pattern", ["NXXNXXXXXX", "1[2-9]XX.", "911", "+44.", "*#", "[1-5]X", "[0-9]", "X.", "011X."]
)
def test_freepbx_dial_patterns_are_taken(pattern):
    v.dial_pattern(pattern)


@pytest.mark.parametrize("pattern", ["X.X", "[2-9", "2-9]", "x", "[]", ".", "!", "N..", "[a-z]"])
def test_what_is_not_a_dial_pattern_is_refused(pattern):
    if pattern == ".":
        # A lone `.` is a pattern of anything: taken by the syntax, refused by the services
        # (a route must say which numbers it takes).
        v.dial_pattern(pattern)
        return
    with pytest.raises(ValidationError):
        v.dial_pattern(pattern)


def test_a_prefix_has_a_fixed_length():
    with pytest.raises(ValidationError):
        v.dial_prefix("9.")
    assert v.pattern_length("9[2-5]X") == 3


def test_a_caller_id_splits_into_name_and_number():
    assert v.split_callerid('"Acme" <5551000>') == ("Acme", "5551000")
    assert v.split_callerid("Acme Sales <5551000>") == ("Acme Sales", "5551000")
    assert v.split_callerid("5551000") == ("", "5551000")
    assert v.split_callerid("") == ("", "")


@pytest.mark.parametrize("did", ["5551000", "+4420123456", "_5551XXX", "_X."])
def test_dids_and_did_patterns_are_taken(did):
    v.did(did)
