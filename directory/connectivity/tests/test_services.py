"""The connectivity services: trunks, outbound routes, inbound routes (directory/connectivity/services.py)."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import Entry
from directory.connectivity import services as s
from directory.connectivity.models import InboundRoute, OutboundRoute, Trunk
from directory.users.services import user_create
from directory.versions import StaleVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def carrier(committed):
    return committed(
        s.trunk_create, name="carrier", tech="pjsip", host="sip.example.net", username="office", register=True
    )


@pytest.fixture
def backup(committed):
    return committed(s.trunk_create, name="backup", tech="sip", host="backup.example.net")


def test_a_registering_trunk_gets_a_strong_secret_from_the_csprng(carrier):
    assert len(carrier.secret) == 32 and carrier.secret.isalnum()


def test_regen_makes_a_new_secret_and_a_blank_one_keeps_it(committed, carrier):
    kept = committed(s.trunk_update, trunk=carrier, secret="", host="sip2.example.net")
    assert kept.secret == carrier.secret
    renewed = committed(s.trunk_update, trunk=kept, secret="REGEN")
    assert renewed.secret != carrier.secret and len(renewed.secret) == 32


def test_a_trunk_that_registers_needs_a_username(committed):
    with pytest.raises(ValidationError) as caught:
        committed(s.trunk_create, name="x", tech="pjsip", host="h.example", register=True)
    assert "register" in caught.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "1234"),
        ("name", "general"),
        ("name", "bad name"),
        ("host", "evil.example\n[x]"),
        ("host", "a;b"),
        ("username", "a@b"),
        ("secret", "abc:def@ghi"),
        ("secret", "abc;def"),
        ("outbound_cid", '"Acme, Inc" <5551000>'),
        ("outbound_cid", "Acme $(x) <5551000>"),
        ("codecs", "ulaw,evil"),
        ("port", 70000),
        ("max_channels", 5000),
    ],
)
def test_a_trunk_refuses_what_could_break_a_file_or_a_dialplan_line(committed, field, value):
    fields = {"name": "carrier", "tech": "sip", "host": "sip.example.net", field: value}
    with pytest.raises(ValidationError) as caught:
        committed(s.trunk_create, **fields)
    assert field in caught.value.message_dict
    assert not Trunk.objects.exists()


@pytest.mark.parametrize(
    "rule",
    [
        {"prefix": "9", "match": "NXX,1"},
        {"prefix": "9", "match": "X)"},
        {"prefix": "9.", "match": "X"},
        {"prepend": "1X", "match": "X."},
        {"match": "X.X"},
        {"match": "[2-9"},
        {"match": "1\n2"},
        {"match": "X", "bogus": "1"},
    ],
)
def test_dial_rules_are_pattern_characters_only(committed, rule):
    with pytest.raises(ValidationError) as caught:
        committed(s.trunk_create, name="t", tech="sip", host="h.example", dial_rules=[rule])
    assert "dial_rules" in caught.value.message_dict


def test_a_trunk_change_names_only_the_files_that_read_it(committed, carrier, monkeypatch):
    from asterisk import outbox

    recorded = []
    monkeypatch.setattr(outbox, "_record_files", recorded.append)
    committed(s.trunk_update, trunk=carrier, max_channels=3)
    committed(s.trunk_update, trunk=Trunk.objects.get(pk=carrier.pk), host="sip3.example.net")
    # The channel limit is the dialplan's alone: no PJSIP file moves, res_pjsip is not reloaded.
    assert recorded[0] == {"extensions_additional.conf"}
    # The host is the PJSIP files' alone: the 10,000-user dialplan is not rendered again.
    assert recorded[1] == {
        "pjsip.endpoint.conf",
        "pjsip.aor.conf",
        "pjsip.auth.conf",
        "pjsip.registration.conf",
        "pjsip.identify.conf",
    }


def test_a_trunk_in_a_route_cannot_be_deleted(committed, carrier):
    committed(s.outbound_route_create, name="Local", patterns=[{"match": "NXXXXXX"}], trunks=[carrier])
    with pytest.raises(ValidationError, match="Local"):
        committed(s.trunk_delete, trunk=carrier)
    assert Trunk.objects.filter(pk=carrier.pk).exists()


def test_every_change_is_in_the_audit_log_with_the_secret_hidden(committed, carrier):
    committed(s.trunk_update, trunk=carrier, secret="REGEN")
    entry = Entry.objects.filter(object_type="trunk", action="changed").get()
    assert entry.changes == {"secret": "changed"}
    created = Entry.objects.filter(object_type="trunk", action="created").get()
    assert created.changes["secret"] == "changed"
    assert carrier.secret not in str(created.changes)


def test_a_stale_trunk_update_is_refused(committed, carrier):
    read = s.trunk_version(carrier)
    committed(s.trunk_update, trunk=carrier, expected_version=read, max_channels=4)
    with pytest.raises(StaleVersion):
        committed(s.trunk_update, trunk=carrier, expected_version=read, max_channels=5)


def test_routes_are_ordered_and_reordered(committed, carrier, backup):
    a = committed(s.outbound_route_create, name="A", patterns=[{"match": "1NXX."}], trunks=[carrier])
    b = committed(
        s.outbound_route_create, name="B", patterns=[{"prefix": "9", "match": "X."}], trunks=[backup.pk]
    )
    assert [r.name for r in OutboundRoute.objects.all()] == ["A", "B"]
    committed(s.outbound_routes_reorder, routes=[b, a])
    assert [r.name for r in OutboundRoute.objects.all()] == ["B", "A"]
    with pytest.raises(ValidationError):
        committed(s.outbound_routes_reorder, routes=[b])


def test_a_route_keeps_its_trunk_sequence_in_order(committed, carrier, backup):
    route = committed(
        s.outbound_route_create, name="Out", patterns=[{"match": "X."}], trunks=[backup, carrier]
    )
    assert [t.name for t in route.trunk_sequence()] == ["backup", "carrier"]
    route = committed(s.outbound_route_update, route=route, trunks=[carrier, backup])
    assert [t.name for t in route.trunk_sequence()] == ["carrier", "backup"]
    entry = Entry.objects.filter(object_type="out_route", action="changed").get()
    assert entry.changes == {"trunk order": [["backup", "carrier"], ["carrier", "backup"]]}


def test_an_emergency_route_never_has_a_pin(committed, carrier):
    with pytest.raises(ValidationError) as caught:
        committed(
            s.outbound_route_create,
            name="911",
            patterns=[{"match": "911"}],
            trunks=[carrier],
            emergency=True,
            pin="1234",
        )
    assert "pin" in caught.value.message_dict
    route = committed(
        s.outbound_route_create, name="Intl", patterns=[{"match": "011X."}], trunks=[carrier], pin="4321"
    )
    route = committed(s.outbound_route_update, route=route, emergency=True)
    assert route.pin == ""


def test_a_route_needs_a_pattern_and_a_trunk(committed):
    with pytest.raises(ValidationError) as caught:
        committed(s.outbound_route_create, name="Empty", patterns=[], trunks=[])
    assert {"patterns", "trunks"} <= set(caught.value.message_dict)


def test_inbound_routes_point_at_users_and_a_did_is_routed_once(committed):
    ann = committed(user_create, extension="2001", name="Ann", voicemail="default")
    bo = committed(user_create, extension="2002", name="Bo")
    committed(s.inbound_route_create, did="5551000", destination="user", user=ann, cid_name_prefix="Sales: ")
    with pytest.raises(ValidationError) as caught:
        committed(s.inbound_route_create, did="5551000", destination="hangup")
    assert caught.value.error_dict["did"][0].code == "in_use"
    with pytest.raises(ValidationError) as caught:
        committed(s.inbound_route_create, did="5552000", destination="voicemail", user=bo)
    assert "user" in caught.value.message_dict
    catch_all = committed(s.inbound_route_create, destination="hangup", user=ann)
    assert catch_all.is_catch_all and catch_all.user is None
    assert InboundRoute.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("did", "555,1000"),
        ("did", "5551000)"),
        ("cid", "_X.;"),
        ("cid_name_prefix", "Sales${X}"),
        ("cid_name_prefix", "a,b"),
    ],
)
def test_an_inbound_route_refuses_what_could_break_a_dialplan_line(committed, field, value):
    with pytest.raises(ValidationError) as caught:
        committed(s.inbound_route_create, destination="hangup", **{"did": "5551000", field: value})
    assert field in caught.value.message_dict


def test_an_iax2_trunk_without_a_secret_needs_its_host_as_an_address():
    from django.core.exceptions import ValidationError

    from directory.connectivity.services import trunk_create

    with pytest.raises(ValidationError) as refused:
        trunk_create(name="branch", tech="iax2", host="pbx.example.net")
    assert "IAX2 trunk needs a secret" in str(refused.value)
    assert trunk_create(name="branch", tech="iax2", host="192.0.2.7").pk
    assert trunk_create(name="other", tech="iax2", host="pbx.example.net", secret="Str0ngEnough-iax2").pk


def test_guest_is_not_a_trunk_name():
    from django.core.exceptions import ValidationError

    from directory.connectivity.services import trunk_create

    with pytest.raises(ValidationError, match="keep for themselves"):
        trunk_create(name="guest", tech="iax2", host="192.0.2.7")


def test_a_pattern_of_a_lone_dot_is_refused_and_one_after_a_prefix_is_taken():
    from directory.connectivity.services import outbound_route_create, trunk_create

    trunk = trunk_create(name="carrier", tech="pjsip", host="192.0.2.8")
    with pytest.raises(ValidationError, match="needs something before it"):
        outbound_route_create(name="Any", patterns=[{"match": "."}], trunks=[trunk])
    assert outbound_route_create(name="Out", patterns=[{"prefix": "9", "match": "."}], trunks=[trunk]).pk


def test_a_route_pin_and_a_trunk_secret_are_removed_by_none_and_kept_by_a_blank():
    from directory.connectivity.services import (
        outbound_route_create,
        outbound_route_update,
        trunk_create,
        trunk_update,
    )

    trunk = trunk_create(
        name="carrier", tech="pjsip", host="192.0.2.8", username="acct", secret="Str0ng-secret-1"
    )
    route = outbound_route_create(name="Out", patterns=[{"match": "X."}], trunks=[trunk], pin="4321")
    assert outbound_route_update(route=route, pin="").pin == "4321"
    assert outbound_route_update(route=route, pin=None).pin == ""
    assert trunk_update(trunk=trunk, secret="").secret == "Str0ng-secret-1"
    assert trunk_update(trunk=trunk, secret=None).secret == ""
    # On the audit log: the trunk's creation and the secret's removal (the blank changed nothing).
    assert [
        str(e).split(" System ")[1] for e in Entry.objects.filter(object_type="trunk").order_by("pk")
    ] == [
        "Created Trunk carrier (PJSIP)",
        "Changed Trunk carrier (PJSIP)",
    ]


def test_a_trunk_lives_on_the_default_server_unless_another_is_named():
    from directory.servers.current import default
    from directory.servers.services import server_create

    trunk = s.trunk_create(name="carrier", tech="pjsip", host="sip.example.net")
    assert trunk.server == default()
    branch = server_create(name="branch-1", ami_host="192.0.2.10")
    moved = s.trunk_update(trunk=trunk, server="branch-1")
    assert Trunk.objects.get(pk=trunk.pk).server == branch
    assert moved.server == branch
    with pytest.raises(ValidationError) as raised:
        s.trunk_create(name="other", tech="pjsip", host="sip.example.net", server="nowhere")
    assert "server" in raised.value.message_dict
    assert s.trunk_create(name="third", tech="sip", host="sip.example.net", server=branch).server == branch
