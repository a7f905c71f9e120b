"""Whatever an administrator types into a device's text fields (its number, description,
emergency caller ID, a custom dial string), it is refused with a message, or it stays
on one line in the AstDB keys sent over AMI and the device's sections read back exactly.
`build_device` checks without saving (it reads only whether the number and the channel are
free); the service and the file writer are walked through in asterisk/render/tests/test_injection.py."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given

from asterisk.ami import check_action
from asterisk.astdb import device_keys, split_key
from asterisk.testing.readback import SAFE_SECRET, assert_sections_read_back_exactly, render_device
from directory.devices.services import build_device
from web.testing.strategies import LINE_BREAKS_AND_NUL, dangerous_variants, typed_text

# build_device asks the database whether the number is free.
pytestmark = pytest.mark.django_db

DEVICE_TEXT_FIELDS = ["id", "description", "emergency_cid", "dial"]


def _refused_or_harmless(field: str, value: str) -> None:
    # A dial string is typed only for custom devices; the others derive it.
    tech = "custom" if field == "dial" else "pjsip"
    fields = {"id": "2001", "tech": tech}
    if tech == "custom":
        fields["dial"] = "SIP/joe@example.com"
    else:
        fields["settings"] = {"secret": SAFE_SECRET}
    fields[field] = value
    try:
        device, settings = build_device(**fields)
    except ValidationError as e:
        assert e.messages and all(m.strip() for m in e.messages)
        return
    for name in DEVICE_TEXT_FIELDS:
        assert not any(ch in getattr(device, name) for ch in LINE_BREAKS_AND_NUL), name
    keys = device_keys(
        id=device.id,
        tech=device.tech,
        dial=device.dial,
        devicetype=device.devicetype,
        user_id=None,
        default_user_id=None,
        emergency_cid=device.emergency_cid,
    )
    for key, val in keys.items():
        family, rest = split_key(key)
        check_action({"Action": "DBPut", "Family": family, "Key": rest, "Val": val})
    if tech == "custom":
        # Dial() arguments and a second channel stay out of a typed dial string.
        assert not any(ch in device.dial for ch in ",&$(){}[] ")
    else:
        assert_sections_read_back_exactly(render_device(tech, id=device.id, settings=settings))


@pytest.mark.slow
@pytest.mark.parametrize("field", DEVICE_TEXT_FIELDS)
@given(value=typed_text)
def test_any_device_field_value_is_refused_or_harmless(field, value):
    _refused_or_harmless(field, value)


@pytest.mark.slow
@pytest.mark.parametrize("field", DEVICE_TEXT_FIELDS)
def test_every_dangerous_piece_anywhere_in_a_device_field_is_refused_or_harmless(field):
    for value in dangerous_variants("2001", "Front desk", "SIP/joe@example.com", '"Lobby" <5551234>'):
        _refused_or_harmless(field, value)
