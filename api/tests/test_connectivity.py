"""Trunks, outbound routes and inbound routes through DRF's client: roles, the services' refusals
all at once, write-only secrets, versions (ETag / If-Match), the routes' order."""

import pytest

from audit.models import Entry, Via
from directory.connectivity.models import InboundRoute, OutboundRoute, Trunk
from directory.users.services import user_create

pytestmark = pytest.mark.django_db

TRUNKS = "/api/v1/trunks/"
OUTBOUND = "/api/v1/outbound-routes/"
INBOUND = "/api/v1/inbound-routes/"
SECRET = "Api7Trunk5Secret"


def make_trunk(api, name="carrier", **fields):
    body = {
        "name": name,
        "tech": "pjsip",
        "host": "127.0.0.1",
        "username": "office",
        "secret": SECRET,
        **fields,
    }
    response = api.post(TRUNKS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def make_route(api, trunks, name="National", **fields):
    body = {"name": name, "patterns": [{"prefix": "9", "match": "NXXNXXXXXX"}], "trunks": trunks, **fields}
    response = api.post(OUTBOUND, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize("url", [TRUNKS, OUTBOUND, INBOUND])
def test_anonymous_requests_get_401_and_viewers_read(anonymous_api, viewer_api, url):
    assert anonymous_api.get(url).status_code == 401
    assert viewer_api.get(url).status_code == 200


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (TRUNKS, {"name": "x", "tech": "sip", "host": "h"}),
        (OUTBOUND, {"name": "x", "patterns": [], "trunks": []}),
        (f"{OUTBOUND}order/", {"routes": []}),
        (INBOUND, {"did": "1", "destination": "hangup"}),
    ],
)
def test_viewers_get_403_on_every_write(viewer_api, url, body):
    assert viewer_api.post(url, body, format="json").status_code == 403
    assert not Trunk.objects.exists() and not InboundRoute.objects.exists()


def test_a_trunk_is_created_through_the_service_and_its_secret_is_write_only(admin_api):
    made = make_trunk(admin_api, register=True, dial_rules=[{"prepend": "1", "match": "NXXNXXXXXX"}])
    assert "secret" not in made
    assert made["registration"]["state"] == "unknown"
    assert made["dial_rules"] == [{"prepend": "1", "prefix": "", "match": "NXXNXXXXXX"}]
    assert Trunk.objects.get().secret == SECRET
    read = admin_api.get(f"{TRUNKS}{made['id']}/")
    assert "secret" not in read.json() and read["ETag"]
    assert admin_api.get(f"{TRUNKS}{made['id']}/?include_secrets=true").json()["secret"] == SECRET
    entry = Entry.objects.get(object_type="trunk", action="created")
    assert (entry.via, entry.person) == (Via.API, "alice-admin")


def test_viewers_never_read_a_trunk_secret(admin_api, viewer_api):
    made = make_trunk(admin_api)
    assert SECRET not in viewer_api.get(TRUNKS).content.decode()
    assert viewer_api.get(f"{TRUNKS}{made['id']}/?include_secrets=true").status_code == 403


def test_every_problem_is_reported_at_once(admin_api):
    make_trunk(admin_api)
    response = admin_api.post(
        TRUNKS,
        {
            "name": "carrier",
            "tech": "pjsip",
            "host": "bad host",
            "port": 70000,
            "dial_rules": [{"match": "1;Hangup"}],
            "nosuch": 1,
        },
        format="json",
    )
    assert response.status_code in (400, 409)
    assert {"name", "host", "port", "dial_rules", "nosuch"} <= set(response.json())
    assert Trunk.objects.count() == 1


def test_a_change_from_an_old_read_is_refused_with_412(admin_api):
    made = make_trunk(admin_api)
    url = f"{TRUNKS}{made['id']}/"
    tag = admin_api.get(url)["ETag"]
    assert admin_api.patch(url, {"host": "10.0.0.2"}, format="json", HTTP_IF_MATCH=tag).status_code == 200
    response = admin_api.patch(url, {"host": "10.0.0.3"}, format="json", HTTP_IF_MATCH=tag)
    assert response.status_code == 412
    assert Trunk.objects.get().host == "10.0.0.2"


def test_a_blank_secret_keeps_the_saved_one(admin_api):
    made = make_trunk(admin_api)
    admin_api.patch(f"{TRUNKS}{made['id']}/", {"secret": "", "codecs": "alaw"}, format="json")
    trunk = Trunk.objects.get()
    assert (trunk.secret, trunk.codecs) == (SECRET, "alaw")


def test_the_technology_cannot_be_changed(admin_api):
    made = make_trunk(admin_api)
    response = admin_api.patch(f"{TRUNKS}{made['id']}/", {"tech": "sip"}, format="json")
    assert response.status_code == 400 and "tech" in response.json()


def test_a_trunk_a_route_uses_is_not_deleted(admin_api):
    trunk = make_trunk(admin_api)
    make_route(admin_api, [trunk["id"]])
    response = admin_api.delete(f"{TRUNKS}{trunk['id']}/")
    assert response.status_code == 409
    assert "National" in str(response.json())


