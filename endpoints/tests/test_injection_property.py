"""Whatever an administrator types into any text field, either it is refused with a
message, or every generated file reads back as exactly the sections and keys the
renderer meant: nothing typed can add a line, a section or a comment."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asterisk.files import render_files, write_files
from devices.models import Device
from devices.services import device_create
from endpoints.conf import parse_conf
from endpoints.techs import FILE_TECH, TECHS
from users.extensions import extension_create
from users.models import PbxUser
from users.services import USER_FIELDS

pytestmark = pytest.mark.django_db

NASTY = [
    "\n", "\r\n", "\x00", "\r", ";", "\\;", "[", "]", "=", "=>", "#include /etc/passwd", "\n[evil]\ntype=endpoint",
    "a;b", "ab12\\", "\"", "'", "${EXTEN}", ",", "&", " ", "\t", "é", "\u2028", "0.0.0.0/0", "all", "ulaw&alaw",
    "yes", "no", "1", "60", "Abcd1234", "from-internal",
]  # fmt: skip
text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(NASTY), min_size=1, max_size=4).map("".join),
    st.tuples(st.sampled_from(NASTY), st.text(max_size=8), st.sampled_from(NASTY)).map("".join),
)

TEXT_USER_FIELDS = [f for f in USER_FIELDS if PbxUser._meta.get_field(f).get_internal_type() == "CharField"]
TECH_SETTINGS = [(tech, s.key) for tech, m in TECHS.items() for s in m.SETTINGS]
DEVICE_TEXT_FIELDS = ["description", "emergency_cid"]

SAFE_SECRET = "Abcd1234efgh"


def _assert_files_read_back_exactly(conf_dir):
    """Parsing each file gives the sections the renderer produced, key for key."""
    expected = render_files()
    for name, tech in FILE_TECH.items():
        text = (conf_dir / name).read_text()
        assert text == expected[name]
        parsed = parse_conf(text, commented_headers=(tech == "dahdi"))
        device_ids = sorted(Device.objects.filter(tech=tech).values_list("pk", flat=True))
        names = parsed.section_names()
        if name == "pjsip.auth.conf":
            names = [n.removesuffix("-auth") for n in names]
        assert sorted(names) == device_ids
        for section in parsed.sections:
            assert all("\n" not in v and "\r" not in v and "\x00" not in v for _, v in section.items)


def _attempt(func, conf_dir, django_capture_on_commit_callbacks, check=None, **kwargs):
    sid = transaction.savepoint()
    write_files()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            try:
                func(**kwargs)
            except ValidationError as e:
                assert e.messages and all(m.strip() for m in e.messages)
                return False
        _assert_files_read_back_exactly(conf_dir)
        if check:
            check()
        return True
    finally:
        transaction.savepoint_rollback(sid)
        for path in conf_dir.glob("*.conf"):
            path.unlink()


_hypothesis = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("field", TEXT_USER_FIELDS)
@_hypothesis
@given(value=text)
def test_any_user_field_value_is_refused_or_harmless(
    field, value, conf_dir, django_capture_on_commit_callbacks
):
    kwargs = {"extension": "1000", "name": "Alice", "tech": "sip", "settings": {"secret": SAFE_SECRET}}
    kwargs[field] = value

    def stored_value_is_single_line():
        # User fields also go to AstDB over AMI, where a line break would start a new action.
        stored = str(getattr(PbxUser.objects.get(pk="1000"), field))
        assert not any(ch in stored for ch in "\r\n\x00")

    _attempt(
        extension_create, conf_dir, django_capture_on_commit_callbacks, stored_value_is_single_line, **kwargs
    )


@pytest.mark.parametrize("field", [*DEVICE_TEXT_FIELDS, "extension"])
@_hypothesis
@given(value=text)
def test_any_device_field_value_is_refused_or_harmless(
    field, value, conf_dir, django_capture_on_commit_callbacks
):
    if field == "extension":
        kwargs = {"id": value, "tech": "pjsip", "settings": {"secret": SAFE_SECRET}}
    else:
        kwargs = {"id": "2001", "tech": "pjsip", "settings": {"secret": SAFE_SECRET}, field: value}
    _attempt(device_create, conf_dir, django_capture_on_commit_callbacks, **kwargs)


@_hypothesis
@given(value=text)
def test_any_custom_dial_string_is_refused_or_harmless(value, conf_dir, django_capture_on_commit_callbacks):
    _attempt(
        device_create, conf_dir, django_capture_on_commit_callbacks, id="2001", tech="custom", dial=value
    )


@pytest.mark.parametrize(("tech", "key"), TECH_SETTINGS)
@_hypothesis
@given(value=text)
def test_any_endpoint_setting_value_is_refused_or_harmless(
    tech, key, value, conf_dir, django_capture_on_commit_callbacks
):
    values = (
        {"secret": SAFE_SECRET}
        if key != "secret" and any(s.key == "secret" for s in TECHS[tech].SETTINGS)
        else {}
    )
    if tech == "dahdi" and key != "channel":
        values["channel"] = "1"
    values[key] = value

    def stored_value_is_conf_safe():
        stored = Device.objects.get(pk="2001").endpoint.settings[key]
        forbidden = "\r\n\x00" if key == "secret" else "\r\n\x00;[]"
        assert not any(ch in stored for ch in forbidden)

    _attempt(
        device_create,
        conf_dir,
        django_capture_on_commit_callbacks,
        stored_value_is_conf_safe,
        id="2001",
        tech=tech,
        settings=values,
    )
