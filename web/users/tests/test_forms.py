"""The hot-desk PIN on the user page is write-only: never sent to a browser, blank keeps it."""

import re

import pytest

from directory.users.models import PbxUser
from directory.users.services import user_create

pytestmark = pytest.mark.django_db

PIN = "58204719"


@pytest.fixture
def desk_user(deviceanduser, committed):
    return committed(user_create, extension="2001", name="Desk sharer", password=PIN)


def posted(client, **changes):
    form = client.get("/users/2001/").context["form"]
    data = {n: v for n in form.fields if (v := form[n].value()) is not None and v is not False}
    data.pop("extension", None)
    return client.post("/users/2001/", {**data, **changes})


@pytest.mark.slow
@pytest.mark.parametrize("who", ["administrator_client", "viewer_client"])
def test_the_user_page_shows_a_password_field_without_the_pin(desk_user, who, request):
    page = request.getfixturevalue(who).get("/users/2001/").content.decode()
    assert PIN not in page
    [field] = re.findall(r'<input[^>]*name="password"[^>]*>', page)
    assert 'type="password"' in field and "value=" not in field


def test_saving_with_the_field_blank_keeps_the_pin(desk_user, administrator_client):
    assert posted(administrator_client, name="Renamed", password="").status_code == 302
    user = PbxUser.objects.get(pk="2001")
    assert (user.name, user.password) == ("Renamed", PIN)


def test_typing_a_new_pin_sets_it(desk_user, administrator_client):
    assert posted(administrator_client, password="7777").status_code == 302
    assert PbxUser.objects.get(pk="2001").password == "7777"


@pytest.mark.slow
def test_the_pin_can_be_removed_on_purpose(desk_user, administrator_client):
    assert posted(administrator_client, clear_password="on").status_code == 302
    assert PbxUser.objects.get(pk="2001").password == ""


@pytest.mark.slow
def test_a_pin_refused_by_the_service_is_not_echoed_back(desk_user, administrator_client):
    response = posted(administrator_client, password="12ab")
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert "12ab" not in response.content.decode()
    assert PbxUser.objects.get(pk="2001").password == PIN


@pytest.mark.slow
def test_a_pin_of_3_digits_is_refused_on_the_page(desk_user, administrator_client):
    response = posted(administrator_client, password="123")
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == ["A PIN has at least 4 digits."]
    assert PbxUser.objects.get(pk="2001").password == PIN
