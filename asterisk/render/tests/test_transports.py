"""SIP and PJSIP settings: the two generated files read back, and devices name only transports that are on."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from asterisk.models import SyncChange
from asterisk.render.conf import GENERATED, parse_conf
from asterisk.render.transports import PJSIP_TRANSPORTS, SIP_GENERAL
from asterisk.sync import run_sync
from directory.devices.services import device_create
from directory.endpoints.models import EVERY_ADDRESS, SipSettings
from directory.endpoints.services import sip_settings_update

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SECRET = "Abcd1234efgh"
TLS_FILES = {"tls_cert_file": "/etc/asterisk/keys/pbx.crt", "tls_key_file": "/etc/asterisk/keys/pbx.key"}


@pytest.fixture(autouse=True)
def installed(conf_dir):
    """`writeconf` at installation writes every file, the settings files included."""
    call_command("writeconf", stdout=io.StringIO())
    SyncChange.objects.all().delete()  # the reloads it queued: not this module's subject


def _items(conf_dir, name, section):
    text = (conf_dir / name).read_text()
    assert text.startswith(GENERATED)
    return parse_conf(text).get(section)


def _device_transport(conf_dir, device_id):
    return dict(_items(conf_dir, "sip_additional.conf", device_id))["transport"]


def test_a_fresh_install_has_freepbx_17s_defaults(committed, conf_dir):
    committed(device_create, id="2001", tech="sip", settings={"secret": SECRET})
    general = _items(conf_dir, SIP_GENERAL, "")
    assert general == [
        ("vmexten", "*97"),
        ("disallow", "all"),
        ("allow", "ulaw"),
        ("allow", "alaw"),
        ("allow", "gsm"),
        ("allow", "g726"),
        ("allow", "g722"),
        ("context", "from-sip-external"),
        ("callerid", "Unknown"),
        ("notifyringing", "yes"),
        ("notifyhold", "yes"),
        ("tos_sip", "cs3"),
        ("tos_audio", "ef"),
        ("tos_video", "af41"),
        ("alwaysauthreject", "yes"),
        ("limitonpeers", "yes"),
        ("nat", "force_rport,comedia"),
        ("g726nonstandard", "no"),
        ("videosupport", "no"),
        ("maxcallbitrate", "384"),
        ("canreinvite", "no"),
        ("rtptimeout", "30"),
        ("rtpholdtimeout", "300"),
        ("checkmwi", "10"),
        ("registertimeout", "20"),
        ("maxexpiry", "3600"),
        ("minexpiry", "60"),
        ("defaultexpiry", "120"),
        ("jbenable", "no"),
        ("allowguest", "no"),
        ("srvlookup", "no"),
        ("callevents", "no"),
        ("udpbindaddr", "0.0.0.0:5160"),
        ("tcpenable", "no"),
        ("tlsenable", "no"),
    ]
    transports = parse_conf((conf_dir / PJSIP_TRANSPORTS).read_text())
    assert transports.includes == ["pjsip.transports_custom.conf"]
    assert (conf_dir / "pjsip.transports_custom.conf").exists(), "res_pjsip fails on a missing include"
    assert transports.section_names() == ["0.0.0.0-udp"]
    assert transports.get("0.0.0.0-udp") == [
        ("type", "transport"),
        ("protocol", "udp"),
        ("bind", "0.0.0.0:5060"),
        ("allow_reload", "no"),
        ("tos", "cs3"),
        ("cos", "3"),
    ]


def test_given_asterisk_20s_sample_sip_conf_no_guest_reaches_its_public_context(committed, conf_dir):
    """sip.conf's [general] with the README's include line at its end: what chan_sip ends up with.
    The sample lets unauthenticated calls into `context=public`; the generated lines close that."""
    sample = parse_conf((DATA / "asterisk-20-sip-general.conf").read_text()).get("general")
    general = dict(sample + _items(conf_dir, SIP_GENERAL, ""))  # later lines win, as in chan_sip
    assert (general["allowguest"], general["alwaysauthreject"]) == ("no", "yes")
    assert general["context"] == "from-sip-external"


def test_given_asterisk_20s_sample_sip_conf_then_devices_name_only_udp(committed, conf_dir):
    """sip.conf's [general] with the README's include line at its end: what chan_sip ends up with."""
    committed(device_create, id="2001", tech="sip", settings={"secret": SECRET, "transport": "udp,tcp,tls"})
    sample = parse_conf((DATA / "asterisk-20-sip-general.conf").read_text()).get("general")
    general = dict(sample + _items(conf_dir, SIP_GENERAL, ""))  # later lines win, as in chan_sip
    on = {"udp"} | {p for p in ("tcp", "tls") if general.get(f"{p}enable", "no") == "yes"}
    assert on == {"udp"}
    assert set(_device_transport(conf_dir, "2001").split(",")) <= on
    assert _device_transport(conf_dir, "2001") == "udp"


@pytest.mark.slow
def test_turning_tcp_on_rewrites_the_devices_and_reloads_chan_sip(committed, conf_dir, asterisk):
    committed(device_create, id="2001", tech="sip", settings={"secret": SECRET, "transport": "udp,tcp,tls"})
    run_sync()
    asterisk.reloads.clear()
    committed(sip_settings_update, sip_tcp=True)
    assert _device_transport(conf_dir, "2001") == "udp,tcp"
    assert ("tcpenable", "yes") in _items(conf_dir, SIP_GENERAL, "")
    run_sync()
    assert asterisk.reloads == ["chan_sip.so"], "PJSIP's files did not change"
    committed(sip_settings_update, sip_tls=True, **TLS_FILES)
    assert _device_transport(conf_dir, "2001") == "udp,tcp,tls"


def test_a_pjsip_device_names_its_transport_only_while_it_is_on(committed, conf_dir):
    committed(device_create, id="2002", tech="pjsip", settings={"secret": SECRET, "transport": "0.0.0.0-tcp"})
    assert "transport" not in dict(_items(conf_dir, "pjsip.endpoint.conf", "2002"))
    committed(sip_settings_update, pjsip_tcp=True, pjsip_tcp_port=5060)
    assert dict(_items(conf_dir, "pjsip.endpoint.conf", "2002"))["transport"] == "0.0.0.0-tcp"
    defined = parse_conf((conf_dir / PJSIP_TRANSPORTS).read_text()).section_names()
    assert defined == ["0.0.0.0-udp", "0.0.0.0-tcp"]


def test_pjsip_bound_to_one_address_sends_media_from_it_too(committed, conf_dir):
    committed(device_create, id="2002", tech="pjsip", settings={"secret": SECRET})
    endpoint = [k for k, _ in _items(conf_dir, "pjsip.endpoint.conf", "2002")]
    assert "media_address" not in endpoint and "bind_rtp_to_media_address" not in endpoint
    committed(sip_settings_update, pjsip_bind_address="192.0.2.10")
    items = _items(conf_dir, "pjsip.endpoint.conf", "2002")
    keys = [k for k, _ in items]
    at = keys.index("force_rport")
    assert items[at + 1 : at + 3] == [("media_address", "192.0.2.10"), ("bind_rtp_to_media_address", "yes")]
    assert parse_conf((conf_dir / PJSIP_TRANSPORTS).read_text()).section_names() == ["192.0.2.10-udp"]
    committed(sip_settings_update, pjsip_bind_address=EVERY_ADDRESS)
    assert "media_address" not in dict(_items(conf_dir, "pjsip.endpoint.conf", "2002"))


def test_nat_settings_reach_both_drivers(committed, conf_dir):
    committed(
        sip_settings_update,
        external_address="203.0.113.7",
        local_networks="192.168.0.0/16\r\n10.0.0.0/8, 172.16.0.0/12",
    )
    general = _items(conf_dir, SIP_GENERAL, "")
    assert ("externip", "203.0.113.7") in general
    assert [v for k, v in general if k == "localnet"] == ["192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12"]
    udp = _items(conf_dir, PJSIP_TRANSPORTS, "0.0.0.0-udp")
    assert ("external_media_address", "203.0.113.7") in udp
    assert ("external_signaling_address", "203.0.113.7") in udp
    assert [v for k, v in udp if k == "local_net"] == ["192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12"]
    assert [k for k, _ in udp][-6:] == ["allow_reload", "tos", "cos", "local_net", "local_net", "local_net"]
    committed(sip_settings_update, external_address="pbx.example.com")
    assert ("externhost", "pbx.example.com") in _items(conf_dir, SIP_GENERAL, "")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pjsip_udp_port": 5160}, "pjsip_udp_port"),
        ({"sip_tls": True}, "tls_cert_file"),
        ({"pjsip_udp": False}, "pjsip_udp"),
        ({"external_address": "pbx.example.com\n[evil]"}, "external_address"),
        ({"local_networks": "10.0.0.0/8 ;comment"}, "local_networks"),
        ({"tls_cert_file": "/etc/x.crt\x00", "sip_tls": True}, "tls_cert_file"),
        ({"sip_bind_address": "0.0.0.0:5060"}, "sip_bind_address"),
    ],
)
def test_it_refuses_settings_asterisk_could_not_load_and_keeps_the_old_ones(committed, fields, field):
    with pytest.raises(ValidationError) as caught:
        committed(sip_settings_update, **fields)
    assert field in caught.value.error_dict
    assert SipSettings.get().pjsip_udp_port == 5060 and not SipSettings.get().sip_tls
    assert not SyncChange.objects.exists()


TLS_FILES = {"tls_cert_file": "/etc/asterisk/keys/pbx.crt", "tls_key_file": "/etc/asterisk/keys/pbx.key"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"sip_port": 5060},
            {
                "sip_port": "Port 5060 (UDP) is also the PJSIP UDP port",
                "pjsip_udp_port": "Port 5060 (UDP) is also the chan_sip port (UDP and TCP)",
            },
        ),
        (
            {"pjsip_udp_port": 5160},
            {
                "pjsip_udp_port": "Port 5160 (UDP) is also the chan_sip port (UDP and TCP)",
                "sip_port": "Port 5160 (UDP) is also the PJSIP UDP port",
            },
        ),
        (
            {"sip_tcp": True, "pjsip_tcp": True, "pjsip_tcp_port": 5160},
            {
                "sip_port": "Port 5160 (TCP) is also the PJSIP TCP port",
                "pjsip_tcp_port": "Port 5160 (TCP) is also the chan_sip port (UDP and TCP)",
            },
        ),
        (
            {"sip_tls": True, "pjsip_tls": True, "sip_tls_port": 5061, **TLS_FILES},
            {
                "sip_tls_port": "Port 5061 (TCP) is also the PJSIP TLS port",
                "pjsip_tls_port": "Port 5061 (TCP) is also the chan_sip TLS port",
            },
        ),
    ],
)
def test_a_port_clash_is_shown_on_both_ports_each_naming_the_other(committed, fields, expected):
    with pytest.raises(ValidationError) as caught:
        committed(sip_settings_update, **fields)
    assert caught.value.message_dict == {
        field: [f"{message}: Asterisk cannot listen on it twice."] for field, message in expected.items()
    }


def test_a_port_is_shared_by_other_protocols_and_other_addresses(committed):
    committed(sip_settings_update, pjsip_tcp=True, pjsip_tcp_port=5060)
    committed(
        sip_settings_update, sip_bind_address="192.0.2.1", pjsip_bind_address="192.0.2.2", sip_port=5060
    )
    assert SipSettings.get().sip_port == 5060


def test_viewers_read_the_page_and_cannot_change_it(viewer_client):
    page = viewer_client.get("/settings/sip/")
    assert page.status_code == 200
    assert "<fieldset disabled>" in page.content.decode()
    assert viewer_client.post("/settings/sip/", {"sip_port": "5070"}).status_code == 403
    assert SipSettings.get().sip_port == 5160


@pytest.mark.slow
def test_an_administrator_changes_the_settings_from_the_page(
    administrator_client, conf_dir, django_capture_on_commit_callbacks
):
    page = administrator_client.get("/settings/sip/")
    form = page.context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value not in (None, False)
    }
    data.update(pjsip_tcp="on", local_networks="192.168.1.0/24\n10.0.0.0/8")
    with django_capture_on_commit_callbacks(execute=True):
        response = administrator_client.post("/settings/sip/", data)
    assert response.status_code == 302
    assert SipSettings.get().local_networks == "192.168.1.0/24 10.0.0.0/8"
    assert parse_conf((conf_dir / PJSIP_TRANSPORTS).read_text()).section_names() == [
        "0.0.0.0-udp",
        "0.0.0.0-tcp",
    ]


def test_a_port_clash_is_shown_under_the_port_the_administrator_changed(administrator_client):
    form = administrator_client.get("/settings/sip/").context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    response = administrator_client.post("/settings/sip/", {**data, "sip_port": "5060"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["sip_port"] == [
        "Port 5060 (UDP) is also the PJSIP UDP port: Asterisk cannot listen on it twice."
    ]
    assert "chan_sip port (UDP and TCP)" in errors["pjsip_udp_port"][0]
    assert "__all__" not in errors
    html = response.content.decode()
    under_the_input = html[html.index('id="id_sip_port_error"') :].split("</div>")[0]
    assert "Port 5060 (UDP) is also the PJSIP UDP port" in under_the_input
    assert SipSettings.get().sip_port == 5160
