"""The Call features section of the Extensions and Users pages, and the lists' marks."""

import pytest

from audit import actors
from directory.devices.models import Device
from directory.users.call_features import services
from directory.users.extensions import extension_create, extension_update
from directory.users.models import PbxUser
from directory.users.services import user_create
from web.testing.forms import form_post_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(committed):
    return committed(extension_create, extension="2001", name="Ana", tech="pjsip")


def _section(response) -> list[str]:
    return [
        f.name for title, fields in response.context["sections"] if title == "Call features" for f in fields
    ]


def test_the_extension_page_has_a_call_features_section(administrator_client, ana):
    page = administrator_client.get("/extensions/2001/")
    assert _section(page) == [
        "dnd",
        "callwaiting",
        "cf",
        "cfb",
        "cfu",
        "followme",
        "followme_list",
        "followme_prering",
        "followme_grptime",
        "followme_strategy",
        "followme_confirm",
    ]
    assert "Call features" in page.content.decode()


@pytest.mark.slow
def test_the_page_saves_the_call_features_and_shows_the_list_a_number_a_line(
    administrator_client, committed, ana
):
    data = form_post_data(administrator_client.get("/extensions/2001/"))
    data.update(
        {
            "dnd": "on",
            "cf": "2002",
            "followme": "on",
            "followme_list": "2003\r\n0171234567#\r\n",
            "followme_strategy": "hunt",
        }
    )
    assert committed(administrator_client.post, "/extensions/2001/", data).status_code == 302
    user = PbxUser.objects.get(pk="2001")
    assert (user.dnd, user.cf, user.followme, user.followme_list) == (True, "2002", True, "2003-0171234567#")
    again = form_post_data(administrator_client.get("/extensions/2001/"))
    assert again["followme_list"] == "2003\n0171234567#"
    assert committed(administrator_client.post, "/extensions/2001/", again).status_code == 302
    assert PbxUser.objects.get(pk="2001").followme_list == "2003-0171234567#", "saved again unchanged"


@pytest.mark.slow
def test_the_page_shows_each_refusal_beside_its_field(administrator_client, ana):
    data = form_post_data(administrator_client.get("/extensions/2001/"))
    data.update({"cf": "2001", "cfu": "12;34", "followme": "on"})
    response = administrator_client.post("/extensions/2001/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"cf", "cfu", "followme_list"} <= set(errors)
    assert PbxUser.objects.get(pk="2001").cf == ""


def test_the_list_shows_dnd_and_the_forward_at_a_glance(administrator_client, committed, ana):
    committed(extension_create, extension="2002", name="Bob", tech="pjsip")
    committed(extension_update, user=ana, dnd=True, cf="0301234567")
    html = administrator_client.get("/extensions/").content.decode()
    assert html.count('title="Do not disturb') == 1
    assert 'title="All calls forwarded to 0301234567"' in html


def test_the_users_page_and_its_list_have_them_too(administrator_client, committed, deviceanduser):
    committed(user_create, extension="1000", name="Alice")
    page = administrator_client.get("/users/1000/")
    assert "Call features" in [title for title, _ in page.context["form"].sections()]
    data = form_post_data(page)
    data.update({"dnd": "on", "cfb": "1001"})
    assert committed(administrator_client.post, "/users/1000/", data).status_code == 302
    assert (PbxUser.objects.get(pk="1000").dnd, PbxUser.objects.get(pk="1000").cfb) == (True, "1001")
    assert 'title="Do not disturb' in administrator_client.get("/users/").content.decode()


@pytest.mark.slow
def test_viewers_see_the_call_features_and_cannot_change_them(viewer_client, committed, ana):
    committed(extension_update, user=ana, dnd=True)
    page = viewer_client.get("/extensions/2001/")
    assert page.context["form"]["dnd"].value() is True
    assert page.context["form"].fields["dnd"].disabled
    assert viewer_client.post("/extensions/2001/", {"dnd": ""}).status_code == 403
    assert PbxUser.objects.get(pk="2001").dnd is True


@pytest.mark.slow
def test_what_a_phone_set_since_the_page_was_opened_is_never_undone_by_saving_it(
    administrator_client, committed, ana
):
    """Two writers, one truth: *78 on the phone after the page was opened makes that page's save stale."""
    page = form_post_data(administrator_client.get("/extensions/2001/"))
    with actors.acting(actors.phone(Device.objects.get(pk="2001"))):
        committed(services.dnd_set, user=ana, on=True)

    response = committed(administrator_client.post, "/extensions/2001/", {**page, "name": "Ana Maria"})

    assert response.status_code == 200
    assert PbxUser.objects.get(pk="2001").dnd is True
    assert ("Do not disturb", "no", "yes", None) in response.context["form"].conflict["changes"]
    again = form_post_data(response)
    assert again["dnd"] == "on", "the form now holds what the phone set"
    assert committed(administrator_client.post, "/extensions/2001/", again).status_code == 302
    user = PbxUser.objects.get(pk="2001")
    assert (user.name, user.dnd) == ("Ana Maria", True)
