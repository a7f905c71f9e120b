"""The Voicemail section of the Extensions and Users pages; the PIN is a secret the pages never send back."""

import pytest

from asterisk.render.conf import parse_conf
from asterisk.render.voicemail import FILENAME
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_create
from web.testing.forms import form_post_data

pytestmark = pytest.mark.django_db

PIN = "482913"


@pytest.fixture
def ana(committed):
    return committed(
        extension_create,
        extension="2001",
        name="Ana",
        tech="pjsip",
        settings={"secret": "Abcd1234efgh"},
        voicemail="default",
        vm_pin=PIN,
        vm_email="ana@example.com",
    )


def test_an_extension_added_with_voicemail_gets_a_mailbox(
    administrator_client, conf_dir, django_capture_on_commit_callbacks
):
    data = form_post_data(administrator_client.get("/extensions/add/?tech=pjsip"))
    data.update(extension="2212", name="Front desk", voicemail_enabled="on", vm_email="desk@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert administrator_client.post("/extensions/add/?tech=pjsip", data).status_code == 302
    pin = PbxUser.objects.get(pk="2212").vm_pin
    assert pin.isdigit()
    line = parse_conf((conf_dir / FILENAME).read_text()).get("default")
    assert line == [("2212", f"{pin},Front desk,desk@example.com,,")], "no options: [general] decides"


@pytest.mark.slow
@pytest.mark.parametrize("who", ["administrator_client", "viewer_client"])
def test_the_pin_is_never_sent_to_the_browser(request, ana, who):
    client = request.getfixturevalue(who)
    html = client.get("/extensions/2001/").content.decode()
    assert PIN not in html
    assert 'type="password" name="vm_pin"' in html
    assert "ana@example.com" in html


@pytest.mark.slow
def test_a_blank_pin_keeps_it_and_a_typed_one_replaces_it(
    administrator_client, ana, django_capture_on_commit_callbacks
):
    data = form_post_data(administrator_client.get("/extensions/2001/"))
    assert data["voicemail_enabled"] == "on" and data.get("vm_pin", "") == ""
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            administrator_client.post("/extensions/2001/", {**data, "vm_email": "a@example.com"}).status_code
            == 302
        )
    assert PbxUser.objects.get(pk="2001").vm_pin == PIN
    # The page as it is after that save (the form carries the version it shows).
    data = form_post_data(administrator_client.get("/extensions/2001/"))
    with django_capture_on_commit_callbacks(execute=True):
        administrator_client.post("/extensions/2001/", {**data, "vm_pin": "7777"})
    assert PbxUser.objects.get(pk="2001").vm_pin == "7777"


@pytest.mark.slow
def test_unticking_voicemail_removes_the_mailbox(
    administrator_client, ana, conf_dir, django_capture_on_commit_callbacks
):
    data = form_post_data(administrator_client.get("/extensions/2001/"))
    del data["voicemail_enabled"]
    with django_capture_on_commit_callbacks(execute=True):
        assert administrator_client.post("/extensions/2001/", data).status_code == 302
    assert PbxUser.objects.get(pk="2001").voicemail == "novm"
    assert parse_conf((conf_dir / FILENAME).read_text()).section_names() == []


