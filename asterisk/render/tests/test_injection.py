"""Through the service, the database and the file writer, end to end: dangerous values
in each kind of field are refused with a message and leave nothing behind, or are
saved, and every generated file reads back as exactly the sections the renderer meant.

Every value of every field is property-tested on the pure parts, where thousands of
examples are cheap: each setting's clean (test_settings_property.py), the writer
guard (test_conf.py), the user and device fields (users/, devices/ tests), the
validators (directory/tests/test_validators.py). These cases prove the parts are the
ones the services really use."""

import pytest
from django.core.exceptions import ValidationError

from asterisk.astdb import desired_keys
from asterisk.files import render_files, write_files
from asterisk.render.conf import parse_conf
from asterisk.render.techs import FILE_TECH
from asterisk.testing.readback import SAFE_SECRET
from directory.devices.models import Device
from directory.devices.services import device_create
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from web.testing.strategies import LINE_BREAKS_AND_NUL

pytestmark = pytest.mark.django_db

EVIL = "\n[evil]\ntype=endpoint"


def _extension(tech="sip", settings=None, **fields):
    return extension_create, {
        "extension": "1000",
        "name": "Alice",
        "tech": tech,
        "settings": {"secret": SAFE_SECRET} if settings is None else settings,
        **fields,
    }


def _device(tech="pjsip", settings=None, **fields):
    if settings is None:
        settings = {"secret": SAFE_SECRET} if tech in ("pjsip", "sip", "iax2") else {}
    return device_create, {"id": "2001", "tech": tech, "settings": settings, **fields}


REFUSED = [
    pytest.param(*_extension(name="Alice" + EVIL), id="user-name-new-section"),
    pytest.param(*_extension(outboundcid='"Sales\r\n" <5551234>'), id="user-outboundcid-crlf"),
    pytest.param(*_extension(language="fr\x00"), id="user-language-nul"),
    pytest.param(*_extension(voicemail="default;x"), id="user-voicemail-comment"),
    pytest.param(*_extension(accountcode="acc\rAction: DBPut"), id="user-accountcode-cr"),
    pytest.param(*_device(description="Desk" + EVIL), id="device-description-new-section"),
    pytest.param(*_device(emergency_cid='"Lob\nby" <5551234>'), id="device-emergency-cid-lf"),
    pytest.param(*_device(id="2001;DROP"), id="device-id-comment"),
    pytest.param(*_device(id="20\x0001"), id="device-id-nul"),
    pytest.param(*_device(tech="custom", dial="SIP/joe\r\nAction: DBPut"), id="custom-dial-crlf"),
    pytest.param(*_device(tech="custom", dial="Local/1@x,60"), id="custom-dial-dial-arguments"),
    pytest.param(
        *_device(settings={"secret": SAFE_SECRET, "context": "from-internal" + EVIL}), id="pjsip-context"
    ),
    pytest.param(*_device(settings={"secret": "Ab12cd\n[x]"}), id="pjsip-secret-lf"),
    pytest.param(*_device(settings={"secret": ">Abcd1234"}), id="pjsip-secret-arrow"),
    pytest.param(
        *_device("sip", settings={"secret": SAFE_SECRET, "deny": "0.0.0.0/0\r\n"}), id="sip-deny-crlf"
    ),
    pytest.param(
        *_device("iax2", settings={"secret": SAFE_SECRET, "host": "dynamic;x"}), id="iax2-host-comment"
    ),
    pytest.param(*_device("dahdi", settings={"channel": "1\n;;;;;;[2]"}), id="dahdi-channel-header"),
]

ACCEPTED = [
    pytest.param(*_extension(name='Alice ; [x] = "y"'), id="user-name-conf-characters"),
    pytest.param(*_extension(voicemail="default", language="fr_FR"), id="user-mailbox-and-language"),
    pytest.param(*_extension(outboundcid='"Sales; Dept" <5551234>'), id="user-outboundcid"),
    pytest.param(
        *_device(description="Desk [2] ; front", emergency_cid='"Lobby" <5551234>'), id="device-fields"
    ),
    pytest.param(*_device(tech="custom", dial="Local/5551234@from-internal"), id="custom-dial"),
    pytest.param(*_device(settings={"secret": "Ab;cd12[x]"}), id="pjsip-secret-escaped"),
    pytest.param(
        *_device("sip", settings={"secret": "Ab;;12cd", "allow": "ulaw&alaw"}), id="sip-secret-codecs"
    ),
    pytest.param(*_device("iax2", settings={"secret": SAFE_SECRET, "deny": "0.0.0.0/0"}), id="iax2-acl"),
    pytest.param(*_device("dahdi", settings={"channel": "1"}), id="dahdi-channel"),
]


def _files(conf_dir) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(conf_dir.glob("*.conf"))}


def _assert_files_read_back_exactly(conf_dir):
    """Each file is what the renderer produced, and parsing it gives one section per device."""
    expected = render_files()
    for name, tech in FILE_TECH.items():
        text = (conf_dir / name).read_text()
        assert text == expected[name]
        parsed = parse_conf(text, commented_headers=(tech == "dahdi"))
        names = parsed.section_names()
        if name == "pjsip.auth.conf":
            names = [n.removesuffix("-auth") for n in names]
        assert sorted(names) == sorted(Device.objects.filter(tech=tech).values_list("pk", flat=True))
        assert "" not in [s.name for s in parsed.sections], "no key before the first section"
        for section in parsed.sections:
            assert all(not any(ch in v for ch in LINE_BREAKS_AND_NUL) for _, v in section.items)


@pytest.mark.slow
@pytest.mark.parametrize(("service", "fields"), REFUSED)
def test_a_dangerous_value_is_refused_with_a_message_and_leaves_nothing(service, fields, committed, conf_dir):
    committed(extension_create, extension="1500", name="Before", tech="sip")
    before = _files(conf_dir)
    with pytest.raises(ValidationError) as refused:
        committed(service, **fields)
    assert refused.value.messages and all(m.strip() for m in refused.value.messages)
    assert list(PbxUser.objects.values_list("pk", flat=True)) == ["1500"]
    assert list(Device.objects.values_list("pk", flat=True)) == ["1500"]
    assert _files(conf_dir) == before


@pytest.mark.slow
@pytest.mark.parametrize(("service", "fields"), ACCEPTED)
def test_an_accepted_value_reaches_the_files_and_astdb_on_one_line(service, fields, committed, conf_dir):
    write_files()
    committed(service, **fields)
    _assert_files_read_back_exactly(conf_dir)
    assert all(not any(ch in v for ch in LINE_BREAKS_AND_NUL) for v in desired_keys().values())


def test_a_secret_with_semicolons_and_brackets_reads_back_literally(committed, conf_dir):
    committed(device_create, id="2001", tech="pjsip", settings={"secret": "Ab;cd12[x]"})
    auth = parse_conf((conf_dir / "pjsip.auth.conf").read_text())
    assert dict(auth.get("2001-auth"))["password"] == "Ab;cd12[x]"
