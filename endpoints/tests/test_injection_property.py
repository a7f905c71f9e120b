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
from endpoints import transports, voicemail
from endpoints.conf import ConfInjectionError, parse_conf
from endpoints.models import SipSettings
from endpoints.services import sip_settings_update
from endpoints.techs import FILE_TECH, TECHS
from users.extensions import extension_create
from users.mailboxes import mailbox_email, mailbox_name, mailbox_options
from users.models import NO_VOICEMAIL, PbxUser
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
    _assert_mailboxes_read_back_exactly(conf_dir / voicemail.FILENAME)


def _assert_mailboxes_read_back_exactly(path):
    """One section per context, one line per mailbox, and each line splits into the five fields stored."""
    parsed = parse_conf(path.read_text())
    users = PbxUser.objects.exclude(voicemail=NO_VOICEMAIL)
    assert sorted(parsed.section_names()) == sorted({u.voicemail for u in users})
    for user in users:
        lines = dict(parsed.get(user.voicemail))
        fields = lines[user.extension].split(",")
        assert fields == [user.vm_pin, mailbox_name(user.name), user.vm_email, user.vm_pager, user.vm_options]


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
    kwargs["voicemail"] = "default"  # so that every mailbox field reaches voicemail_additional.conf
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


# --- Mailboxes: the pure validators and writer with many examples ---------------


@settings(max_examples=400, deadline=None)
@given(pin=text, name=text, email=text, pager=text, options=text)
def test_a_mailbox_line_that_passes_validation_reads_back_as_its_five_fields(
    pin, name, email, pager, options
):
    try:
        if not pin.isascii() or not pin.isdigit():
            raise ValidationError("pin")
        for address in (email, pager):
            if address:
                mailbox_email(address)
        mailbox_options(options)
    except ValidationError:
        return
    try:
        line = voicemail.mailbox_line("2001", pin, name, email, pager, options)
    except ConfInjectionError:
        return  # the writer's own guard: refused, never written
    parsed = parse_conf(f"[default]\n{line}\n")
    assert parsed.section_names() == ["default"]
    [(key, value)] = parsed.get("default")
    assert key == "2001"
    assert value.split(",") == [pin, mailbox_name(name), email, pager, options]
    assert all(option.count("=") == 1 for option in options.split("|") if options)


# --- SIP settings: the typed fields through the service, with few examples -------

SIP_TEXT_FIELDS = [
    "external_address",
    "local_networks",
    "tls_cert_file",
    "sip_bind_address",
    "pjsip_bind_address",
]


@pytest.mark.parametrize("field", SIP_TEXT_FIELDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=text)
def test_any_sip_settings_value_is_refused_or_harmless(
    field, value, conf_dir, django_capture_on_commit_callbacks
):
    sid = transaction.savepoint()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            try:
                sip_settings_update(**{field: value})
            except ValidationError as e:
                assert e.messages and all(m.strip() for m in e.messages)
                return
        sip = SipSettings.get()
        general = parse_conf((conf_dir / transports.SIP_GENERAL).read_text())
        assert general.section_names() == [], "lines only: the file sits inside sip.conf's [general]"
        assert (conf_dir / transports.PJSIP_TRANSPORTS).read_text() == transports.render_pjsip_transports(sip)
        names = parse_conf((conf_dir / transports.PJSIP_TRANSPORTS).read_text()).section_names()
        assert set(names) == transports.pjsip_transport_names(sip)
    finally:
        transaction.savepoint_rollback(sid)
        for path in conf_dir.glob("*.conf"):
            path.unlink()
