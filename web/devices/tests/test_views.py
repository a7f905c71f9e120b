"""deviceanduser mode: the Devices pages and hot desking from them, for both roles."""

import pytest

from asterisk.render.conf import parse_conf
from audit.models import Entry
from directory.devices.models import Device
from directory.devices.services import device_create
from directory.users.services import user_create
from web.testing.forms import form_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(committed, deviceanduser):
    return committed(user_create, extension="1000", name="Alice", password="1234")


@pytest.fixture
def desk(committed, deviceanduser):
    return committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", description="Hot desk 1")


def test_the_devices_page_and_adding_a_device(
    administrator_client, alice, conf_dir, django_capture_on_commit_callbacks
):
    assert administrator_client.get("/devices/").status_code == 200
    assert b"?tech=iax2" in administrator_client.get("/devices/add/").content
    data = form_post_data(administrator_client.get("/devices/add/?tech=iax2"))
    data.update({"id": "2500", "description": "Branch", "devicetype": "fixed", "default_user": "1000"})
    with django_capture_on_commit_callbacks(execute=True):
        response = administrator_client.post("/devices/add/?tech=iax2", data)
    assert response.status_code == 302
    device = Device.objects.get(pk="2500")
    assert (device.user_id, device.dial) == ("1000", "IAX2/2500")
    assert (
        dict(parse_conf((conf_dir / "iax_additional.conf").read_text()).get("2500"))["callerid"]
        == "device <2500>"
    )


@pytest.mark.slow
def test_device_errors_show_next_to_fields(administrator_client, desk):
    data = form_post_data(administrator_client.get("/devices/add/?tech=pjsip"))
    data.update({"id": "3001", "devicetype": "adhoc", "emergency_cid": "not a number"})
    response = administrator_client.post("/devices/add/?tech=pjsip", data)
    errors = response.context["form"].errors
    assert errors["id"] == ["Device 3001 already exists."]
    assert "caller ID" in errors["emergency_cid"][0]


@pytest.mark.slow
def test_edit_and_delete_a_device(administrator_client, desk, django_capture_on_commit_callbacks):
    page = administrator_client.get("/devices/3001/")
    data = form_post_data(page)
    data["description"] = "Hot desk by the window"
    assert administrator_client.post("/devices/3001/", data).status_code == 302
    assert Device.objects.get(pk="3001").description == "Hot desk by the window"
    with django_capture_on_commit_callbacks(execute=True):
        assert administrator_client.post("/devices/3001/delete/").status_code == 302
    assert not Device.objects.exists()


def test_hot_desk_login_and_logout_from_the_device_page(administrator_client, alice, desk):
    response = administrator_client.post("/devices/3001/login/", {"extension": "1000"})
    assert response.status_code == 302
    assert Device.objects.get(pk="3001").user_id == "1000"
    administrator_client.post("/devices/3001/logout/")
    assert Device.objects.get(pk="3001").user is None


@pytest.mark.slow
def test_hot_desk_login_by_a_name_typed_whole(administrator_client, committed, alice, desk):
    committed(user_create, extension="1001", name="Ana Müller")
    administrator_client.post("/devices/3001/login/", {"extension": "ana müller"})
    assert Device.objects.get(pk="3001").user_id == "1001"
    committed(user_create, extension="1002", name="Ana Müller")
    response = administrator_client.post("/devices/3001/login/", {"extension": "Ana Müller"}, follow=True)
    assert "Several users are called Ana Müller" in response.content.decode()
    response = administrator_client.post("/devices/3001/login/", {"extension": "Nobody Here"}, follow=True)
    assert "No user is called Nobody Here" in response.content.decode()


@pytest.mark.slow
def test_hot_desk_refuses_fixed_devices_and_unknown_users(administrator_client, committed, alice, desk):
    committed(device_create, id="2001", tech="sip", default_user=alice)
    response = administrator_client.post("/devices/2001/login/", {"extension": "1000"}, follow=True)
    assert "fixed" in response.content.decode()
    response = administrator_client.post("/devices/3001/login/", {"extension": "9999"}, follow=True)
    assert "There is no user 9999." in response.content.decode()
    assert Device.objects.get(pk="3001").user is None