@pytest.mark.slow
def test_a_bad_email_is_shown_next_to_its_field_and_nothing_changes(administrator_client, ana):
    data = form_post_data(administrator_client.get("/extensions/2001/"))
    response = administrator_client.post(
        "/extensions/2001/", {**data, "vm_email": "ana@example.com,evil@example.com"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["vm_email"]
    assert PbxUser.objects.get(pk="2001").vm_email == "ana@example.com"


def test_viewers_cannot_change_a_mailbox(viewer_client, ana):
    assert viewer_client.post("/extensions/2001/", {"vm_pin": "1111"}).status_code == 403
    assert PbxUser.objects.get(pk="2001").vm_pin == PIN


def test_the_users_page_has_the_voicemail_section(deviceanduser, administrator_client, committed, conf_dir):
    committed(user_create, extension="3000", name="Bo", voicemail="default", vm_pin=PIN)
    page = administrator_client.get("/users/3000/")
    assert "Voicemail" in [title for title, _ in page.context["form"].sections()]
    assert PIN not in page.content.decode()


@pytest.mark.slow
def test_freepbxs_four_options_are_choices_and_the_others_a_free_field(
    administrator_client, ana, conf_dir, django_capture_on_commit_callbacks
):
    form = administrator_client.get("/extensions/2001/").context["form"]
    for option in ("attach", "saycid", "envelope", "delete"):
        assert [value for value, _ in form.fields[f"vm_{option}"].choices] == ["", "yes", "no"]
    data = form_post_data(administrator_client.get("/extensions/2001/"))
    data.update(vm_attach="yes", vm_delete="no", vm_options="tz=european")
    with django_capture_on_commit_callbacks(execute=True):
        assert administrator_client.post("/extensions/2001/", data).status_code == 302
    assert PbxUser.objects.get(pk="2001").vm_options == "attach=yes|delete=no|tz=european"
    line = parse_conf((conf_dir / FILENAME).read_text()).get("default")
    assert line == [("2001", f"{PIN},Ana,ana@example.com,,attach=yes|delete=no|tz=european")]
    again = administrator_client.get("/extensions/2001/").context["form"]
    assert (again["vm_attach"].value(), again["vm_saycid"].value(), again["vm_options"].value()) == (
        "yes",
        None,
        "tz=european",
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"vm_options": "attach=maybe"}, "vm_options", "attach takes yes or no, not maybe."),
        ({"vm_attach": "no", "vm_options": "attach=yes"}, "vm_options", "attach is given twice."),
        ({"vm_attach": "maybe"}, "vm_attach", "Select a valid choice."),
    ],
)
def test_a_wrong_option_is_refused_with_the_values_allowed(
    administrator_client, ana, changes, field, message
):
    data = form_post_data(administrator_client.get("/extensions/2001/"))
    response = administrator_client.post("/extensions/2001/", {**data, **changes})
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert PbxUser.objects.get(pk="2001").vm_options == ""


@pytest.mark.slow
def test_a_pin_made_for_a_new_mailbox_is_shown_once(
    administrator_client, viewer_client, django_capture_on_commit_callbacks
):
    data = form_post_data(administrator_client.get("/extensions/add/?tech=pjsip"))
    data.update(extension="2212", name="Front desk", voicemail_enabled="on", vm_pin="")
    with django_capture_on_commit_callbacks(execute=True):
        response = administrator_client.post("/extensions/add/?tech=pjsip", data)
    assert response["Location"] == "/extensions/2212/", "to where the PIN can be noted"
    pin = PbxUser.objects.get(pk="2212").vm_pin
    assert pin.isdigit()
    assert pin not in viewer_client.get("/extensions/2212/").content.decode()
    shown = administrator_client.get("/extensions/2212/")
    assert f'<strong class="font-monospace">{pin}</strong>' in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert pin not in administrator_client.get("/extensions/2212/").content.decode(), "once"


@pytest.mark.slow
def test_turning_voicemail_on_without_a_pin_shows_the_pin_made(
    deviceanduser, administrator_client, committed, django_capture_on_commit_callbacks
):
    committed(user_create, extension="3000", name="Bo")
    data = form_post_data(administrator_client.get("/users/3000/"))
    data.update(voicemail_enabled="on", vm_pin="")
    with django_capture_on_commit_callbacks(execute=True):
        assert administrator_client.post("/users/3000/", data).status_code == 302
    pin = PbxUser.objects.get(pk="3000").vm_pin
    page = administrator_client.get("/users/3000/").content.decode()
    assert f'Voicemail PIN made for 3000: <strong class="font-monospace">{pin}</strong>' in page
    data = form_post_data(administrator_client.get("/users/3000/"))
    with django_capture_on_commit_callbacks(execute=True):
        administrator_client.post("/users/3000/", {**data, "vm_email": "bo@example.com"})
    assert pin not in administrator_client.get("/users/3000/").content.decode(), "a kept PIN is not shown"
