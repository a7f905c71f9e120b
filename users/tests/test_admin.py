"""The Django admin creates and edits extensions through the same services as every page."""

import pytest
from django.contrib.auth.models import User

from devices.models import Device
from endpoints.conf import parse_conf
from users.extensions import extension_create
from users.models import PbxUser

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    """The Django admin is for superusers."""
    user = User.objects.create_superuser("root", "root@example.com", "not-a-real-pass-123")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    ["/", "/admin/", "/admin/users/pbxuser/", "/admin/users/pbxuser/add/", "/admin/devices/device/"],
)
def test_every_page_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_login_page_itself_is_public(client):
    assert client.get("/login/").status_code == 200


def test_an_extension_added_in_the_admin_lands_in_its_file(
    admin_client, conf_dir, django_capture_on_commit_callbacks
):
    page = admin_client.get("/admin/users/pbxuser/add/?tech=sip")
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    data.update({"extension": "2212", "name": "Reception", "callwaiting": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/users/pbxuser/add/?tech=sip", data)
    assert response.status_code == 302, response.context["form"].errors
    items = dict(parse_conf((conf_dir / "sip_additional.conf").read_text()).get("2212"))
    assert items["callerid"] == "device <2212>"
    assert items["dial"] == "SIP/2212"
    assert PbxUser.objects.get(pk="2212").name == "Reception"


def test_admin_add_shows_errors_next_to_the_fields(admin_client):
    page = admin_client.get("/admin/users/pbxuser/add/?tech=pjsip")
    data = {
        name: field.initial
        for name, field in page.context["form"].fields.items()
        if field.initial is not None
    }
    data.update({"extension": "12ab", "name": "X", "secret": "weak", "ringtimer": "0"})
    response = admin_client.post("/admin/users/pbxuser/add/?tech=pjsip", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["extension"] == ["Use digits only (0-9)."]
    assert "too weak" in errors["secret"][0]
    assert b"too weak" in response.content
    assert not PbxUser.objects.exists()


def test_admin_edits_a_user_through_the_service(admin_client, conf_dir, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        extension_create(extension="1000", name="John", tech="sip")
    page = admin_client.get("/admin/users/pbxuser/1000/change/")
    assert page.status_code == 200
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update({"name": "John Smith", "voicemail": "default", "callwaiting": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/users/pbxuser/1000/change/", data)
    assert response.status_code == 302
    assert PbxUser.objects.get(pk="1000").name == "John Smith"
    items = dict(parse_conf((conf_dir / "sip_additional.conf").read_text()).get("1000"))
    assert items["mailbox"] == "1000@default"


def test_admin_edits_device_settings(admin_client, conf_dir, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        extension_create(extension="1000", name="John", tech="sip")
    page = admin_client.get("/admin/devices/device/1000/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"nat": "no", "port": "5070", "default_user": "1000"})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/devices/device/1000/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    items = dict(parse_conf((conf_dir / "sip_additional.conf").read_text()).get("1000"))
    assert (items["nat"], items["port"]) == ("no", "5070")
    assert items["secret"] == Device.objects.get(pk="1000").endpoint.settings["secret"]


def test_admin_refuses_a_bad_device_setting(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        extension_create(extension="1000", name="John", tech="sip")
    page = admin_client.get("/admin/devices/device/1000/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"port": "99999", "default_user": "1000"})
    response = admin_client.post("/admin/devices/device/1000/change/", data)
    assert response.status_code == 200
    assert "from 1 to 65535" in response.context["adminform"].form.errors["port"][0]


def test_admin_delete_removes_the_extension(admin_client, conf_dir, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        extension_create(extension="1000", name="John", tech="pjsip")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/users/pbxuser/1000/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Device.objects.exists()
    assert parse_conf((conf_dir / "pjsip.endpoint.conf").read_text()).section_names() == []


def test_a_device_added_in_the_admin_lands_in_its_file(
    admin_client, conf_dir, django_capture_on_commit_callbacks
):
    page = admin_client.get("/admin/devices/device/add/?tech=iax2")
    data = {
        name: field.initial
        for name, field in page.context["form"].fields.items()
        if field.initial is not None
    }
    data.update({"id": "2500", "devicetype": "adhoc"})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/devices/device/add/?tech=iax2", data)
    assert response.status_code == 302, response.context["form"].errors
    assert (
        dict(parse_conf((conf_dir / "iax_additional.conf").read_text()).get("2500"))["callerid"]
        == "device <2500>"
    )