def test_hot_desk_from_a_users_page_returns_there(administrator_client, alice, desk):
    response = administrator_client.post(
        "/devices/3001/login/", {"extension": "1000", "next": "/users/1000/"}
    )
    assert response["Location"] == "/users/1000/"
    response = administrator_client.post(
        "/devices/3001/login/", {"extension": "1000", "next": "//evil.example/"}
    )
    assert response["Location"] == "/devices/3001/", "no open redirect"


def test_the_config_preview_shows_the_devices_sections(administrator_client, desk):
    response = administrator_client.get("/devices/3001/preview/")
    files = response.context["files"]
    assert set(files) == {"pjsip.endpoint.conf", "pjsip.aor.conf", "pjsip.auth.conf"}
    assert dict(parse_conf(files["pjsip.endpoint.conf"]).get("3001"))["callerid"] == "device <3001>"


def test_secrets_are_masked_in_the_list_and_revealed_only_to_administrators(
    administrator_client, viewer_client, desk
):
    secret = Device.objects.get(pk="3001").endpoint.settings["secret"]
    assert secret.encode() not in administrator_client.get("/devices/").content
    reveal = administrator_client.get("/devices/3001/secret/")
    assert reveal.json() == {"secret": secret} and reveal["Cache-Control"] == "no-store"
    assert viewer_client.get("/devices/3001/secret/").status_code == 403


def test_revealing_a_secret_is_recorded_as_an_export(administrator_client, desk):
    secret = Device.objects.get(pk="3001").endpoint.settings["secret"]
    administrator_client.get("/devices/3001/secret/")
    [entry] = Entry.objects.filter(action="exported")
    assert (entry.via, entry.person, entry.object_type, entry.object_id) == (
        "portal",
        "alice-admin",
        "device",
        "3001",
    )
    assert entry.changes == {"secret": "revealed"}
    assert secret not in str(Entry.objects.values_list())


@pytest.mark.slow
def test_a_viewer_sees_devices_but_cannot_hot_desk(viewer_client, alice, desk):
    assert viewer_client.get("/devices/").status_code == 200
    assert viewer_client.get("/devices/3001/").status_code == 200
    assert viewer_client.post("/devices/3001/login/", {"extension": "1000"}).status_code == 403
    assert viewer_client.post("/devices/3001/", {"description": "x"}).status_code == 403
    assert viewer_client.get("/users/add/").status_code == 403
    assert Device.objects.get(pk="3001").user is None


def test_device_pages_belong_to_deviceanduser_mode(administrator_client):
    assert administrator_client.get("/devices/")["Location"] == "/"


@pytest.mark.slow
def test_a_save_from_an_older_devices_page_is_refused_with_what_changed(
    administrator_client, second_administrator_client, committed, desk, alice
):
    page_a = form_post_data(administrator_client.get("/devices/3001/"))
    page_b = form_post_data(second_administrator_client.get("/devices/3001/"))
    posted = {**page_a, "default_user": "1000", "dtmfmode": "inband"}
    assert committed(administrator_client.post, "/devices/3001/", posted).status_code == 302
    response = committed(
        second_administrator_client.post, "/devices/3001/", {**page_b, "description": "Desk B"}
    )
    assert response.status_code == 200
    changes = response.context["form"].conflict["changes"]
    assert ("Default user", "(empty)", "1000", None) in changes
    assert ("DTMF signalling", "rfc4733", "inband", None) in changes
    assert Device.objects.get(pk="3001").description == "Hot desk 1"
    assert (
        committed(second_administrator_client.post, "/devices/3001/", form_post_data(response)).status_code
        == 302
    )
    device = Device.objects.select_related("endpoint").get(pk="3001")
    assert (device.description, device.default_user_id, device.endpoint.settings["dtmfmode"]) == (
        "Desk B",
        "1000",
        "inband",
    )
