"""Each generated file, read back, holds exactly the sections of FreePBX's samples (samples.py)."""

import pytest

from asterisk.render.conf import GENERATED, parse_conf
from asterisk.render.tests import samples
from directory.endpoints.services import sip_settings_update
from directory.users.extensions import extension_create

pytestmark = pytest.mark.django_db

TLS_FILES = {"tls_cert_file": "/etc/asterisk/keys/pbx.crt", "tls_key_file": "/etc/asterisk/keys/pbx.key"}


def _create(committed, extension, name, tech, **settings):
    settings.setdefault("secret", samples.SECRET)
    if tech in ("dahdi", "custom"):
        settings.pop("secret")
    return committed(
        extension_create, extension=extension, name=name, tech=tech, voicemail="default", settings=settings
    )


def _read(conf_dir, name, **kwargs):
    text = (conf_dir / name).read_text()
    assert text.startswith(GENERATED)
    return parse_conf(text, **kwargs)


def test_sip_additional_matches_the_freepbx_sample(committed, conf_dir):
    # The sample assumes TCP and TLS are on in SIP Settings.
    committed(sip_settings_update, sip_tcp=True, sip_tls=True, **TLS_FILES)
    _create(committed, "1000", "John Doe", "sip")
    parsed = _read(conf_dir, "sip_additional.conf")
    assert parsed.section_names() == ["1000"]
    assert parsed.get("1000") == samples.SIP_1000
    assert {k for k, _ in parsed.get("1000")} <= samples.CHAN_SIP_KEYS


def test_iax_additional_matches_the_freepbx_sample(committed, conf_dir):
    _create(committed, "2000", "Jane", "iax2")
    parsed = _read(conf_dir, "iax_additional.conf")
    assert parsed.section_names() == ["2000"]
    assert parsed.get("2000") == samples.IAX_2000
    assert {k for k, _ in parsed.get("2000")} <= samples.CHAN_IAX2_KEYS


def test_chan_dahdi_additional_matches_the_freepbx_sample(committed, conf_dir):
    _create(committed, "3000", "Lobby", "dahdi", channel="1")
    text = (conf_dir / "chan_dahdi_additional.conf").read_text()
    # chan_dahdi reads these lines inside [channels]: no real section header may appear.
    assert parse_conf(text).section_names() == []
    parsed = parse_conf(text, commented_headers=True)
    assert parsed.section_names() == ["3000"]
    assert parsed.get("3000") == samples.DAHDI_3000
    assert "channel=>1" in text.splitlines()
    assert {k for k, _ in parsed.get("3000")} <= samples.CHAN_DAHDI_KEYS


def test_pjsip_files_match_the_freepbx_sample(committed, conf_dir):
    _create(committed, "1000", "John Doe", "pjsip")
    endpoint = _read(conf_dir, "pjsip.endpoint.conf")
    aor = _read(conf_dir, "pjsip.aor.conf")
    auth = _read(conf_dir, "pjsip.auth.conf")
    assert endpoint.includes == ["pjsip.endpoint_custom.conf"]
    assert aor.includes == ["pjsip.aor_custom.conf"]
    assert auth.includes == ["pjsip.auth_custom.conf"]
    for include in ("pjsip.endpoint_custom.conf", "pjsip.aor_custom.conf", "pjsip.auth_custom.conf"):
        assert (conf_dir / include).exists(), "an #include target must exist or res_pjsip fails to load"
    assert endpoint.get("1000") == samples.PJSIP_ENDPOINT_1000
    assert aor.get("1000") == samples.PJSIP_AOR_1000
    assert auth.section_names() == ["1000-auth"]
    assert auth.get("1000-auth") == samples.PJSIP_AUTH_1000
    assert {k for k, _ in endpoint.get("1000")} <= samples.PJSIP_ENDPOINT_KEYS
    assert {k for k, _ in aor.get("1000")} <= samples.PJSIP_AOR_KEYS
    assert {k for k, _ in auth.get("1000-auth")} <= samples.PJSIP_AUTH_KEYS


def test_every_device_says_callerid_device_and_its_number(committed, conf_dir):
    for number, tech in (("1001", "sip"), ("1002", "pjsip"), ("1003", "iax2")):
        _create(committed, number, f"Person {number}", tech)
    _create(committed, "1004", "Lobby", "dahdi", channel="4")
    files = {
        "sip_additional.conf": "1001",
        "pjsip.endpoint.conf": "1002",
        "iax_additional.conf": "1003",
        "chan_dahdi_additional.conf": "1004",
    }
    for name, number in files.items():
        parsed = _read(conf_dir, name, commented_headers=True)
        assert dict(parsed.get(number))["callerid"] == f"device <{number}>"


def test_codecs_and_acls_are_written_one_per_line_with_disallow_and_deny_first(committed, conf_dir):
    _create(
        committed,
        "1000",
        "John Doe",
        "sip",
        disallow="all",
        allow="ulaw&alaw",
        deny="10.0.0.0/255.0.0.0&192.168.0.0/16",
        permit="10.1.0.0/16&10.2.0.0/16",
    )
    items = _read(conf_dir, "sip_additional.conf").get("1000")
    keys = [k for k, _ in items]
    assert keys[:3] == ["deny", "deny", "disallow"]
    assert [v for k, v in items if k == "allow"] == ["ulaw", "alaw"]
    assert [v for k, v in items if k == "permit"] == ["10.1.0.0/16", "10.2.0.0/16"]
    assert keys.index("disallow") < keys.index("allow")


def test_devices_are_ordered_by_number_not_by_text(committed, conf_dir):
    for number in ("1000", "999", "20"):
        _create(committed, number, f"Person {number}", "pjsip")
    assert _read(conf_dir, "pjsip.endpoint.conf").section_names() == ["20", "999", "1000"]


def test_an_adhoc_or_novm_device_keeps_its_own_mailbox(committed, conf_dir):
    committed(
        extension_create, extension="1000", name="No VM", tech="sip", settings={"secret": samples.SECRET}
    )
    assert dict(_read(conf_dir, "sip_additional.conf").get("1000"))["mailbox"] == "1000@device"
