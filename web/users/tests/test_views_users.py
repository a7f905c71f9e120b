"""deviceanduser mode: the Users pages (users/views.py), for both roles."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.devices.models import Device
from directory.devices.services import device_create, device_login
from directory.users.models import PbxUser
from directory.users.services import user_create
from web.testing.forms import form_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(committed, deviceanduser):
    return committed(user_create, extension="1000", name="Alice", password="1234")


@pytest.fixture
def desk(committed, deviceanduser):
    return committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", description="Hot desk 1")


@pytest.mark.slow
def test_the_users_page_lists_users_and_their_devices_as_links(administrator_client, committed, alice, desk):
    committed(device_create, id="2001", tech="sip", default_user=alice)
    committed(device_login, device=desk, user=alice)
    response = administrator_client.get("/users/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/devices/2001/"' in html and 'href="/devices/3001/"' in html


@pytest.mark.slow
@pytest.mark.parametrize("query", ["", "?tech=sip&devicetype=fixed"])
def test_the_users_page_runs_the_same_queries_for_few_or_many(
    administrator_client, committed, deviceanduser, query
):
    for n in range(5):
        user = committed(user_create, extension=str(1000 + n), name=f"U{n}")
        committed(device_create, id=str(2000 + n), tech="sip", default_user=user)
    administrator_client.get(f"/users/{query}")
    with CaptureQueriesContext(connection) as few:
        administrator_client.get(f"/users/{query}")
    for n in range(5, 80):
        user = committed(user_create, extension=str(1000 + n), name=f"U{n}")
        committed(device_create, id=str(2000 + n), tech="sip", default_user=user)
    with CaptureQueriesContext(connection) as many:
        response = administrator_client.get(f"/users/{query}")
    assert len(many) == len(few)
    assert len(response.context["page"]) == 50


def test_add_user_with_a_hot_desk_password(administrator_client, deviceanduser):
    page = administrator_client.get("/users/add/")
    data = form_post_data(page)
    data.update({"extension": "1500", "name": "Pat", "password": "4321"})
    response = administrator_client.post("/users/add/", data)
    assert response.status_code == 302
    assert PbxUser.objects.get(pk="1500").password == "4321"


def test_a_hot_desk_password_must_be_digits(administrator_client, deviceanduser):
    data = form_post_data(administrator_client.get("/users/add/"))
    data.update({"extension": "1500", "name": "Pat", "password": "12ab"})
    response = administrator_client.post("/users/add/", data)
    assert response.context["form"].errors["password"] == ["Use digits only (0-9)."]


@pytest.mark.slow
def test_edit_and_delete_a_user(
    administrator_client, alice, desk, committed, django_capture_on_commit_callbacks
):
    committed(device_login, device=desk, user=alice)
    page = administrator_client.get("/users/1000/")
    assert page.status_code == 200
    assert "3001" in page.content.decode()
    data = form_post_data(page)
    data["name"] = "Alice Smith"
    assert administrator_client.post("/users/1000/", data).status_code == 302
    assert PbxUser.objects.get(pk="1000").name == "Alice Smith"
    with django_capture_on_commit_callbacks(execute=True):
        assert administrator_client.post("/users/1000/delete/").status_code == 302
    assert Device.objects.get(pk="3001").user is None


@pytest.mark.slow
def test_a_save_from_an_older_users_page_is_refused_with_what_changed(
    administrator_client, second_administrator_client, committed, alice
):
    page_a = form_post_data(administrator_client.get("/users/1000/"))
    page_b = form_post_data(second_administrator_client.get("/users/1000/"))
    assert (
        committed(administrator_client.post, "/users/1000/", {**page_a, "outboundcid": "5551234"}).status_code
        == 302
    )
    response = committed(second_administrator_client.post, "/users/1000/", {**page_b, "ringtimer": "25"})
    assert response.status_code == 200
    assert response.context["form"].conflict["changes"] == [("Outbound CID", "(empty)", "5551234", None)]
    assert PbxUser.objects.get(pk="1000").ringtimer == 0
    assert (
        committed(second_administrator_client.post, "/users/1000/", form_post_data(response)).status_code
        == 302
    )
    saved = PbxUser.objects.get(pk="1000")
    assert (saved.outboundcid, saved.ringtimer, saved.password) == ("5551234", 25, "1234")
