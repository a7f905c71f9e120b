"""The Django admin: people and groups are edited there; PBX objects are only shown (the portal edits them)."""

import pytest
from django.contrib.auth.models import Group, User

from directory.devices.models import Device
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from web.testing.personas import viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    """The Django admin is for superusers."""
    user = User.objects.create_superuser("root", "root@example.com", "not-a-real-pass-123")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    ["/", "/admin/", "/admin/users/pbxuser/", "/admin/devices/device/"],
)
def test_every_page_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_login_page_itself_is_public(client):
    assert client.get("/login/").status_code == 200


@pytest.mark.slow
def test_the_admin_shows_pbx_objects_without_any_way_to_add_change_or_delete_them(
    superuser_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        extension_create(extension="1000", name="John", tech="sip")
    assert superuser_client.get("/admin/users/pbxuser/1000/change/").status_code == 200
    assert superuser_client.get("/admin/devices/device/1000/change/").status_code == 200
    for url in ("/admin/users/pbxuser/add/", "/admin/devices/device/add/"):
        assert superuser_client.get(url).status_code == 403
    superuser_client.post("/admin/users/pbxuser/1000/change/", {"name": "Changed"})
    for url in ("/admin/users/pbxuser/1000/delete/", "/admin/devices/device/1000/delete/"):
        assert superuser_client.post(url, {"post": "yes"}).status_code == 403
    bulk_delete = {"action": "delete_selected", "_selected_action": ["1000"], "post": "yes"}
    superuser_client.post("/admin/users/pbxuser/", bulk_delete)
    assert PbxUser.objects.get(pk="1000").name == "John"
    assert Device.objects.filter(pk="1000").exists()


def test_the_admin_links_each_pbx_object_to_the_portal_page_that_edits_it(
    superuser_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        extension_create(extension="1000", name="John", tech="sip")
    assert b'href="/extensions/1000/"' in superuser_client.get("/admin/users/pbxuser/1000/change/").content
    assert b'href="/devices/1000/"' in superuser_client.get("/admin/devices/device/1000/change/").content


def test_people_and_groups_stay_editable_in_the_admin(superuser_client):
    assert superuser_client.get("/admin/auth/user/add/").status_code == 200
    response = superuser_client.post("/admin/auth/group/add/", {"name": "Night shift"})
    assert response.status_code == 302
    assert Group.objects.filter(name="Night shift").exists()


def test_a_view_only_staff_user_cannot_ask_for_a_sync_from_the_admin(client):
    staff = viewer()
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    page = client.get("/admin/asterisk/syncstatus/")
    assert page.status_code == 200
    assert b"sync_now" not in page.content
