"""With TCP and TLS on (chan_sip and PJSIP), the generated files still load with no warning about
them, every listener is there, and phones register over TCP."""

import pytest
from django.core.management import call_command

from asterisk.render.generate import FILE_SOURCE
from asterisk.testing.pbx import wait_for
from asterisk.tests.real.helpers import registered
from directory.devices.services import device_create
from directory.users.extensions import extension_create

pytestmark = pytest.mark.asterisk

# The module's Asterisk boots with these SIP settings (asterisk/testing/fixtures.py).
ASTERISK_SIP_SETTINGS = {"sip_tcp": True, "sip_tls": True, "pjsip_tcp": True, "pjsip_tls": True}


def test_files_load_with_tcp_and_tls_on_and_every_listener_is_up(pbx):
    mark = pbx.log_mark()
    extension_create(extension="2001", name="Ana", tech="pjsip", settings={"transport": "127.0.0.1-tcp"})
    extension_create(extension="2002", name="Bob", tech="sip", settings={"transport": "tcp,udp,tls"})
    extension_create(extension="2003", name="Cy", tech="pjsip")
    device_create(id="3001", tech="sip", devicetype="adhoc", description="Shared")
    call_command("asterisk_sync", "--full")
    pbx.cli("core show uptime")

    assert pbx.problems(since=mark, about=[*FILE_SOURCE, "2001", "2002", "2003", "3001"]) == []
    transports = pbx.cli("pjsip show transports")
    for protocol, port in (
        ("udp", pbx.ports.pjsip_udp),
        ("tcp", pbx.ports.pjsip_tcp),
        ("tls", pbx.ports.pjsip_tls),
    ):
        assert f"127.0.0.1-{protocol}" in transports
        assert f"127.0.0.1:{port}" in transports
    sip = " ".join(pbx.cli("sip show settings").split())
    assert f"TCP SIP Bindaddress: 127.0.0.1:{pbx.ports.sip}" in sip
    assert f"TLS SIP Bindaddress: 127.0.0.1:{pbx.ports.sip_tls}" in sip
    peer = " ".join(pbx.cli("sip show peer 2002").split())
    assert "Prim.Transp. : TCP Allowed.Trsp : UDP,TCP,TLS" in peer, peer


@pytest.mark.parametrize("device_id, tech", [("2001", "pjsip"), ("2002", "sip")])
def test_a_phone_registers_over_tcp(pbx, phone, device_id, tech):
    settings = {"transport": "127.0.0.1-tcp"} if tech == "pjsip" else {"transport": "tcp,udp"}
    extension_create(extension=device_id, name="Tee Cee", tech=tech, settings=settings)
    call_command("asterisk_sync", "--full")

    phone(device_id, transport="tcp")

    wait_for(lambda: registered(pbx, device_id, tech), f"{tech} {device_id} to register over TCP")
    if tech == "pjsip":
        assert ";transport=tcp" in pbx.cli(f"pjsip show aor {device_id}").lower()
    else:
        assert "TCP" in pbx.cli(f"sip show peer {device_id}")
