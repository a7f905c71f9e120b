"""Whatever an administrator types into any text field of a user, it is refused with a
message, or it stays on one line everywhere it goes: in the AstDB keys sent over AMI
(where a line break would start a new action) and in the fixed device's sections
(mailbox, language), which read back exactly. `build_user` checks without saving
(it reads only whether the number is free); the service and the file writer are
walked through in asterisk/render/tests/test_injection.py."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given

from asterisk.ami import check_action
from asterisk.astdb import split_key, user_keys
from asterisk.render.generate import mailbox_for
from asterisk.testing.readback import assert_sections_read_back_exactly, render_device
from directory.users.models import PbxUser
from directory.users.services import USER_FIELDS, build_user
from web.testing.strategies import LINE_BREAKS_AND_NUL, dangerous_variants, typed_text

# build_user asks the database whether the number is free.
pytestmark = pytest.mark.django_db

TEXT_USER_FIELDS = [f for f in USER_FIELDS if PbxUser._meta.get_field(f).get_internal_type() == "CharField"]


def _refused_or_harmless(field: str, value: str) -> None:
    fields = {"extension": "1000", "name": "Alice", field: value}
    try:
        user = build_user(**fields)
    except ValidationError as e:
        assert e.messages and all(m.strip() for m in e.messages)
        return
    assert not any(ch in getattr(user, field) for ch in LINE_BREAKS_AND_NUL)
    for key, val in user_keys(user, [("1000", "PJSIP/1000")]).items():
        family, rest = split_key(key)
        check_action({"Action": "DBPut", "Family": family, "Key": rest, "Val": val})
    mailbox = mailbox_for("1000", "1000", user.voicemail)
    for tech in ("pjsip", "sip"):
        assert_sections_read_back_exactly(
            render_device(tech, id="1000", mailbox=mailbox, language=user.language)
        )


@pytest.mark.slow
@pytest.mark.parametrize("field", TEXT_USER_FIELDS)
@given(value=typed_text)
def test_any_user_field_value_is_refused_or_harmless(field, value):
    _refused_or_harmless(field, value)


@pytest.mark.slow
@pytest.mark.parametrize("field", TEXT_USER_FIELDS)
def test_every_dangerous_piece_anywhere_in_a_user_field_is_refused_or_harmless(field):
    default = PbxUser._meta.get_field(field).default
    choices = [c for c, _ in PbxUser._meta.get_field(field).choices or ()]
    samples = ("Alice", "en", "default", "1234", '"Sales" <5551234>', "ACC-1")
    for value in dangerous_variants(*([default] if isinstance(default, str) else []), *choices, *samples):
        _refused_or_harmless(field, value)
