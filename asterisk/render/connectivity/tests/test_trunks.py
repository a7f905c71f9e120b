"""Trunks' sections in the channel drivers' files (asterisk/render/connectivity/trunks.py)."""

import pytest

from asterisk.render.conf import parse_conf
from asterisk.render.generate import render_files, trunk_sections
from asterisk.render.secrets import mask_conf_text
from directory.connectivity.services import trunk_create, trunk_update
from directory.secrets import MASK

pytestmark = pytest.mark.django_db

SECRET = "s3cretPass42"


def _carrier(tech: str = "pjsip", **fields):
    values = {
        "name": "carrier",
        "tech": tech,
        "host": "sip.example.net",
        "port": 5099,
        "username": "office",
        "secret": SECRET,
        "register": True,
        **fields,
    }
    return trunk_create(**values)


def test_a_pjsip_trunk_is_written_in_five_files_as_freepbx_writes_them():
    trunk = _carrier()
    sections = trunk_sections(trunk.pk)
    assert sections["pjsip.endpoint.conf"] == (
        "[carrier]\n"
        "type=endpoint\n"
        "context=from-trunk\n"
        "identify_by=ip\n"
        "disallow=all\n"
        "allow=ulaw,alaw\n"
        "aors=carrier\n"
        "send_connected_line=no\n"
        "rewrite_contact=yes\n"
        "rtp_symmetric=yes\n"
        "force_rport=yes\n"
        "direct_media=no\n"
        "dtmf_mode=rfc4733\n"
        "trust_id_inbound=no\n"
        "send_pai=yes\n"
        "outbound_auth=carrier\n"
    )
    assert sections["pjsip.aor.conf"] == (
        "[carrier]\ntype=aor\ncontact=sip:sip.example.net:5099\nqualify_frequency=60\n"
    )
    assert sections["pjsip.auth.conf"] == (
        f"[carrier]\ntype=auth\nauth_type=userpass\npassword={SECRET}\nusername=office\n"
    )
    assert sections["pjsip.identify.conf"] == (
        "[carrier]\ntype=identify\nendpoint=carrier\nmatch=sip.example.net:5099\n"
    )
    assert sections["pjsip.registration.conf"] == (
        "[carrier]\n"
        "type=registration\n"
        "outbound_auth=carrier\n"
        "server_uri=sip:sip.example.net:5099\n"
        "client_uri=sip:office@sip.example.net:5099\n"
        "contact_user=office\n"
        "retry_interval=60\n"
        "forbidden_retry_interval=30\n"
        "max_retries=10000\n"
        "expiration=3600\n"
        "auth_rejection_permanent=no\n"
        "line=yes\n"
        "endpoint=carrier\n"
    )


def test_a_trunk_without_a_port_is_identified_by_its_host_alone():
    trunk = trunk_create(name="ipauth", tech="pjsip", host="10.0.0.5")
    sections = trunk_sections(trunk.pk)
    assert dict(parse_conf(sections["pjsip.identify.conf"]).get("ipauth"))["match"] == "10.0.0.5"
    assert "pjsip.registration.conf" not in sections and "pjsip.auth.conf" not in sections


def test_a_chan_sip_trunk_is_a_peer_with_a_register_line():
    trunk = _carrier("sip", codecs="alaw,g722")
    sections = trunk_sections(trunk.pk)
    assert sections["sip_additional.conf"] == (
        "[carrier]\n"
        "disallow=all\n"
        "type=peer\n"
        "host=sip.example.net\n"
        "port=5099\n"
        "username=office\n"
        "defaultuser=office\n"
        f"secret={SECRET}\n"
        "context=from-trunk\n"
        "qualify=yes\n"
        "insecure=port,invite\n"
        "dtmfmode=rfc2833\n"
        "allow=alaw\n"
        "allow=g722\n"
    )
    assert sections["sip_registrations.conf"] == f"register=>office:{SECRET}@sip.example.net:5099/office\n"


def test_an_iax2_trunk_is_a_peer_with_a_register_line():
    trunk = _carrier("iax2", port=None)
    sections = trunk_sections(trunk.pk)
    items = dict(parse_conf(sections["iax_additional.conf"]).get("carrier"))
    assert items["context"] == "from-trunk" and items["port"] == "4569"
    assert sections["iax_registrations.conf"] == f"register=>office:{SECRET}@sip.example.net:4569\n"


def test_every_trunk_lands_in_from_trunk_and_nowhere_else():
    for tech in ("pjsip", "sip", "iax2"):
        trunk = trunk_create(name=f"t{tech}", tech=tech, host="192.0.2.10")
        texts = trunk_sections(trunk.pk)
        contexts = {v for text in texts.values() for k, v in _items(text) if k == "context"}
        assert contexts == {"from-trunk"}


def _items(text: str):
    return [item for section in parse_conf(text).sections for item in section.items]


@pytest.mark.slow
def test_a_disabled_trunk_is_written_nowhere():
    trunk = _carrier()
    trunk_update(trunk=trunk, enabled=False)
    assert trunk_sections(trunk.pk) == {}


def test_trunks_follow_the_devices_and_files_keep_their_includes():
    _carrier()
    texts = render_files(["pjsip.endpoint.conf", "pjsip.registration.conf", "sip_registrations.conf"])
    assert "#include pjsip.registration_custom.conf" in texts["pjsip.registration.conf"]
    assert "[carrier]" in texts["pjsip.endpoint.conf"]
    assert "sip.conf" in texts["sip_registrations.conf"].splitlines()[0]


def test_a_secret_is_masked_in_every_line_that_carries_it():
    trunk = _carrier("sip")
    for text in trunk_sections(trunk.pk).values():
        masked = mask_conf_text(text)
        assert SECRET not in masked
    assert f"office:{MASK}@sip.example.net:5099/office" in mask_conf_text(
        trunk_sections(trunk.pk)["sip_registrations.conf"]
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("host", "evil.example\n[x]"), ("username", "a\nb"), ("secret", "s\ncontext=from-internal")],
)
def test_the_writer_refuses_a_line_break_that_got_past_the_services(field, value):
    """A row written around the services (a hand-made migration, a shell): the writer's own guard."""
    from asterisk.render.conf import ConfInjectionError
    from directory.connectivity.models import Trunk

    trunk = Trunk.objects.create(
        name="raw", tech="sip", host="h.example", username="u", secret="Abc12345", register=True
    )
    Trunk.objects.filter(pk=trunk.pk).update(**{field: value})
    with pytest.raises(ConfInjectionError):
        trunk_sections(trunk.pk)


def test_an_iax2_trunk_takes_the_carriers_calls_as_a_friend_in_from_trunk():
    trunk = _carrier("iax2")
    items = dict(parse_conf(trunk_sections(trunk.pk)["iax_additional.conf"]).get("carrier"))
    assert items["type"] == "friend" and items["context"] == "from-trunk"


def test_an_iax2_trunk_to_an_address_takes_calls_from_that_address_alone():
    trunk = trunk_create(
        name="iaxcarrier", tech="iax2", host="192.0.2.10", username="office", secret="Abc12345"
    )
    items = parse_conf(trunk_sections(trunk.pk)["iax_additional.conf"]).get("iaxcarrier")
    assert ("deny", "0.0.0.0/0.0.0.0") in items and ("permit", "192.0.2.10/255.255.255.255") in items
