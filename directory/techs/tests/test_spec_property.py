"""Whatever an administrator types into any setting of any technology, its `clean`
either refuses it with a message, or the device's sections, written and read back,
are exactly what the renderer meant: nothing typed adds a line, a section, a key or
a comment, or loses a character. These are pure functions, so every setting gets
random text and every dangerous piece in every position; the service and the file
writer are walked through in test_injection.py."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given

from asterisk.testing.readback import assert_sections_read_back_exactly, device_settings, render_device
from directory.techs import TECHS
from web.testing.strategies import LINE_BREAKS_AND_NUL, VALID_SAMPLES, dangerous_variants, typed_text

TECH_SETTINGS = [pytest.param(tech, s, id=f"{tech}-{s.key}") for tech, m in TECHS.items() for s in m.SETTINGS]


def _refused_or_harmless(tech, setting, value) -> None:
    try:
        cleaned = setting.clean(value)
    except ValidationError as e:
        assert e.messages and all(m.strip() for m in e.messages)
        return
    # A secret may hold ; [ ] (escaped when written); no other setting may.
    forbidden = LINE_BREAKS_AND_NUL if setting.key == "secret" else LINE_BREAKS_AND_NUL + ";[]"
    assert not any(ch in cleaned for ch in forbidden), repr(cleaned)
    settings = device_settings(tech, **{setting.key: cleaned})
    assert_sections_read_back_exactly(render_device(tech, settings=settings))


@pytest.mark.slow
@pytest.mark.parametrize(("tech", "setting"), TECH_SETTINGS)
@given(value=typed_text)
def test_any_endpoint_setting_value_is_refused_or_harmless(tech, setting, value):
    _refused_or_harmless(tech, setting, value)


@pytest.mark.slow
@pytest.mark.parametrize(("tech", "setting"), TECH_SETTINGS)
def test_every_dangerous_piece_anywhere_in_a_setting_is_refused_or_harmless(tech, setting):
    for value in dangerous_variants(setting.default, *setting.choices, *VALID_SAMPLES):
        _refused_or_harmless(tech, setting, value)


def test_a_secret_starting_with_an_arrow_is_refused_since_asterisk_would_drop_it():
    secret = next(s for s in TECHS["pjsip"].SETTINGS if s.key == "secret")
    with pytest.raises(ValidationError, match="may not start with >"):
        secret.clean(">Abcd1234")
