"""What every API view shares (api/base.py): the token's owner as the actor, `include_secrets`, no OPTIONS,
paging, and `parse`: one body type per operation, every problem at once."""

import pytest

from api.tests.helpers import EXT, make_extension
from audit.models import Entry, Via
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_every_write_is_audited_with_the_tokens_owner(admin_api):
    make_extension(admin_api)
    admin_api.patch(f"{EXT}1000/", {"name": "Renamed"}, format="json")
    entries = Entry.objects.filter(object_id="1000")
    assert entries.count() >= 4
    assert {(e.via, e.person) for e in entries} == {(Via.API, "alice-admin")}
    assert all(e.detail.startswith("API token ") for e in entries)


def test_it_reports_every_field_error_at_once_with_400(admin_api):
    response = admin_api.post(
        EXT,
        {
            "extension": "12a",
            "name": "Ann\nEvil",
            "tech": "pjsip",
            "outboundcid": "<<",
            "settings": {"dtmfmode": "smoke", "nosuch": "1"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"extension", "name", "outboundcid", "dtmfmode", "nosuch"} <= set(response.json())
    assert all(isinstance(m, list) and m for m in response.json().values())
    assert not PbxUser.objects.exists()


def test_administrators_read_secrets_only_when_they_ask(admin_api):
    make_extension(admin_api, password="4711", settings={"secret": "Sup3r-Secret-Value-99"})
    body = admin_api.get(f"{EXT}1000/?include_secrets=true").json()
    assert body["password"] == "4711" and body["settings"]["secret"] == "Sup3r-Secret-Value-99"
    device = admin_api.get("/api/v1/devices/1000/?include_secrets=true").json()
    assert device["settings"]["secret"] == "Sup3r-Secret-Value-99"
    assert admin_api.get("/api/v1/users/?include_secrets=true").json()["results"][0]["password"] == "4711"


@pytest.mark.slow
def test_reading_secrets_is_on_the_record_once_per_call_and_plain_reads_are_not(admin_api):
    make_extension(admin_api, password="4711")
    before = Entry.objects.count()
    admin_api.get(f"{EXT}1000/")
    admin_api.get(EXT)
    assert Entry.objects.count() == before
    admin_api.get(f"{EXT}?include_secrets=true")
    admin_api.get("/api/v1/devices/1000/?include_secrets=true")
    reads = Entry.objects.filter(action="exported").order_by("pk")
    assert [(e.object_repr, e.via, e.person) for e in reads] == [
        (f"GET {EXT} with secrets", Via.API, "alice-admin"),
        ("GET /api/v1/devices/1000/ with secrets", Via.API, "alice-admin"),
    ]
    assert "4711" not in str(list(Entry.objects.values()))


def test_viewers_asking_for_secrets_get_403(admin_api, viewer_api):
    make_extension(admin_api)
    assert viewer_api.get(f"{EXT}1000/?include_secrets=true").status_code == 403
    assert viewer_api.get("/api/v1/exports/extensions/?include_secrets=true").status_code == 403


def test_fields_an_operation_does_not_take_are_refused_not_ignored(admin_api):
    make_extension(admin_api)
    response = admin_api.patch(
        f"{EXT}1000/", {"extension": "2999", "tech": "sip", "nmae": "Typo", "name": "Ann"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"extension", "tech", "nmae"}
    assert "Cannot be changed" in errors["extension"][0] and "name" in errors["nmae"][0]
    assert admin_api.get(f"{EXT}1000/").json()["name"] == "Person 1000", "nothing changed"


def test_errors_about_settings_are_named_by_the_setting_whatever_finds_them(admin_api):
    typed = admin_api.post(
        EXT,
        {"extension": "1000", "name": "Ann", "tech": "pjsip", "settings": {"context": None}},
        format="json",
    )
    checked = admin_api.post(
        EXT, {"extension": "1000", "name": "Ann", "tech": "pjsip", "settings": {"nosuch": "x"}}, format="json"
    )
    assert typed.status_code == checked.status_code == 400
    assert "context" in typed.json() and "nosuch" in checked.json()


def test_include_secrets_must_say_yes_or_no_before_anything_is_written(admin_api):
    make_extension(admin_api)
    response = admin_api.get(f"{EXT}1000/?include_secrets=maybe")
    assert response.status_code == 400 and "include_secrets" in response.json()
    assert admin_api.get(f"{EXT}1000/?include_secrets=false").status_code == 200
    body = {"extension": "2001", "name": "Ann", "tech": "pjsip"}
    assert admin_api.post(f"{EXT}?include_secrets=maybe", body, format="json").status_code == 400
    assert (
        admin_api.patch(f"{EXT}1000/?include_secrets=maybe", {"name": "Bob"}, format="json").status_code
        == 400
    )
    assert not PbxUser.objects.filter(pk="2001").exists(), "refused before the write"
    assert PbxUser.objects.get(pk="1000").name == "Person 1000"


def test_answers_with_secrets_are_not_cached(admin_api):
    make_extension(admin_api)
    assert admin_api.get(f"{EXT}1000/?include_secrets=true")["Cache-Control"] == "no-store"
    assert "no-store" not in admin_api.get(f"{EXT}1000/").get("Cache-Control", "")


def test_behind_a_tls_proxy_page_links_say_https(admin_api, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # PBXADMIN_BEHIND_PROXY
    make_extension(admin_api, "1000")
    make_extension(admin_api, "1001")
    page = admin_api.get(f"{EXT}?page_size=1", HTTP_X_FORWARDED_PROTO="https").json()
    assert page["next"].startswith("https://")


def test_options_is_neither_offered_nor_answered(admin_api):
    make_extension(admin_api)
    assert "OPTIONS" not in admin_api.get(f"{EXT}1000/")["Allow"]
    assert admin_api.options(f"{EXT}1000/").status_code == 405


def test_include_secrets_where_nothing_is_secret_is_not_on_the_record(admin_api):
    admin_api.get("/api/v1/audit/?include_secrets=true")
    admin_api.get("/api/v1/phone-status/?include_secrets=true")
    assert not Entry.objects.filter(action="exported").exists()


def test_a_change_names_every_problem_at_once_as_the_page_does(admin_api):
    make_extension(admin_api, voicemail="default")
    body = {"ringtimer": 500, "vm_email": "not an address", "settings": {"dtmfmode": "smoke"}}
    response = admin_api.patch(f"{EXT}1000/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"ringtimer", "vm_email", "dtmfmode"}
    # A value of the wrong type, the service's own rules and an unknown field, together.
    body = {
        "ringtimer": "soon",
        "name": "",
        "nmae": "Typo",
        "settings": {"dtmfmode": "smoke", "context": None},
    }
    response = admin_api.patch(f"{EXT}1000/", body, format="json")
    assert set(response.json()) == {"ringtimer", "name", "nmae", "dtmfmode", "context"}
    assert PbxUser.objects.get().name == "Person 1000"


def test_a_create_names_every_problem_at_once(admin_api):
    body = {
        "extension": "1000",
        "name": "Ann",
        "tech": "pjsip",
        "ringtimer": -5,
        "vm_email": "not an address",
        "voicemail": "default",
        "dial": "SIP/x",
        "settings": {"dtmfmode": "smoke"},
    }
    response = admin_api.post(EXT, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"ringtimer", "vm_email", "dial", "dtmfmode"}
    # A required field refused or missing is named once, with the rest.
    response = admin_api.post(
        EXT, {"name": 5 * "x" * 100, "tech": "pjsip", "outboundcid": "<<"}, format="json"
    )
    assert set(response.json()) == {"extension", "name", "outboundcid"}
    assert response.json()["extension"] == ["This field is required."]
    assert not PbxUser.objects.exists()


def test_users_and_devices_name_every_problem_at_once(admin_api):
    user = {"extension": "500", "name": "Una", "ringtimer": "x", "outboundcid": "<<"}
    assert set(admin_api.post("/api/v1/users/", user, format="json").json()) == {"ringtimer", "outboundcid"}
    admin_api.post("/api/v1/users/", {"extension": "500", "name": "Una"}, format="json")
    change = {"cfringtimer": 999, "name": "Una\nEvil"}
    assert set(admin_api.patch("/api/v1/users/500/", change, format="json").json()) == {"cfringtimer", "name"}
    device = {"id": "3001", "tech": "sip", "devicetype": "smoke", "settings": {"nat": "smoke"}}
    assert set(admin_api.post("/api/v1/devices/", device, format="json").json()) == {"devicetype", "nat"}
    admin_api.post("/api/v1/devices/", {"id": "3001", "tech": "sip"}, format="json")
    change = {"default_user": "999", "dial": "SIP/x", "settings": {"nat": "smoke"}}
    errors = admin_api.patch("/api/v1/devices/3001/", change, format="json").json()
    assert set(errors) == {"default_user", "dial", "nat"}
