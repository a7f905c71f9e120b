"""Trunks and routes against a carrier: a second real Asterisk on loopback plays the carrier.

The carrier has an account for the office (`office`, the trunk's secret): it takes the trunk's
registration, answers every call with Echo() after noting the number and the caller ID it got
(`database show carrier`), and sends calls to the office's DIDs over the registration.
Everything is judged by what the two Asterisks report (CLI, AstDB, log), never by what
pbxadmin believes it wrote.
"""

import re

import pytest
from django.core.management import call_command

from asterisk.boundary import RegistrationState, trunk_registration_states
from asterisk.testing.pbx import PrivateAsterisk, free_ports, missing_reason, wait_for
from asterisk.tests.real.helpers import channel_details, no_channels, registered, wait_channel
from directory.connectivity import services as connectivity
from directory.devices.models import Device
from directory.devices.services import device_create, device_update
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_update

pytestmark = pytest.mark.asterisk

ACCOUNT = "office"
# The trunk's name in pbxadmin (its PJSIP endpoint's name at the office).
TRUNK_NAME = "carrier"
SECRET = "Carrier2secret9"
OUTSIDE_CALLER = '"Caller" <5559999>'


def _carrier_configs(ast: PrivateAsterisk, port: int, pbx_port: int, spoof_port: int) -> dict[str, str]:
    return {
        "sip.conf": f"[general]\nbindaddr=127.0.0.1\nbindport={ast.ports.sip}\n",
        "iax.conf": f"[general]\nbindaddr=127.0.0.1\nbindport={ast.ports.iax}\n",
        "pjsip.conf": f"""[transport-udp]
type=transport
protocol=udp
bind=127.0.0.1:{port}

; The office's account: it registers here, and is known by its address when it calls.
[{ACCOUNT}]
type=endpoint
context=carrier-in
disallow=all
allow=ulaw,alaw
aors={ACCOUNT}
auth={ACCOUNT}-auth
direct_media=no
rtp_symmetric=yes
force_rport=yes
rewrite_contact=yes

[{ACCOUNT}]
type=aor
max_contacts=1
remove_existing=yes

[{ACCOUNT}-auth]
type=auth
auth_type=userpass
username={ACCOUNT}
password={SECRET}

[{ACCOUNT}-identify]
type=identify
endpoint={ACCOUNT}
match=127.0.0.1:{pbx_port}

; Someone else on the network who claims to be the office's carrier: a call from another
; address (port) whose From user is the trunk's name, with no credentials.
[transport-spoof]
type=transport
protocol=udp
bind=127.0.0.1:{spoof_port}

[spoofer]
type=endpoint
transport=transport-spoof
context=carrier-in
disallow=all
allow=ulaw,alaw
from_user={TRUNK_NAME}
aors=spoofer

[spoofer]
type=aor
contact=sip:127.0.0.1:{pbx_port}
""",
        "voicemail.conf": "[general]\n",
        # Calls in: note the number and the caller ID, answer, echo. Calls out (to the office's
        # DIDs): from an outside caller, and the outcome noted.
        "extensions.conf": f"""[general]
static = yes
writeprotect = yes

[carrier-in]
exten => _[0-9+*#].,1,Set(DB(carrier/${{EXTEN}})=${{CALLERID(num)}})
 same => n,Set(DB(carrier-name/${{EXTEN}})=${{CALLERID(name)}})
 same => n,Answer()
 same => n,Echo()
 same => n,Hangup()

[carrier-dial]
exten => _[0-9*#].,1,Set(CALLERID(all)={OUTSIDE_CALLER})
 same => n,Dial(PJSIP/${{EXTEN}}@{ACCOUNT},30)
 same => n,Set(DB(carrier-dialstatus/${{EXTEN}})=${{DIALSTATUS}})
 same => n,Hangup()

[spoof-dial]
exten => _[0-9*#].,1,Set(CALLERID(all)={OUTSIDE_CALLER})
 same => n,Dial(PJSIP/${{EXTEN}}@spoofer,30)
 same => n,Set(DB(spoof-dialstatus/${{EXTEN}})=${{DIALSTATUS}})
 same => n,Hangup()
""",
    }


