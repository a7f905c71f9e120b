"""/api/v1/servers/ and the `server` field of extensions, users and devices through DRF's client:
roles, the services' refusals, secrets never answered (not even with include_secrets), versions,
and answers unchanged while there is one server."""

import pytest

from audit.models import Entry, Via
from directory.devices.models import Device
from directory.servers.models import Server
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db

SERVERS = "/api/v1/servers/"
AMI_SECRET = "Api-Ami-Secret-99"


def make_server(api, name="branch-1", **fields):
    body = {
        "name": name,
        "ami_host": "10.0.0.2",
        "ami_port": 5038,
        "ami_username": "pbx",
        "ami_secret": AMI_SECRET,
        **fields,
    }
    response = api.post(SERVERS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_anonymous_requests_get_401_viewers_read_and_write_nothing(anonymous_api, viewer_api):
    assert anonymous_api.get(SERVERS).status_code == 401
    listed = viewer_api.get(SERVERS)
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()["results"]] == ["main"]
    assert viewer_api.post(SERVERS, {"name": "branch-1"}, format="json").status_code == 403
    main = Server.objects.get()
    assert viewer_api.patch(f"{SERVERS}{main.pk}/", {"ami_host": "x"}, format="json").status_code == 403
    assert viewer_api.delete(f"{SERVERS}{main.pk}/").status_code == 403


def test_a_server_is_created_and_its_secrets_are_never_answered(admin_api):
    made = make_server(admin_api)
    server = Server.objects.get(name="branch-1")
    assert made["queue"] == "pbx.branch-1" and made["ami_secret_set"] is True and made["is_default"] is False
    assert (made["users"], made["devices"]) == (0, 0)
    for response in (
        admin_api.get(SERVERS),
        admin_api.get(f"{SERVERS}{server.pk}/"),
        admin_api.get(f"{SERVERS}{server.pk}/?include_secrets=true"),
        admin_api.patch(f"{SERVERS}{server.pk}/", {"ami_username": "portal"}, format="json"),
    ):
        text = response.content.decode()
        assert AMI_SECRET not in text and server.iax_secret not in text
        assert 'ami_secret"' not in text and "iax_secret" not in text
    entry = Entry.objects.get(object_repr="branch-1", action="created")
    assert entry.via == Via.API and entry.changes["ami_secret"] == "changed"


def test_every_problem_is_named_at_once(admin_api):
    body = {
        "name": "Bad Name",
        "ami_host": "10.0.0.1\r\nAction: Originate",
        "ami_port": 70000,
        "conf_dir": "etc",
    }
    response = admin_api.post(SERVERS, body, format="json")
    assert response.status_code == 400
    assert {"name", "ami_host", "ami_port", "conf_dir"} <= set(response.json())
    assert Server.objects.count() == 1
    make_server(admin_api)
    again = admin_api.post(SERVERS, {"name": "branch-1"}, format="json")
    assert again.status_code == 409 and "already exists" in again.json()["name"][0]
    assert admin_api.post(SERVERS, {"name": "x", "iax_secret": "mine"}, format="json").status_code == 400


def test_a_blank_secret_keeps_it_null_removes_it_and_new_iax_secret_makes_one(admin_api):
    made = make_server(admin_api)
    url = f"{SERVERS}{made['id']}/"
    admin_api.patch(url, {"ami_secret": ""}, format="json")
    assert Server.objects.get(pk=made["id"]).ami_secret == AMI_SECRET
    iax = Server.objects.get(pk=made["id"]).iax_secret
    answer = admin_api.patch(url, {"ami_secret": None, "new_iax_secret": True}, format="json").json()
    server = Server.objects.get(pk=made["id"])
    assert answer["ami_secret_set"] is False and server.ami_secret == "" and server.iax_secret != iax


def test_a_change_with_an_old_etag_is_412(admin_api):
    made = make_server(admin_api)
    url = f"{SERVERS}{made['id']}/"
    tag = admin_api.get(url)["ETag"]
    assert admin_api.patch(url, {"iax_host": "10.0.0.4"}, format="json", HTTP_IF_MATCH=tag).status_code == 200
    assert admin_api.patch(url, {"iax_host": "10.0.0.5"}, format="json", HTTP_IF_MATCH=tag).status_code == 412


def test_the_default_moves_by_patch_and_deleting_the_default_or_a_server_in_use_is_refused(admin_api):
    made = make_server(admin_api)
    main = Server.objects.get(name="main")
    assert admin_api.delete(f"{SERVERS}{main.pk}/").status_code == 400
    assert admin_api.patch(f"{SERVERS}{main.pk}/", {"is_default": False}, format="json").status_code == 400
    admin_api.post(
        "/api/v1/users/", {"extension": "2001", "name": "Ann", "server": "branch-1"}, format="json"
    )
    refused = admin_api.delete(f"{SERVERS}{made['id']}/")
    assert refused.status_code == 409 and "move them to another server first" in str(refused.json())
    answer = admin_api.patch(f"{SERVERS}{made['id']}/", {"is_default": True}, format="json").json()
    assert answer["is_default"] is True
    assert admin_api.delete(f"{SERVERS}{main.pk}/").status_code == 204
    assert list(Server.objects.values_list("name", flat=True)) == ["branch-1"]


