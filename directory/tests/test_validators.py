"""The shared validators, on any text: each refuses exactly what it says it refuses."""

import re
import string

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.validators import (
    GENERATED_SECRET_LENGTH,
    callerid_format,
    conf_safe,
    generate_secret,
    no_control_characters,
    secret_strength,
)
from web.testing.strategies import LINE_BREAKS_AND_NUL, VALID_SAMPLES, dangerous_variants, typed_text

# C0, DEL and C1; the Unicode line and paragraph separators; bidirectional overrides and isolates.
CONTROL = (
    {chr(c) for c in range(0x20)}
    | {chr(c) for c in range(0x7F, 0xA0)}
    | {"\u2028", "\u2029"}
    | {chr(c) for c in range(0x202A, 0x202F)}
    | {chr(c) for c in range(0x2066, 0x206A)}
)
ANY_TEXT = st.one_of(typed_text, st.text(alphabet=st.characters(codec="ascii"), max_size=20))


def _accepts(validator, value: str) -> bool:
    try:
        validator(value)
    except ValidationError as e:
        assert e.messages and all(m.strip() for m in e.messages)
        return False
    return True


@pytest.mark.slow
@settings(max_examples=500)
@given(value=ANY_TEXT)
def test_control_characters_are_refused_and_nothing_else(value):
    assert _accepts(no_control_characters, value) == (not CONTROL & set(value))


@pytest.mark.slow
@pytest.mark.parametrize("char", sorted(CONTROL))
def test_each_control_character_is_refused_in_a_name(char):
    assert not _accepts(no_control_characters, f"Ana{char}Müller")


@pytest.mark.slow
@settings(max_examples=500)
@given(value=ANY_TEXT)
def test_a_conf_value_refuses_exactly_semicolon_brackets_backslash_and_controls(value):
    assert _accepts(conf_safe, value) == (not (CONTROL | set(";[]\\")) & set(value))


def _callerid_field(value: str) -> None:
    """A caller ID field's validators, in the order Django runs them (SafeCharField first)."""
    no_control_characters(value)
    callerid_format(value)


def _strong(value: str) -> bool:
    return (
        len(value) >= 6
        and all("!" <= c <= "~" and c not in "\"'\\" for c in value)
        and not value.startswith(">")
        and sum(c in string.ascii_letters for c in value) >= 2
        and sum(c in string.digits for c in value) >= 2
    )


@pytest.mark.slow
@settings(max_examples=500)
@given(value=st.one_of(ANY_TEXT, st.text(alphabet=string.printable, min_size=6, max_size=14)))
def test_a_secret_is_accepted_exactly_when_strong_and_safe(value):
    assert _accepts(secret_strength, value) == _strong(value)


def test_every_dangerous_piece_anywhere_in_a_secret_or_callerid_is_refused_or_single_line():
    for value in dangerous_variants(*VALID_SAMPLES):
        assert _accepts(secret_strength, value) == _strong(value), repr(value)
        if _accepts(_callerid_field, value):
            assert not any(ch in value for ch in LINE_BREAKS_AND_NUL), repr(value)


@pytest.mark.slow
@settings(max_examples=500)
@given(value=ANY_TEXT)
def test_an_accepted_callerid_is_a_name_and_a_number_on_one_line(value):
    if _accepts(_callerid_field, value):
        assert not any(ch in value for ch in LINE_BREAKS_AND_NUL)
        assert re.fullmatch(r"(?s).*<[0-9+*#]{1,40}>|[0-9+*#]{1,40}", value.strip())


@pytest.mark.parametrize("attempt", range(20))
def test_generated_secrets_are_long_alphanumeric_and_strong(attempt):
    value = generate_secret()
    assert len(value) == GENERATED_SECRET_LENGTH and value.isascii() and value.isalnum()
    assert _accepts(secret_strength, value)


@pytest.mark.parametrize(
    ("model", "field"),
    [("users.PbxUser", "outboundcid"), ("devices.Device", "emergency_cid")],
)
def test_an_over_long_value_is_refused_for_its_length_before_any_other_check(model, field):
    """A caller ID of 20,000 characters was run through the caller-ID pattern (quadratic in
    spaces) before its length was looked at: the length is judged first, and alone."""
    value = "a" + " " * 20_000 + "x"
    with pytest.raises(ValidationError) as refused:
        apps.get_model(model)._meta.get_field(field).run_validators(value)
    assert refused.value.messages == ["Ensure this value has at most 80 characters (it has 20002)."]


def test_the_caller_id_check_refuses_an_over_long_value_without_reading_it():
    with pytest.raises(ValidationError, match="at most 80 characters"):
        callerid_format("a" + " " * 20_000 + "x")