@pytest.fixture(scope="module")
def carrier(private_asterisk):
    if missing_reason():
        pytest.skip(missing_reason())
    port, spoof_port = free_ports(2)
    ast = PrivateAsterisk(name="carrier")
    for name, text in _carrier_configs(ast, port, private_asterisk.ports.pjsip_udp, spoof_port).items():
        (ast.etc / name).write_text(text)
    ast.sip_port = port
    try:
        ast.start()
        yield ast
    finally:
        ast.close()


@pytest.fixture
def office(pbx, carrier):
    """Ana (2001, PJSIP) with an outbound caller ID and an emergency caller ID; the carrier trunk
    registering with its secret; a dead trunk (nothing listens on its port)."""
    carrier.cli("database deltree carrier")
    carrier.cli("database deltree carrier-name")
    carrier.cli("database deltree carrier-dialstatus")
    extension_create(extension="2001", name="Ana Müller", tech="pjsip")
    user_update(user=PbxUser.objects.get(pk="2001"), outboundcid='"Ana Sales" <5551111>')
    device_update(device=Device.objects.get(pk="2001"), emergency_cid='"Ana desk 3" <5550911>')
    (dead_port,) = free_ports(1)
    dead = connectivity.trunk_create(name="dead", tech="pjsip", host="127.0.0.1", port=dead_port)
    trunk = connectivity.trunk_create(
        name=TRUNK_NAME,
        tech="pjsip",
        host="127.0.0.1",
        port=carrier.sip_port,
        username=ACCOUNT,
        secret=SECRET,
        register=True,
        outbound_cid="5550000",
    )
    call_command("asterisk_sync", "--full")
    wait_for(lambda: _registered_at_carrier(carrier), "the trunk to register at the carrier")
    return {"carrier": trunk, "dead": dead}


def _registered_at_carrier(carrier) -> bool:
    contacts = carrier.cli(f"pjsip show contacts like {ACCOUNT}")
    return re.search(rf"Contact:\s+{ACCOUNT}/sip:{ACCOUNT}@127\.0\.0\.1", contacts) is not None


def _carrier_got(carrier, number: str) -> tuple[str, str] | None:
    """The caller ID number and name the carrier noted for a call to `number`, once it did."""
    got = carrier.database("carrier")
    if f"carrier/{number}" not in got:
        return None
    return got[f"carrier/{number}"], carrier.database("carrier-name").get(f"carrier-name/{number}", "")


def _call_out(pbx, carrier, phone, number: str, sent: str | None = None) -> tuple[str, str]:
    """Ana dials `number`; the caller ID (number, name) the carrier noted for `sent` (what the
    route sends: `number` unless said)."""
    handset = phone("2001")
    wait_for(lambda: registered(pbx, "2001", "pjsip"), "Ana's phone to register")
    handset.dial(number)
    handset.wait_event("CALL_ESTABLISHED")  # the carrier answered (Echo)
    sent = sent or number
    got = wait_for(lambda: _carrier_got(carrier, sent), f"the carrier to note {sent}")
    handset.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")
    return got


def test_the_trunk_registers_and_the_list_says_so(pbx, carrier, office, service):
    assert "Registered" in pbx.cli("pjsip show registrations")
    service("ami_events", "--max-delay", "2")
    trunk = office["carrier"]
    wait_for(
        lambda: trunk_registration_states([trunk])[trunk.pk].state == RegistrationState.REGISTERED,
        "the status selector to say registered",
    )
    # A trunk that does not register says so, rather than "unknown".
    assert trunk_registration_states([office["dead"]])[office["dead"].pk].state == ""


def test_a_call_out_reaches_the_carrier_with_the_users_outbound_caller_id(pbx, carrier, office, phone):
    connectivity.outbound_route_create(
        name="Local",
        patterns=[{"prefix": "9", "match": "NXXXXXX"}],
        trunks=[office["carrier"]],
    )
    number, name = _call_out(pbx, carrier, phone, "95554321", sent="5554321")
    # The prefix 9 is taken off; the user's outbound CID beats the trunk's (not forced).
    assert (number, name) == ("5551111", "Ana Sales")