def test_with_one_server_answers_have_no_server_field(admin_api):
    admin_api.post(
        "/api/v1/extensions/", {"extension": "2001", "name": "Ann", "tech": "pjsip"}, format="json"
    )
    for url in ("/api/v1/extensions/2001/", "/api/v1/users/2001/", "/api/v1/devices/2001/"):
        assert "server" not in admin_api.get(url).json(), url


def test_extensions_users_and_devices_are_created_on_the_server_named_and_listed_by_it(admin_api):
    make_server(admin_api)
    made = admin_api.post(
        "/api/v1/extensions/",
        {"extension": "2001", "name": "Ann", "tech": "pjsip", "server": "branch-1"},
        format="json",
    )
    assert made.status_code == 201 and made.json()["server"] == "branch-1"
    assert Device.objects.get(pk="2001").server.name == "branch-1"
    admin_api.post(
        "/api/v1/extensions/", {"extension": "2002", "name": "Bob", "tech": "pjsip"}, format="json"
    )
    assert admin_api.get("/api/v1/extensions/2002/").json()["server"] == "main"
    listed = admin_api.get("/api/v1/extensions/?server=branch-1").json()["results"]
    assert [e["extension"] for e in listed] == ["2001"]
    assert [d["id"] for d in admin_api.get("/api/v1/devices/?server=main").json()["results"]] == ["2002"]
    assert [u["extension"] for u in admin_api.get("/api/v1/users/?server=branch-1").json()["results"]] == [
        "2001"
    ]
    assert admin_api.get("/api/v1/users/?server=nowhere").status_code == 400
    device = admin_api.post(
        "/api/v1/devices/", {"id": "3001", "tech": "pjsip", "default_user": "2001"}, format="json"
    )
    assert device.status_code == 201 and device.json()["server"] == "branch-1"


def test_an_unknown_server_is_a_400_naming_the_servers_and_nothing_is_created(admin_api):
    response = admin_api.post(
        "/api/v1/users/", {"extension": "2001", "name": "Ann", "server": "nowhere"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["server"] == ["No server named nowhere. Servers: main."]
    assert not PbxUser.objects.exists()


def test_a_device_is_not_moved_on_its_own(admin_api):
    admin_api.post("/api/v1/devices/", {"id": "3001", "tech": "pjsip"}, format="json")
    response = admin_api.patch("/api/v1/devices/3001/", {"server": "main"}, format="json")
    assert response.status_code == 400 and "server" in response.json()


def test_a_patch_naming_another_server_moves_the_user_with_their_phone(admin_api):
    make_server(admin_api)
    admin_api.post(
        "/api/v1/extensions/", {"extension": "2001", "name": "Ann", "tech": "pjsip"}, format="json"
    )
    moved = admin_api.patch(
        "/api/v1/extensions/2001/", {"server": "branch-1", "name": "Ann B"}, format="json"
    )
    assert (
        moved.status_code == 200 and moved.json()["server"] == "branch-1" and moved.json()["name"] == "Ann B"
    )
    assert Device.objects.get(pk="2001").server.name == "branch-1"
    back = admin_api.patch("/api/v1/users/2001/", {"server": "main"}, format="json")
    assert back.status_code == 200 and back.json()["server"] == "main"


def test_a_refused_move_is_a_400_on_server_and_changes_nothing(admin_api):
    make_server(admin_api)
    admin_api.post("/api/v1/users/", {"extension": "2001", "name": "Ann"}, format="json")
    admin_api.post(
        "/api/v1/devices/",
        {"id": "3001", "tech": "pjsip", "devicetype": "adhoc", "default_user": "2001"},
        format="json",
    )
    refused = admin_api.patch("/api/v1/users/2001/", {"server": "branch-1", "name": "Ann B"}, format="json")
    assert refused.status_code == 400 and "adhoc device 3001" in refused.json()["server"][0]
    user = PbxUser.objects.get(pk="2001")
    assert (user.server.name, user.name) == ("main", "Ann")


def test_a_device_on_another_server_than_its_default_user_is_refused_at_once(admin_api):
    make_server(admin_api)
    admin_api.post("/api/v1/users/", {"extension": "2001", "name": "Ann"}, format="json")
    body = {
        "id": "3001",
        "tech": "pjsip",
        "default_user": "2001",
        "server": "branch-1",
        "description": "x" * 300,
    }
    refused = admin_api.post("/api/v1/devices/", body, format="json")
    assert refused.status_code == 400
    assert {"description", "default_user"} <= set(refused.json())


def test_the_sync_answer_names_no_server_while_there_is_one(admin_api):
    assert "servers" not in admin_api.get("/api/v1/sync/").json()
