"""The routes' dialplan (asterisk/render/connectivity/routes.py)."""

import re

import pytest

from asterisk.render.connectivity.routes import inbound_route_preview_text, outbound_route_preview_text
from asterisk.render.dialplan import render_dialplan, static_part
from directory.connectivity import services as s
from directory.secrets import MASK
from directory.users.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def trunks():
    return (
        s.trunk_create(name="first", tech="pjsip", host="a.example", outbound_cid='"Acme" <5550000>'),
        s.trunk_create(
            name="second",
            tech="sip",
            host="b.example",
            max_channels=2,
            force_cid=True,
            outbound_cid="5550001",
            dial_rules=[{"prepend": "1", "match": "NXXNXXXXXX"}],
        ),
    )


def _context(text: str, name: str) -> str:
    """The lines of one context, up to the next one."""
    match = re.search(rf"^\[{re.escape(name)}\][^\n]*\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
    assert match, f"no [{name}] in the dialplan"
    return match.group(1)


def test_a_route_takes_its_patterns_strips_the_prefix_and_tries_its_trunks_in_order(trunks):
    first, second = trunks
    route = s.outbound_route_create(
        name="Local",
        patterns=[
            {"prefix": "9", "match": "NXXXXXX"},
            {"prepend": "1", "match": "NXXNXXXXXX", "callerid": "20XX"},
        ],
        trunks=[first, second],
        route_cid="Acme Sales <5551000>",
    )
    text = outbound_route_preview_text(route_id=route.pk, pin_shown=True)
    assert (
        f"exten => _9NXXXXXX,1,Set(OUTNUM=${{EXTEN:1}})\n same => n,Gosub(outrt-{route.pk}-call,s,1())"
        in text
    )
    assert "exten => _NXXNXXXXXX/_20XX,1,Set(OUTNUM=1${EXTEN:0})" in text
    call = _context(text, f"outrt-{route.pk}-call")
    assert call.index(f"outbound-trunk-{first.pk},s,1") < call.index(f"outbound-trunk-{second.pk},s,1")
    assert (
        call.count('GotoIf($["${DIALSTATUS}" != "CHANUNAVAIL" & "${DIALSTATUS}" != "CONGESTION"]?done)') == 2
    )
    assert "Set(ROUTECIDNAME=Acme Sales)" in call and "Set(ROUTECIDNUM=5551000)" in call
    assert "Set(EMERGENCYROUTE=NO)" in call and "Authenticate" not in call


def test_a_trunk_applies_its_rules_its_limit_and_its_caller_id(trunks):
    _first, second = trunks
    text = static_part(render_dialplan())
    sub = _context(text, f"outbound-trunk-{second.pk}")
    assert f"GotoIf($[${{GROUP_COUNT({second.pk}@outbound-trunks)}} >= 2]?full)" in sub
    assert "Set(TRUNKFORCECID=YES)" in sub and "Set(TRUNKCIDNUM=5550001)" in sub
    assert "Dial(SIP/second/${TRUNKNUM},300)" in sub
    rules = _context(text, f"outbound-trunk-{second.pk}-rules")
    assert "exten => _NXXNXXXXXX,1,Set(TRUNKNUM=1${EXTEN:0})" in rules


def test_the_route_pin_is_asked_and_masked_in_a_viewers_preview(trunks):
    route = s.outbound_route_create(
        name="Intl", patterns=[{"match": "011X."}], trunks=[trunks[0]], pin="4321"
    )
    assert "Authenticate(4321)" in outbound_route_preview_text(route_id=route.pk, pin_shown=True)
    masked = outbound_route_preview_text(route_id=route.pk, pin_shown=False)
    assert f"Authenticate({MASK})" in masked and "4321" not in masked


def test_an_emergency_route_marks_its_calls(trunks):
    route = s.outbound_route_create(
        name="911", patterns=[{"match": "911"}], trunks=[trunks[0]], emergency=True
    )
    assert "Set(EMERGENCYROUTE=YES)" in outbound_route_preview_text(route_id=route.pk, pin_shown=True)
    text = static_part(render_dialplan())
    sub = _context(text, "sub-outbound-callerid")
    assert "DB(DEVICE/${CALLINGDEVICE}/emergency_cid)" in sub and "CHANNEL(endpoint)" in sub


def test_emergency_routes_come_first_so_no_earlier_route_asks_their_calls_for_a_pin(trunks):
    anything = s.outbound_route_create(name="Any", patterns=[{"match": "X."}], trunks=[trunks[0]], pin="4321")
    local = s.outbound_route_create(name="Local", patterns=[{"match": "NXXXXXX"}], trunks=[trunks[0]])
    emergency = s.outbound_route_create(
        name="911", patterns=[{"match": "911"}], trunks=[trunks[0]], emergency=True
    )
    text = static_part(render_dialplan())
    included = re.findall(r"include => (outrt-\d+)", _context(text, "outbound-allroutes"))
    assert included == [f"outrt-{r.pk}" for r in (emergency, anything, local)]


def test_outbound_routes_are_reached_from_the_internal_context_only(trunks):
    s.outbound_route_create(name="Any", patterns=[{"match": "X."}], trunks=[trunks[0]])
    text = static_part(render_dialplan())
    contexts = dict(re.findall(r"^\[([^\]]+)\][^\n]*\n(.*?)(?=^\[|\Z)", text, re.S | re.M))
    assert [name for name, body in contexts.items() if "include => outbound-allroutes" in body] == [
        "from-internal-additional"
    ]
    assert _context(text, "from-trunk").strip() == "include => from-pstn"


def test_inbound_routes_are_ordered_most_specific_first():
    ann = user_create(extension="2001", name="Ann", voicemail="default")
    catch_all = s.inbound_route_create(destination="hangup")
    pattern = s.inbound_route_create(did="_5551XXX", destination="voicemail", user=ann)
    exact = s.inbound_route_create(did="5551000", destination="user", user=ann, cid_name_prefix="Sales: ")
    with_cid = s.inbound_route_create(did="5551000", cid="5559999", destination="hangup")
    text = static_part(render_dialplan())
    order = re.findall(r"include => ext-did-(\d+)", _context(text, "from-pstn"))
    assert order == [str(r.pk) for r in (with_cid, exact, pattern, catch_all)]
    assert "exten => 5551000/5559999,1," in text
    route = inbound_route_preview_text(route_id=exact.pk)
    assert "Set(CALLERID(name)=Sales: ${INCIDNAME})" in route
    assert "Gosub(sub-dial-user,s,1(2001,from-internal))" in route
    assert "Gosub(sub-vm-direct,s,1(2001))" in inbound_route_preview_text(route_id=pattern.pk)
    catch = inbound_route_preview_text(route_id=catch_all.pk)
    assert (
        "exten => _[A-Za-z0-9+*#].,1," in catch
        and "exten => s,1," in catch
        and "_." not in catch.replace("#].", "")
    )


def test_a_route_change_names_the_dialplan_alone(trunks, monkeypatch):
    from asterisk import outbox

    recorded = []
    monkeypatch.setattr(outbox, "_record_files", recorded.append)
    s.outbound_route_create(name="Any", patterns=[{"match": "X."}], trunks=[trunks[0]])
    s.inbound_route_create(did="5551000", destination="hangup")
    assert recorded == [{"extensions_additional.conf"}, {"extensions_additional.conf"}]


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        ("outbound", "patterns", [{"prepend": "1,2", "prefix": "", "match": "X.", "callerid": ""}]),
        ("outbound", "patterns", [{"prepend": "", "prefix": "", "match": "X)\nexten", "callerid": ""}]),
        ("outbound", "name", "Any\n[from-trunk]\ninclude => from-internal"),
        ("outbound", "pin", "1234)"),
        ("inbound", "did", "5551000,1,Goto(from-internal"),
        # Within the column's 20 characters (PostgreSQL refuses a longer one before the writer sees it).
        ("inbound", "cid_name_prefix", "x)\nexten=>s,1,Dial("),
    ],
)
def test_the_dialplan_writer_refuses_what_got_past_the_services(trunks, model, field, value):
    """Rows changed around the services: the routes' writer has its own guard."""
    from asterisk.render.conf import ConfInjectionError
    from directory.connectivity.models import InboundRoute, OutboundRoute

    if model == "outbound":
        route = s.outbound_route_create(name="Any", patterns=[{"match": "X."}], trunks=[trunks[0]])
        OutboundRoute.objects.filter(pk=route.pk).update(**{field: value})
    else:
        route = s.inbound_route_create(did="5551000", destination="hangup")
        InboundRoute.objects.filter(pk=route.pk).update(**{field: value})
    with pytest.raises(ConfInjectionError):
        render_dialplan()


def test_from_trunk_reaches_the_inbound_routes_and_nothing_else(trunks):
    """Toll fraud: what a carrier's call can reach, following every include from from-trunk."""
    ann = user_create(extension="2001", name="Ann", voicemail="default")
    s.outbound_route_create(name="Any", patterns=[{"match": "X."}], trunks=[trunks[0]])
    s.inbound_route_create(did="5551000", destination="user", user=ann)
    s.inbound_route_create(destination="hangup")
    text = static_part(render_dialplan())
    contexts = dict(re.findall(r"^\[([^\]]+)\][^\n]*\n(.*?)(?=^\[|\Z)", text, re.S | re.M))
    reached, todo = set(), ["from-trunk"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += re.findall(r"^include => (\S+)", contexts.get(name, ""), re.M)
    assert {c for c in reached if not c.startswith("ext-did-")} == {"from-trunk", "from-pstn"}
    bodies = "".join(contexts[c] for c in reached)
    assert "from-internal" not in bodies.replace("sub-dial-user,s,1(2001,from-internal)", "")
    assert not re.search(r"exten => _?\*", bodies), "no feature code"
    assert "outbound-allroutes" not in bodies and "outrt-" not in bodies and "ext-local" not in bodies
