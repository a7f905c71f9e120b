"""The Extensions page: list, add, edit, delete, for both roles and every error path."""

import pytest
from django.test import Client

from asterisk.render.conf import parse_conf
from directory.devices.models import Device
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from web.testing.forms import form_post_data
from web.testing.personas import no_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def john(committed):
    return committed(extension_create, extension="1000", name="John Doe", tech="pjsip", voicemail="default")


def test_the_list_shows_extensions_with_their_technology(administrator_client, john):
    response = administrator_client.get("/extensions/")
    assert response.status_code == 200
    row = response.context["page"][0]
    assert (row.extension, row.tech, row.dial) == ("1000", "pjsip", "PJSIP/1000")
    assert b"John Doe" in response.content


def test_the_list_never_shows_a_secret(administrator_client, john):
    secret = Device.objects.get(pk="1000").endpoint.settings["secret"]
    assert secret.encode() not in administrator_client.get("/extensions/").content


def test_search_finds_by_number_prefix_or_name(administrator_client, committed, john):
    committed(extension_create, extension="2000", name="Reception", tech="sip")
    by_number = administrator_client.get("/extensions/?q=20")
    assert [u.extension for u in by_number.context["page"]] == ["2000"]
    by_name = administrator_client.get("/extensions/?q=john")
    assert [u.extension for u in by_name.context["page"]] == ["1000"]
    nothing = administrator_client.get("/extensions/?q=zzz")
    assert "No extension matches" in nothing.content.decode()


def test_sorting_is_numeric_and_reversible(administrator_client, committed):
    for number in ("999", "1000", "20"):
        committed(extension_create, extension=number, name=f"N{number}", tech="sip")
    ascending = [u.extension for u in administrator_client.get("/extensions/?sort=extension").context["page"]]
    descending = [
        u.extension for u in administrator_client.get("/extensions/?sort=-extension").context["page"]
    ]
    assert ascending == ["20", "999", "1000"]
    assert descending == ["1000", "999", "20"]


@pytest.mark.slow
def test_pagination_is_on_the_server(administrator_client, committed):
    for n in range(60):
        committed(extension_create, extension=str(3000 + n), name=f"P{n}", tech="custom", dial=f"Local/{n}@x")
    first = administrator_client.get("/extensions/")
    assert len(first.context["page"]) == 50
    second = administrator_client.get("/extensions/?page=2")
    assert [u.extension for u in second.context["page"]][:1] == ["3050"]


