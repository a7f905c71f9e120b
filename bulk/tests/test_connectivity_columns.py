"""The cells of the trunks, routes and DIDs files: what is written reads back the same."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from bulk.connectivity_columns import read_destination, read_rules, write_destination, write_rules

# What the services let into a rule's parts: pattern characters (validators.py).
PART = st.text(alphabet="0123456789XZN+*#[]-.", max_size=12)


@st.composite
def rules(draw, *, callerid: bool):
    keys = ("prepend", "prefix", "match", *(("callerid",) if callerid else ()))
    found = draw(st.lists(st.fixed_dictionaries({k: PART for k in keys}), max_size=5))
    # An all-empty rule has nothing to write (the services refuse it in a route).
    return [r for r in found if any(r.values())]


@given(rules(callerid=True))
def test_dial_patterns_read_back_as_written(patterns):
    assert read_rules(write_rules(patterns), callerid=True) == patterns


@given(rules(callerid=False))
def test_dial_out_rules_read_back_as_written(trunk_rules):
    assert read_rules(write_rules(trunk_rules), callerid=False) == trunk_rules


def test_the_notation_is_the_lists():
    assert read_rules("(1)9|NXXNXXXXXX 911 00./2XXX", callerid=True) == [
        {"prepend": "1", "prefix": "9", "match": "NXXNXXXXXX", "callerid": ""},
        {"prepend": "", "prefix": "", "match": "911", "callerid": ""},
        {"prepend": "", "prefix": "", "match": "00.", "callerid": "2XXX"},
    ]


@pytest.mark.parametrize("cell", ["9|NXX/2XXX", "(1", "1)2", "a|b|c"])
def test_a_trunk_rule_with_a_caller_id_or_broken_brackets_is_refused(cell):
    with pytest.raises(ValidationError, match="write each as"):
        read_rules(cell, callerid=False)


@pytest.mark.parametrize(("destination", "user"), [("user", "2001"), ("voicemail", "2001"), ("hangup", None)])
def test_destinations_read_back_as_written(destination, user):
    assert read_destination(write_destination(destination, user)) == (destination, user or "")


@pytest.mark.parametrize("cell", ["ext-group,600,1", "from-did-direct,2001,2", "app-blackhole,busy,1", ""])
def test_a_destination_pbxadmin_does_not_have_is_refused(cell):
    with pytest.raises(ValidationError, match="is none of these"):
        read_destination(cell)