def test_a_trunk_that_forces_its_caller_id_sends_it_instead_of_the_users(pbx, carrier, office, phone):
    trunk = connectivity.trunk_update(
        trunk=office["carrier"], force_cid=True, outbound_cid='"Acme" <5550000>'
    )
    connectivity.outbound_route_create(name="Local", patterns=[{"match": "NXXXXXX"}], trunks=[trunk])
    assert _call_out(pbx, carrier, phone, "5554321") == ("5550000", "Acme")


def test_when_the_first_trunk_is_down_the_second_carries_the_call(pbx, carrier, office, phone):
    dead = office["dead"]
    connectivity.outbound_route_create(
        name="Failover", patterns=[{"match": "NXXXXXX"}], trunks=[dead, office["carrier"]]
    )
    # Asterisk qualifies the dead trunk's address and finds nobody there.
    wait_for(
        lambda: (
            "Unavail"
            in pbx.cli(f"pjsip qualify {dead.name}") + pbx.cli(f"pjsip show contacts like {dead.name}")
        ),
        "Asterisk to find the dead trunk unreachable",
    )
    mark = pbx.log_mark()
    assert _call_out(pbx, carrier, phone, "5557777")[0] == "5551111"
    log = pbx.log_since(mark)
    assert f"outbound-trunk-{dead.pk}" in log and f"outbound-trunk-{office['carrier'].pk}" in log


def test_an_emergency_call_carries_the_devices_emergency_caller_id(pbx, carrier, office, phone):
    connectivity.outbound_route_create(
        name="Emergency", patterns=[{"match": "911"}], trunks=[office["carrier"]], emergency=True
    )
    assert _call_out(pbx, carrier, phone, "911") == ("5550911", "Ana desk 3")


def test_a_hot_desk_nobody_is_logged_into_can_still_call_the_emergency_route(pbx, carrier, office, phone):
    device_create(id="3001", tech="pjsip", devicetype="adhoc", emergency_cid="5550912")
    call_command("asterisk_sync", "--full")
    connectivity.outbound_route_create(
        name="Emergency", patterns=[{"match": "911"}], trunks=[office["carrier"]], emergency=True
    )
    handset = phone("3001")
    wait_for(lambda: registered(pbx, "3001", "pjsip"), "the hot-desk phone to register")
    handset.dial("911")
    handset.wait_event("CALL_ESTABLISHED")
    assert wait_for(lambda: _carrier_got(carrier, "911"), "the carrier to note 911")[0] == "5550912"
    handset.hangup()


def test_a_call_from_the_carrier_to_a_did_rings_the_user_with_the_prefix(pbx, carrier, office, phone):
    connectivity.inbound_route_create(
        did="5551000", destination="user", user=PbxUser.objects.get(pk="2001"), cid_name_prefix="Sales: "
    )
    handset = phone("2001")
    wait_for(lambda: registered(pbx, "2001", "pjsip"), "Ana's phone to register")

    carrier.cli("channel originate Local/5551000@carrier-dial application Wait 20")

    ringing = wait_channel(pbx, "PJSIP/2001-", "Ringing")
    seen = channel_details(pbx, ringing["channel"])
    assert seen["Connected Line ID"] == "5559999"
    assert seen["Connected Line ID Name"] == "Sales: Caller"
    incoming = handset.wait_event("CALL_INCOMING")
    assert "Sales: Caller" in str(incoming)
    handset.hangup()


@pytest.mark.parametrize("number", ["2001", "*97", "95554321"])
def test_a_call_from_the_carrier_to_an_extension_a_feature_code_or_out_again_is_refused(
    pbx, carrier, office, phone, number
):
    # Everything an inside caller could reach: Ana's number, her voicemail, an outbound route.
    connectivity.outbound_route_create(
        name="Local", patterns=[{"prefix": "9", "match": "NXXXXXX"}], trunks=[office["carrier"]]
    )
    handset = phone("2001")
    wait_for(lambda: registered(pbx, "2001", "pjsip"), "Ana's phone to register")
    mark = pbx.log_mark()

    carrier.cli(f"channel originate Local/{number}@carrier-dial application Wait 5")

    status = wait_for(
        lambda: carrier.database("carrier-dialstatus").get(f"carrier-dialstatus/{number}"),
        "the carrier's call to end",
    )
    assert status != "ANSWER"
    log = pbx.log_since(mark)
    assert "from-trunk" in log and "rejected because extension not found" in log
    assert not handset.events("CALL_INCOMING")
    # Nothing went out again: the carrier got no call back.
    assert _carrier_got(carrier, "5554321") is None