@pytest.mark.slow
def test_the_list_runs_the_same_queries_for_10_or_10000_extensions(administrator_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from web.testing.seed import seed_extensions

    seed_extensions(10, start=5000)
    administrator_client.get("/extensions/")  # the first page view creates the settings rows
    with CaptureQueriesContext(connection) as few:
        administrator_client.get("/extensions/?page=1")
    seed_extensions(10_000, start=100000)
    with CaptureQueriesContext(connection) as many:
        response = administrator_client.get("/extensions/?page=3")
    assert response.context["page"].paginator.count == 10_010
    assert len(many) == len(few)


def test_add_asks_for_the_technology_first(administrator_client):
    response = administrator_client.get("/extensions/add/")
    assert response.status_code == 200
    assert b"?tech=pjsip" in response.content and b"?tech=dahdi" in response.content


def test_add_creates_the_extension_and_its_sections(
    administrator_client, conf_dir, django_capture_on_commit_callbacks
):
    page = administrator_client.get("/extensions/add/?tech=sip")
    assert [title for title, _ in page.context["sections"]] == [
        "General",
        "Voicemail",
        "Call features",
        "Device options",
        "Advanced",
    ]
    data = form_post_data(page)
    data.update({"extension": "2212", "name": "Front desk"})
    with django_capture_on_commit_callbacks(execute=True):
        response = administrator_client.post("/extensions/add/?tech=sip", data)
    assert response.status_code == 302
    items = dict(parse_conf((conf_dir / "sip_additional.conf").read_text()).get("2212"))
    assert items["callerid"] == "device <2212>"
    assert PbxUser.objects.get(pk="2212").name == "Front desk"


@pytest.mark.slow
def test_add_shows_each_error_next_to_its_field(administrator_client, john):
    data = form_post_data(administrator_client.get("/extensions/add/?tech=pjsip"))
    data.update({"extension": "1000", "name": "Dup", "secret": "abc", "max_contacts": "500"})
    response = administrator_client.post("/extensions/add/?tech=pjsip", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["extension"] == ["Extension 1000 is already in use by John Doe."]
    assert "too weak" in errors["secret"][0]
    assert errors["max_contacts"] == ["Enter a whole number from 1 to 100."]
    html = response.content.decode()
    assert "already in use by John Doe" in html and "is-invalid" in html


@pytest.mark.slow
def test_a_new_mailbox_pin_is_shown_and_survives_an_error_elsewhere(administrator_client, john, committed):
    page = administrator_client.get("/extensions/add/?tech=sip")
    data = form_post_data(page)
    assert data["vm_pin"].isdigit(), "a random PIN is filled in, in view"
    data.update({"extension": "1000", "name": "Dup", "voicemail_enabled": "on", "vm_pin": "7777"})
    response = administrator_client.post("/extensions/add/?tech=sip", data)
    assert response.status_code == 200 and "extension" in response.context["form"].errors
    retry = form_post_data(response)
    assert retry["vm_pin"] == "7777", "not lost to the number's error"
    retry["extension"] = "1006"
    committed(administrator_client.post, "/extensions/add/?tech=sip", retry)
    assert PbxUser.objects.get(pk="1006").vm_pin == "7777"


@pytest.mark.slow
def test_add_refuses_a_line_break_in_the_name(administrator_client):
    data = form_post_data(administrator_client.get("/extensions/add/?tech=sip"))
    data.update({"extension": "2000", "name": "Evil\r\n[inject]"})
    response = administrator_client.post("/extensions/add/?tech=sip", data)
    assert response.status_code == 200
    assert "control characters" in response.context["form"].errors["name"][0]
    assert not PbxUser.objects.exists()


def test_output_is_escaped(administrator_client, committed):
    committed(extension_create, extension="1000", name="<script>alert(1)</script>", tech="sip")
    html = administrator_client.get("/extensions/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.slow
def test_edit_saves_and_keeps_the_secret_when_left_empty(
    administrator_client, john, django_capture_on_commit_callbacks
):
    secret = Device.objects.get(pk="1000").endpoint.settings["secret"]
    page = administrator_client.get("/extensions/1000/")
    assert page.status_code == 200
    assert secret.encode() not in page.content, "the edit form does not carry the secret"
    data = form_post_data(page)
    data.update({"name": "John Smith", "secret": ""})
    with django_capture_on_commit_callbacks(execute=True):
        response = administrator_client.post("/extensions/1000/", data)
    assert response.status_code == 302
    assert PbxUser.objects.get(pk="1000").name == "John Smith"
    assert Device.objects.get(pk="1000").endpoint.settings["secret"] == secret


def test_edit_of_a_missing_extension_is_404(administrator_client):
    assert administrator_client.get("/extensions/4040/").status_code == 404


def test_delete_asks_then_removes(administrator_client, john, django_capture_on_commit_callbacks):
    confirm = administrator_client.get("/extensions/1000/delete/")
    assert b"Delete extension 1000" in confirm.content
    assert PbxUser.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = administrator_client.post("/extensions/1000/delete/")
    assert response.status_code == 302
    assert not PbxUser.objects.exists() and not Device.objects.exists()


@pytest.mark.slow
def test_a_viewer_reads_but_cannot_change(viewer_client, john):
    assert viewer_client.get("/extensions/").status_code == 200
    page = viewer_client.get("/extensions/1000/")
    assert page.status_code == 200
    assert b"Add extension" not in viewer_client.get("/extensions/").content
    assert viewer_client.post("/extensions/1000/", {"name": "Hacked"}).status_code == 403
    assert viewer_client.get("/extensions/add/").status_code == 403
    assert viewer_client.post("/extensions/1000/delete/").status_code == 403
    assert PbxUser.objects.get(pk="1000").name == "John Doe"


@pytest.mark.slow
def test_someone_without_a_pbx_role_is_refused(client, john):
    client.force_login(no_role())
    assert client.get("/extensions/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ("/", "/extensions/", "/extensions/add/", "/users/", "/devices/", "/settings/", "/config/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_every_post_needs_the_csrf_token(administrator_user, john):
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator_user)
    assert client.post("/extensions/1000/delete/").status_code == 403
    assert PbxUser.objects.exists()


def test_extensions_pages_belong_to_extensions_mode(administrator_client, deviceanduser):
    response = administrator_client.get("/extensions/")
    assert response.status_code == 302 and response["Location"] == "/"


# Two administrators on one extension: the second save from an old copy is refused, not lost.


@pytest.mark.slow
def test_given_a_saves_a_name_when_b_saves_a_ring_time_from_the_older_page_then_b_is_told_and_nothing_reverts(
    administrator_client, second_administrator_client, committed
):
    committed(extension_create, extension="1002", name="Ann", tech="pjsip")
    page_a = form_post_data(administrator_client.get("/extensions/1002/"))
    page_b = form_post_data(second_administrator_client.get("/extensions/1002/"))
    assert (
        committed(administrator_client.post, "/extensions/1002/", {**page_a, "name": "Anna"}).status_code
        == 302
    )

    response = committed(second_administrator_client.post, "/extensions/1002/", {**page_b, "ringtimer": "30"})
    assert response.status_code == 200
    saved = PbxUser.objects.get(pk="1002")
    assert (saved.name, saved.ringtimer) == ("Anna", 0), "B's save refused: A's name did not revert"
    html = response.content.decode()
    assert "Extension 1002 was changed by someone else after you opened it, so nothing was saved." in html
    assert response.context["form"].conflict["changes"] == [("Display name", "Ann", "Anna", None)]
    assert "Display name: Ann → Anna" in html
    # The form holds A's name (B never touched it) and B's ring time; saving again keeps both.
    again = form_post_data(response)
    assert (again["name"], again["ringtimer"]) == ("Anna", "30")
    assert committed(second_administrator_client.post, "/extensions/1002/", again).status_code == 302
    saved = PbxUser.objects.get(pk="1002")
    assert (saved.name, saved.ringtimer) == ("Anna", 30)


@pytest.mark.slow
def test_when_both_changed_the_same_field_what_b_typed_stays_in_the_form_and_the_message_says_so(
    administrator_client, second_administrator_client, committed
):
    committed(extension_create, extension="1002", name="Ann", tech="pjsip")
    page_a = form_post_data(administrator_client.get("/extensions/1002/"))
    page_b = form_post_data(second_administrator_client.get("/extensions/1002/"))
    committed(administrator_client.post, "/extensions/1002/", {**page_a, "name": "Anna", "callwaiting": ""})
    response = committed(second_administrator_client.post, "/extensions/1002/", {**page_b, "name": "Annie"})
    assert PbxUser.objects.get(pk="1002").name == "Anna"
    changes = response.context["form"].conflict["changes"]
    assert ("Display name", "Ann", "Anna", "Annie") in changes
    assert ("Call waiting", "yes", "no", None) in changes
    assert "(you typed Annie: kept in the form)" in response.content.decode()
    again = form_post_data(response)
    assert again["name"] == "Annie" and "callwaiting" not in again


@pytest.mark.slow
def test_a_version_that_this_portal_did_not_sign_is_refused_as_stale(administrator_client, committed):
    committed(extension_create, extension="1002", name="Ann", tech="pjsip")
    data = form_post_data(administrator_client.get("/extensions/1002/"))
    response = committed(
        administrator_client.post, "/extensions/1002/", {**data, "version": "forged", "name": "X"}
    )
    assert response.status_code == 200 and response.context["form"].conflict is not None
    assert PbxUser.objects.get(pk="1002").name == "Ann"