def test_a_route_keeps_its_trunks_in_order_and_its_pin_write_only(admin_api):
    first, second = make_trunk(admin_api, "first"), make_trunk(admin_api, "second", tech="iax2")
    made = make_route(admin_api, [second["id"], first["id"]], pin="8642")
    assert made["trunks"] == [second["id"], first["id"]]
    assert made["trunk_names"] == ["second", "first"]
    assert "pin" not in made
    assert admin_api.get(f"{OUTBOUND}{made['id']}/?include_secrets=true").json()["pin"] == "8642"


def test_an_emergency_route_never_has_a_pin(admin_api):
    trunk = make_trunk(admin_api)
    response = admin_api.post(
        OUTBOUND,
        {
            "name": "Emergency",
            "patterns": [{"match": "911"}],
            "trunks": [trunk["id"]],
            "emergency": True,
            "pin": "1234",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["pin"] == ["An emergency route never asks for a PIN."]


def test_routes_are_reordered_with_every_route_once(admin_api):
    trunk = make_trunk(admin_api)
    a = make_route(admin_api, [trunk["id"]], "A")
    b = make_route(admin_api, [trunk["id"]], "B", patterns=[{"match": "NXXXXXX"}])
    assert [r["name"] for r in admin_api.get(OUTBOUND).json()["results"]] == ["A", "B"]
    response = admin_api.post(f"{OUTBOUND}order/", {"routes": [b["id"], a["id"]]}, format="json")
    assert response.status_code == 200
    assert [r["name"] for r in response.json()] == ["B", "A"]
    assert admin_api.post(f"{OUTBOUND}order/", {"routes": [b["id"]]}, format="json").status_code == 400
    assert list(OutboundRoute.objects.order_by("position").values_list("name", flat=True)) == ["B", "A"]


def test_inbound_routes_list_most_specific_first(admin_api):
    user_create(extension="2001", name="Ann")
    for did in ("", "_555XXXX", "5551234"):
        body = {"did": did, "destination": "user", "user": "2001", "cid_name_prefix": "In: "}
        assert admin_api.post(INBOUND, body, format="json").status_code == 201
    listed = admin_api.get(INBOUND).json()["results"]
    assert [r["did"] for r in listed] == ["5551234", "_555XXXX", ""]
    assert [r["catch_all"] for r in listed] == [False, False, True]
    assert listed[0]["user"] == "2001"


def test_an_inbound_route_to_a_user_that_does_not_exist_is_refused(admin_api):
    response = admin_api.post(
        INBOUND, {"did": "5551234", "destination": "user", "user": "9999"}, format="json"
    )
    assert response.status_code == 400 and response.json()["user"] == ["There is no user 9999."]


def test_an_inbound_route_is_changed_and_deleted(admin_api):
    user_create(extension="2001", name="Ann")
    made = admin_api.post(
        INBOUND, {"did": "5551234", "destination": "user", "user": "2001"}, format="json"
    ).json()
    url = f"{INBOUND}{made['id']}/"
    tag = admin_api.get(url)["ETag"]
    changed = admin_api.patch(url, {"destination": "hangup"}, format="json", HTTP_IF_MATCH=tag)
    assert changed.status_code == 200, changed.json()
    assert changed.json()["destination"] == "hangup"
    assert admin_api.delete(url).status_code == 204
    assert not InboundRoute.objects.exists()


def test_null_removes_a_route_pin_and_a_trunk_secret_and_a_blank_keeps_them(admin_api):
    trunk = admin_api.post(
        "/api/v1/trunks/",
        {
            "tech": "pjsip",
            "name": "carrier",
            "host": "192.0.2.5",
            "username": "acct",
            "secret": "Str0ng-secret-9",
        },
        format="json",
    ).json()
    route = admin_api.post(
        "/api/v1/outbound-routes/",
        {"name": "Out", "patterns": [{"match": "X."}], "trunks": [trunk["id"]], "pin": "4321"},
        format="json",
    ).json()
    for url, field in (
        (f"/api/v1/trunks/{trunk['id']}/", "secret"),
        (f"/api/v1/outbound-routes/{route['id']}/", "pin"),
    ):
        assert admin_api.patch(url, {field: ""}, format="json").status_code == 200
        assert admin_api.get(url + "?include_secrets=true").json()[field] != ""
        assert admin_api.patch(url, {field: None}, format="json").status_code == 200
        assert admin_api.get(url + "?include_secrets=true").json()[field] in ("", None)


def test_a_trunks_server_is_named_only_while_there_are_several(admin_api):
    from directory.servers.models import Server

    made = make_trunk(admin_api)
    assert "server" not in made
    Server.objects.create(name="branch", ami_host="10.0.0.2")
    assert admin_api.get(f"{TRUNKS}{made['id']}/").json()["server"] == "main"
    other = make_trunk(admin_api, name="other", server="branch")
    assert other["server"] == "branch"
    assert Trunk.objects.get(name="other").server.name == "branch"
    refused = admin_api.post(
        TRUNKS, {"name": "x", "tech": "pjsip", "host": "h.example", "server": "nope"}, format="json"
    )
    assert refused.status_code == 400
    assert "server" in str(refused.json())