@pytest.mark.parametrize("number", ["2001", "*97"])
def test_with_a_catch_all_route_a_carriers_call_to_an_extension_or_a_feature_code_goes_to_the_catch_all(
    pbx, carrier, office, phone, number
):
    # A catch-all takes every number the carrier sends, and sends it only where it says (here:
    # hang up): never to the extension or the feature code the number happens to be inside.
    connectivity.inbound_route_create(did="", destination="hangup", description="Anything else")
    handset = phone("2001")
    wait_for(lambda: registered(pbx, "2001", "pjsip"), "Ana's phone to register")
    mark = pbx.log_mark()

    carrier.cli(f"channel originate Local/{number}@carrier-dial application Wait 5")

    status = wait_for(
        lambda: carrier.database("carrier-dialstatus").get(f"carrier-dialstatus/{number}"),
        "the carrier's call to end",
    )
    assert status != "ANSWER"
    log = pbx.log_since(mark)
    # The catch-all's steps, as Asterisk ran them (an included context's steps are logged
    # under the context the call is in).
    assert f'"__FROM_DID={number}"' in log and f"Executing [{number}@from-trunk:2] Hangup(" in log
    assert "VoiceMailMain" not in log and "sub-dial-user" not in log
    assert not handset.events("CALL_INCOMING")


def test_a_call_that_only_claims_the_trunks_name_is_refused(pbx, carrier, office, phone):
    # A From user equal to the trunk's endpoint name, from an address the trunk does not match,
    # with no credentials: Asterisk's default identify_by (username,ip) would take it as the
    # carrier, into the inbound routes and on to whatever they reach.
    connectivity.inbound_route_create(did="5551000", destination="user", user=PbxUser.objects.get(pk="2001"))
    handset = phone("2001")
    wait_for(lambda: registered(pbx, "2001", "pjsip"), "Ana's phone to register")
    carrier.cli("database deltree spoof-dialstatus")

    carrier.cli("channel originate Local/5551000@spoof-dial application Wait 5")

    status = wait_for(
        lambda: carrier.database("spoof-dialstatus").get("spoof-dialstatus/5551000"),
        "the spoofed call to end",
    )
    assert status != "ANSWER"
    assert not handset.events("CALL_INCOMING")


def test_every_technologys_trunk_and_the_routes_load_without_a_warning(pbx, carrier):
    """chan_sip and IAX2 trunks too (the calls above are PJSIP's): their peers and register lines
    load, and the routes' dialplan with them, with no WARNING or ERROR about our files or names."""
    from asterisk import sync
    from asterisk.files import write_all_files
    from asterisk.render.generate import FILE_SOURCE

    (nobody,) = free_ports(1)
    trunks = [
        connectivity.trunk_create(
            name=f"load-{tech}",
            tech=tech,
            host="127.0.0.1",
            port=nobody,
            username="acct",
            secret="Abc12345",
            register=True,
            max_channels=2,
            outbound_cid="5550000",
            force_cid=True,
            dial_rules=[{"prepend": "1", "match": "NXXNXXXXXX"}, {"prefix": "0", "match": "X."}],
        )
        for tech in ("pjsip", "sip", "iax2")
    ]
    connectivity.outbound_route_create(
        name="All", patterns=[{"prefix": "9", "match": "X.", "callerid": "2XXX"}], trunks=trunks, pin="2468"
    )
    connectivity.inbound_route_create(destination="hangup")
    mark = pbx.log_mark()
    write_all_files()
    sync.run_sync()
    pbx.cli("core show uptime")

    names = [*FILE_SOURCE, "outrt-", "outbound-trunk-", "ext-did-", "from-trunk", "from-pstn", "load-"]
    assert pbx.problems(since=mark, about=names) == []
    assert "load-pjsip" in pbx.cli("pjsip show registrations")
    assert "acct" in pbx.cli("sip show registry")
    assert "acct" in pbx.cli("iax2 show registry")
    assert "from-trunk" in pbx.cli("sip show peer load-sip")
    assert "from-trunk" in pbx.cli("iax2 show peer load-iax2")
    assert "outrt-" in pbx.cli("dialplan show outbound-allroutes")
