"""Every resource through DRF's client: roles, one path for writes (the services), errors, secrets."""

from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from asterisk.models import PhoneState, PhoneStatus, SyncChange, SyncStatus
from asterisk.sync import run_reloads, run_sync
from audit.models import Entry, Via
from bulk.models import ImportJob
from directory.devices.models import Device
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db

EXT = "/api/v1/extensions/"


def make_extension(api, number="1000", **fields):
    body = {"extension": number, "name": f"Person {number}", "tech": "pjsip", **fields}
    response = api.post(EXT, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


READS = [
    EXT,
    "/api/v1/users/",
    "/api/v1/devices/",
    "/api/v1/phone-status/",
    "/api/v1/sync/",
    "/api/v1/exports/extensions/",
]
WRITES = [
    ("post", EXT, {"extension": "1000", "name": "A", "tech": "pjsip"}),
    ("post", "/api/v1/users/", {"extension": "1000", "name": "A"}),
    ("post", "/api/v1/devices/", {"id": "1000", "tech": "pjsip"}),
    ("post", "/api/v1/sync/", {}),
    ("post", "/api/v1/imports/", {}),
]


@pytest.mark.parametrize("url", [*READS, "/api/v1/audit/", "/api/v1/imports/"])
def test_anonymous_requests_get_401(anonymous_api, url):
    assert anonymous_api.get(url).status_code == 401


@pytest.mark.parametrize("url", READS)
def test_viewers_read_every_resource(viewer_api, url):
    assert viewer_api.get(url).status_code == 200


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_viewers_get_403_on_every_write(viewer_api, method, url, body):
    response = getattr(viewer_api, method)(url, body, format="json")
    assert response.status_code == 403
    assert not PbxUser.objects.exists() and not Device.objects.exists()


def test_viewers_cannot_change_or_delete_an_extension(admin_api, viewer_api):
    make_extension(admin_api)
    assert viewer_api.patch(f"{EXT}1000/", {"name": "X"}, format="json").status_code == 403
    assert viewer_api.delete(f"{EXT}1000/").status_code == 403
    assert PbxUser.objects.get().name == "Person 1000"


@pytest.mark.parametrize("url", ["/api/v1/audit/", "/api/v1/imports/"])
def test_viewers_get_403_on_what_is_for_administrators(viewer_api, url):
    assert viewer_api.get(url).status_code == 403


def test_people_with_no_pbx_role_read_nothing(norole_api):
    assert norole_api.get(EXT).status_code == 403


# --- Extensions -------------------------------------------------------------


def test_an_administrator_creates_an_extension_through_the_service(admin_api):
    made = make_extension(admin_api, outboundcid='"Sales" <5551234>')
    assert made["extension"] == "1000" and made["tech"] == "pjsip" and made["dial"] == "PJSIP/1000"
    device = Device.objects.select_related("endpoint").get(pk="1000")
    assert device.user_id == "1000" and device.endpoint.settings["secret"]
    # The outbox holds the work the service queues (files, AstDB), as for the page.
    assert set(SyncChange.objects.values_list("kind", flat=True)) >= {"user", "device", "file"}


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


def test_pins_shorter_than_4_digits_are_refused_with_400(admin_api):
    response = admin_api.post(
        EXT,
        {
            "extension": "1000",
            "name": "A",
            "tech": "pjsip",
            "password": "123",
            "voicemail": "default",
            "vm_pin": "12",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["password"] == response.json()["vm_pin"] == ["A PIN has at least 4 digits."]
    assert not PbxUser.objects.exists()


def test_a_type_error_is_a_400_naming_the_field(admin_api):
    response = admin_api.post(EXT, {"extension": "1000", "name": "A", "tech": "smoke"}, format="json")
    assert response.status_code == 400 and "tech" in response.json()


def test_a_number_in_use_is_409(admin_api):
    make_extension(admin_api)
    response = admin_api.post(EXT, {"extension": "1000", "name": "Other", "tech": "sip"}, format="json")
    assert response.status_code == 409
    assert "already in use" in response.json()["extension"][0]
    devices = admin_api.post("/api/v1/devices/", {"id": "1000", "tech": "pjsip"}, format="json")
    assert devices.status_code == 409 and "id" in devices.json()


def test_secrets_and_pins_are_write_only(admin_api, viewer_api):
    make_extension(admin_api, password="4711", settings={"secret": "Sup3r-Secret-Value-99"})
    for api in (admin_api, viewer_api):
        for body in (api.get(f"{EXT}1000/").json(), api.get(EXT).json()["results"][0]):
            assert "password" not in body and "secret" not in body["settings"]
    device = admin_api.get("/api/v1/devices/1000/").json()
    assert "secret" not in device["settings"]
    assert "password" not in admin_api.get("/api/v1/users/1000/").json()


def test_administrators_read_secrets_only_when_they_ask(admin_api):
    make_extension(admin_api, password="4711", settings={"secret": "Sup3r-Secret-Value-99"})
    body = admin_api.get(f"{EXT}1000/?include_secrets=true").json()
    assert body["password"] == "4711" and body["settings"]["secret"] == "Sup3r-Secret-Value-99"
    device = admin_api.get("/api/v1/devices/1000/?include_secrets=true").json()
    assert device["settings"]["secret"] == "Sup3r-Secret-Value-99"
    assert admin_api.get("/api/v1/users/?include_secrets=true").json()["results"][0]["password"] == "4711"


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


def test_a_change_sends_only_the_fields_given(admin_api):
    make_extension(admin_api, outboundcid="5551234", settings={"secret": "Sup3r-Secret-Value-99"})
    changed = admin_api.patch(f"{EXT}1000/", {"name": "Ann", "settings": {"dtmfmode": "info"}}, format="json")
    assert changed.status_code == 200
    assert changed.json()["name"] == "Ann" and changed.json()["outboundcid"] == "5551234"
    settings = Device.objects.select_related("endpoint").get(pk="1000").endpoint.settings
    assert settings["dtmfmode"] == "info" and settings["secret"] == "Sup3r-Secret-Value-99"


def test_a_bad_change_is_400_and_changes_nothing(admin_api):
    make_extension(admin_api)
    response = admin_api.patch(f"{EXT}1000/", {"name": "", "ringtimer": 500}, format="json")
    assert response.status_code == 400 and {"name", "ringtimer"} <= set(response.json())
    assert PbxUser.objects.get().name == "Person 1000"


def test_deleting_an_extension_removes_its_user_and_device(admin_api):
    make_extension(admin_api)
    assert admin_api.delete(f"{EXT}1000/").status_code == 204
    assert not PbxUser.objects.exists() and not Device.objects.exists()
    assert admin_api.get(f"{EXT}1000/").status_code == 404


def test_lists_filter_sort_and_page_within_the_pages_limits(admin_api):
    for number, tech in [("200", "sip"), ("2001", "pjsip"), ("2002", "pjsip"), ("3000", "iax2")]:
        make_extension(admin_api, number, tech=tech)
    PbxUser.objects.filter(pk="2002").update(name="Zoe")
    numbers = lambda q: [r["extension"] for r in admin_api.get(EXT + q).json()["results"]]  # noqa: E731
    assert numbers("?number=200") == ["200", "2001", "2002"]
    assert numbers("?name=zoe") == ["2002"]
    assert numbers("?tech=pjsip") == ["2001", "2002"]
    assert numbers("?sort=-extension") == ["3000", "2002", "2001", "200"]
    assert numbers("?page_size=2&page=2") == ["2002", "3000"]
    assert admin_api.get(EXT + "?sort=nosuch").status_code == 400
    assert admin_api.get(EXT + "?page_size=5000").json()["count"] == 4  # clamped, not refused


def test_the_state_filter_and_field_follow_the_phone_status(admin_api):
    make_extension(admin_api, "1000")
    make_extension(admin_api, "1001")
    PhoneStatus.objects.create(device_id="1001", state=PhoneState.UNREACHABLE, updated_at="2026-01-01T00:00Z")
    rows = admin_api.get(EXT + "?state=down").json()["results"]
    assert [(r["extension"], r["state"]) for r in rows] == [("1001", "unreachable")]
    assert [r["extension"] for r in admin_api.get(EXT + "?state=unknown").json()["results"]] == ["1000"]


# --- Users and devices --------------------------------------------------------


def test_users_are_created_changed_and_deleted_through_their_services(admin_api):
    made = admin_api.post(
        "/api/v1/users/", {"extension": "500", "name": "Una", "password": "1234"}, format="json"
    )
    assert made.status_code == 201 and "password" not in made.json() and made.json()["devices"] == []
    assert (
        admin_api.patch("/api/v1/users/500/", {"voicemail": "default"}, format="json").json()["voicemail"]
        == "default"
    )
    assert (
        admin_api.post("/api/v1/users/", {"extension": "500", "name": "Again"}, format="json").status_code
        == 409
    )
    assert admin_api.delete("/api/v1/users/500/").status_code == 204
    assert not PbxUser.objects.exists()


def test_the_users_list_filters_by_the_devices_they_are_on_as_the_page_does(admin_api):
    make_extension(admin_api, "1000", tech="sip")
    make_extension(admin_api, "1001", tech="pjsip")
    assert (
        admin_api.post("/api/v1/users/", {"extension": "1002", "name": "Cy"}, format="json").status_code
        == 201
    )
    admin_api.post("/api/v1/devices/", {"id": "3001", "tech": "sip", "devicetype": "adhoc"}, format="json")
    assert (
        admin_api.post("/api/v1/devices/3001/login/", {"extension": "1000"}, format="json").status_code == 200
    )
    numbers = lambda q: [r["extension"] for r in admin_api.get("/api/v1/users/" + q).json()["results"]]  # noqa: E731
    assert numbers("?tech=sip") == ["1000"]
    assert numbers("?tech=pjsip") == ["1001"]
    assert numbers("?tech=none") == ["1002"]
    assert numbers("?type=adhoc") == ["1000"]
    assert numbers("?type=adhoc&tech=pjsip") == []
    assert admin_api.get("/api/v1/users/?tech=sip").json()["count"] == 1
    assert admin_api.get("/api/v1/users/?tech=bogus").status_code == 400


def test_devices_carry_their_technology_settings(admin_api):
    made = admin_api.post(
        "/api/v1/devices/",
        {
            "id": "3001",
            "tech": "sip",
            "devicetype": "adhoc",
            "description": "Desk 1",
            "settings": {"nat": "no"},
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["settings"]["nat"] == "no" and made.json()["devicetype"] == "adhoc"
    changed = admin_api.patch("/api/v1/devices/3001/", {"settings": {"nat": "yes"}}, format="json")
    assert changed.json()["settings"]["nat"] == "yes"
    bad = admin_api.patch("/api/v1/devices/3001/", {"default_user": "999"}, format="json")
    assert bad.status_code == 400 and "default_user" in bad.json()
    assert admin_api.get("/api/v1/devices/?type=adhoc&tech=sip").json()["count"] == 1
    assert admin_api.delete("/api/v1/devices/3001/").status_code == 204


def test_hot_desking_logs_a_user_into_an_adhoc_device_and_off_again(admin_api, viewer_api):
    admin_api.post("/api/v1/users/", {"extension": "500", "name": "Una"}, format="json")
    admin_api.post("/api/v1/devices/", {"id": "3001", "tech": "pjsip", "devicetype": "adhoc"}, format="json")
    assert (
        viewer_api.post("/api/v1/devices/3001/login/", {"extension": "500"}, format="json").status_code == 403
    )
    logged_in = admin_api.post("/api/v1/devices/3001/login/", {"extension": "500"}, format="json")
    assert logged_in.status_code == 200 and logged_in.json()["user"] == "500"
    assert admin_api.get("/api/v1/users/500/").json()["devices"] == ["3001"]
    entry = Entry.objects.get(action="logged_in")
    assert (entry.via, entry.person) == (Via.API, "alice-admin")
    logged_out = admin_api.post("/api/v1/devices/3001/logout/")
    assert logged_out.status_code == 200 and logged_out.json()["user"] is None


def test_hot_desking_refuses_a_fixed_device_and_an_unknown_user(admin_api):
    make_extension(admin_api)
    fixed = admin_api.post("/api/v1/devices/1000/login/", {"extension": "1000"}, format="json")
    assert fixed.status_code == 400 and "fixed" in fixed.json()["non_field_errors"][0]
    unknown = admin_api.post("/api/v1/devices/1000/login/", {"extension": "999"}, format="json")
    assert unknown.status_code == 400 and "extension" in unknown.json()


# --- Status ----------------------------------------------------------------


def test_phone_status_is_read_only_and_per_device(admin_api, viewer_api):
    make_extension(admin_api)
    PhoneStatus.objects.create(
        device_id="1000",
        state=PhoneState.REGISTERED,
        address="192.0.2.7",
        port=5060,
        updated_at="2026-01-01T00:00Z",
    )
    status = viewer_api.get("/api/v1/phone-status/1000/").json()
    assert status["state"] == "registered" and status["address"] == "192.0.2.7:5060"
    assert viewer_api.get("/api/v1/phone-status/?state=registered").json()["count"] == 1
    assert admin_api.post("/api/v1/phone-status/1000/", {}).status_code == 405


def test_sync_status_and_sync_now(admin_api, viewer_api, worker_away):
    body = viewer_api.get("/api/v1/sync/").json()
    assert body["state"] == "never" and body["last_success_at"] is None and body["syncing"] is False
    response = admin_api.post("/api/v1/sync/")
    assert response.status_code == 202 and SyncStatus.get().queued and response.json()["syncing"] is True


def test_the_sync_status_is_data_a_monitor_can_read(admin_api, asterisk, settings):
    make_extension(admin_api)  # manual sync: waits in the outbox
    pending = admin_api.get("/api/v1/sync/").json()["pending"]
    assert pending["extensions"] == 1 and pending["total"] >= 1
    run_sync()
    assert admin_api.get("/api/v1/sync/").json()["pending"]["reloads"] > 0, (
        "the reloads are a run of their own"
    )
    run_reloads()
    body = admin_api.get("/api/v1/sync/").json()
    assert body["state"] == "connected" and body["pending"]["total"] == 0
    assert body["last_actions"] > 0 and body["error"] is None
    assert datetime.fromisoformat(body["last_success_at"]) <= timezone.now()


# --- Bulk ----------------------------------------------------------------------


def _csv(text: str, name="staff.csv"):
    return SimpleUploadedFile(name, text.encode(), "text/csv")


def test_an_import_is_uploaded_checked_confirmed_and_followed(
    admin_api, settings, django_capture_on_commit_callbacks
):
    uploaded = admin_api.post(
        "/api/v1/imports/",
        {"file": _csv("extension,name,tech\n1000,Ana,pjsip\n1001,Ben,sip\n")},
        format="multipart",
    )
    assert uploaded.status_code == 201
    job = uploaded.json()
    assert job["status"] == "previewed" and job["counts"]["create"] == 2 and not PbxUser.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = admin_api.post(
            f"/api/v1/imports/{job['id']}/confirm/", {"existing": "skip"}, format="json"
        )
    assert confirmed.status_code == 202
    done = admin_api.get(f"/api/v1/imports/{job['id']}/").json()
    assert done["status"] == "done" and done["progress"]["percent"] == 100
    assert PbxUser.objects.count() == 2
    assert set(Entry.objects.filter(via=Via.IMPORT).values_list("person", flat=True)) == {"alice-admin"}
    again = admin_api.post(f"/api/v1/imports/{job['id']}/confirm/", {}, format="json")
    assert again.status_code == 409


def test_a_file_with_bad_rows_cannot_be_confirmed_and_a_bad_file_is_400(admin_api):
    checked = admin_api.post(
        "/api/v1/imports/", {"file": _csv("extension,name\n12a,Ana\n")}, format="multipart"
    )
    job = checked.json()
    assert checked.status_code == 201 and job["status"] == "previewed" and job["problems"]
    refused_rows = admin_api.post(
        f"/api/v1/imports/{job['id']}/confirm/", {"existing": "skip"}, format="json"
    )
    assert refused_rows.status_code == 400 and "refused" in str(refused_rows.json())
    binary = SimpleUploadedFile("x.csv", b"\x00\x01\x02", "text/csv")
    refused = admin_api.post("/api/v1/imports/", {"file": binary}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()
    assert ImportJob.objects.count() == 1


def _export(api, url) -> str:
    response = api.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content).decode()


def test_exports_leave_secrets_and_pins_out_unless_an_administrator_asks(admin_api, viewer_api):
    make_extension(admin_api, password="4711", settings={"secret": "Sup3r-Secret-Value-99"})
    for kind in ("extensions", "users", "devices"):
        plain = _export(viewer_api, f"/api/v1/exports/{kind}/")
        assert "4711" not in plain and "Sup3r-Secret-Value-99" not in plain and "1000" in plain
    full = _export(admin_api, "/api/v1/exports/extensions/?include_secrets=true")
    assert "4711" in full and "Sup3r-Secret-Value-99" in full
    assert admin_api.get("/api/v1/exports/nosuch/").status_code == 404


# --- Audit -----------------------------------------------------------------------


def test_administrators_read_the_audit_log_filtered(admin_api):
    make_extension(admin_api, "1000")
    make_extension(admin_api, "1001")
    entries = admin_api.get("/api/v1/audit/?id=1001&type=user").json()
    assert entries["count"] == 1 and entries["results"][0]["via"] == "api"
    assert admin_api.get("/api/v1/audit/?since=2026-13-01").status_code == 400


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


def test_what_is_not_there_is_said_without_model_names(admin_api):
    missing = admin_api.get(f"{EXT}4040/")
    assert missing.status_code == 404 and "PbxUser" not in missing.json()["detail"]
    admin_api.post("/api/v1/devices/", {"id": "3001", "tech": "pjsip", "devicetype": "adhoc"}, format="json")
    login = admin_api.post("/api/v1/devices/3001/login/", {"extension": "9999"}, format="json")
    assert login.status_code == 400 and login.json() == {"extension": ["No user 9999."]}


def test_a_url_without_its_closing_slash_says_so(admin_api):
    response = admin_api.post("/api/v1/extensions", {"extension": "1000"}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"].endswith("'/': /api/v1/extensions/")
    assert admin_api.get("/api/v1/nothing-here/").json() == {"detail": "Not found."}


def test_the_docs_page_sends_a_stranger_to_the_login_page(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_upload_with_a_misspelt_field_is_refused(admin_api):
    staff = _csv("extension,name,tech\n1000,Ana,pjsip\n")
    response = admin_api.post("/api/v1/imports/", {"file": staff, "exisitng": "replace"}, format="multipart")
    assert response.status_code == 400 and "exisitng" in response.json()
    assert not ImportJob.objects.exists()


def test_an_upload_missing_a_required_column_is_refused_at_once(admin_api):
    response = admin_api.post("/api/v1/imports/", {"file": _csv("extension\n1000\n")}, format="multipart")
    assert response.status_code == 400
    assert "no name column" in response.json()["file"][0]
    assert not ImportJob.objects.exists()


def test_regen_gives_a_phone_a_new_strong_secret(admin_api):
    make_extension(admin_api, settings={"secret": "Sup3r-Secret-Value-99"})
    response = admin_api.patch(
        f"{EXT}1000/?include_secrets=true", {"settings": {"secret": "regen"}}, format="json"
    )
    assert response.status_code == 200
    new = Device.objects.get(pk="1000").endpoint.settings["secret"]
    assert new not in ("Sup3r-Secret-Value-99", "regen") and len(new) >= 16
    assert response.json()["settings"]["secret"] == new


def test_the_audit_log_hands_scripts_the_values_as_stored(admin_api):
    """The Audit page words them for people (yes/no, labels); the API keeps JSON's own types and codes."""
    make_extension(admin_api, "1000")
    admin_api.patch(f"{EXT}1000/", {"callwaiting": False, "recording_in_external": "force"}, format="json")
    entry = admin_api.get("/api/v1/audit/?id=1000&type=user&action=changed").json()["results"][0]
    assert entry["changes"] == {"callwaiting": [True, False], "recording_in_external": ["dontcare", "force"]}


def test_an_extension_created_is_one_audit_entry_with_each_object_it_touched(admin_api):
    make_extension(admin_api, "1000")
    (entry,) = admin_api.get("/api/v1/audit/?id=1000&type=endpoint").json()["results"]
    assert (entry["action"], entry["object_type"], entry["object_id"]) == ("created", "user", "1000")
    assert [(o["object_type"], o["action"]) for o in entry["objects"]] == [
        ("user", "created"),
        ("device", "created"),
        ("endpoint", "created"),
    ]
    assert entry["objects"][1]["changes"]["dial"] == [None, "PJSIP/1000"]


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


@pytest.mark.parametrize(
    "fields",
    [
        {"vm_email": "u@exa\u2028mple.com", "voicemail": "default"},
        {"vm_options": "saycid=x\u2028#include evil", "voicemail": "default"},
        {"name": "a\x9bb"},
        {"outboundcid": "Ana \u202eevil"},
    ],
)
def test_unicode_line_breaks_and_display_tricks_are_refused(admin_api, fields):
    body = {"extension": "3134", "name": "Fuzz", "tech": "pjsip", **fields}
    response = admin_api.post(EXT, body, format="json")
    assert response.status_code == 400 and set(fields) - {"voicemail"} <= set(response.json())
    assert not PbxUser.objects.filter(pk="3134").exists()


def test_a_body_nested_a_thousand_deep_is_a_400(admin_api):
    response = admin_api.post(EXT, "[" * 1200 + "]" * 1200, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]


def test_the_last_day_there_is_filters_the_audit_log(admin_api):
    assert admin_api.get("/api/v1/audit/?until=9999-12-31").status_code == 200


def test_include_secrets_where_nothing_is_secret_is_not_on_the_record(admin_api):
    admin_api.get("/api/v1/audit/?include_secrets=true")
    admin_api.get("/api/v1/phone-status/?include_secrets=true")
    assert not Entry.objects.filter(action="exported").exists()


def test_a_dial_string_for_a_device_that_takes_none_is_refused(admin_api):
    body = {"extension": "1000", "name": "Ann", "tech": "pjsip", "dial": "IGNORED"}
    assert "dial" in admin_api.post(EXT, body, format="json").json()
    make_extension(admin_api)
    assert admin_api.patch(f"{EXT}1000/", {"dial": "SIP/x"}, format="json").status_code == 400
    assert admin_api.patch("/api/v1/devices/1000/", {"dial": "SIP/x"}, format="json").status_code == 400
    custom = {"id": "7000", "tech": "custom", "dial": "Local/5551234@from-internal"}
    assert admin_api.post("/api/v1/devices/", custom, format="json").status_code == 201


def test_the_docs_page_links_back_to_the_portal(administrator_client):
    page = administrator_client.get("/api/docs/").content.decode()
    assert 'href="/"' in page and 'href="/api-tokens/"' in page and 'id="swagger-ui"' in page


def test_the_name_filter_folds_accents_and_case(admin_api):
    make_extension(admin_api, "1000", name="Ana Müller")
    make_extension(admin_api, "1001", name="Bob Miller")
    found = admin_api.get(f"{EXT}?name=muller").json()["results"]
    assert [e["extension"] for e in found] == ["1000"]
    assert [u["extension"] for u in admin_api.get("/api/v1/users/?name=MULLER").json()["results"]] == ["1000"]
    devices = admin_api.get("/api/v1/devices/?name=muller").json()["results"]
    assert [d["id"] for d in devices] == ["1000"]


# --- One body type per operation, every error at once -------------------------------


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


def test_a_form_body_where_json_is_read_is_a_415_that_says_what_to_send(admin_api):
    make_extension(admin_api, settings={"secret": "Sup3r-Secret-Value-99"})
    for body, content_type in [
        ({"name": "Ann", "ringtimer": "30"}, "multipart"),
        ("name=Ann", "application/x-www-form-urlencoded"),
    ]:
        kwargs = {"format": content_type} if content_type == "multipart" else {"content_type": content_type}
        response = admin_api.patch(f"{EXT}1000/", body, **kwargs)
        assert response.status_code == 415
        assert "This operation takes application/json." in response.json()["detail"]
    created = admin_api.post(EXT, {"extension": "1001", "name": "A", "tech": "pjsip"}, format="multipart")
    assert created.status_code == 415
    assert PbxUser.objects.get().name == "Person 1000" and not PbxUser.objects.filter(pk="1001").exists()
    # And the reverse: an upload takes a form, not JSON.
    upload = admin_api.post("/api/v1/imports/", {"kind": "extensions"}, format="json")
    assert upload.status_code == 415 and "multipart/form-data" in upload.json()["detail"]


# --- Call features ------------------------------------------------------------


def test_an_extensions_call_features_are_fields_read_and_changed_like_the_others(admin_api):
    make_extension(admin_api, "1000")
    make_extension(admin_api, "1001")
    response = admin_api.patch(
        f"{EXT}1000/",
        {
            "dnd": True,
            "cf": "1001",
            "cfu": "+4930123456",
            "followme": True,
            "followme_list": ["1001", "0171234567#"],
            "followme_prering": 5,
            "followme_strategy": "hunt",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["dnd"], body["cf"], body["cfb"], body["cfu"]) == (True, "1001", "", "+4930123456")
    assert body["followme_list"] == ["1001", "0171234567#"]
    assert (body["followme_prering"], body["followme_grptime"], body["followme_strategy"]) == (5, 20, "hunt")
    user = PbxUser.objects.get(pk="1000")
    assert user.followme_list == "1001-0171234567#"
    assert admin_api.get(f"{EXT}1000/").json()["followme_list"] == ["1001", "0171234567#"]
    entry = Entry.objects.filter(via=Via.API, object_id="1000").latest("pk")
    assert entry.changes["dnd"] == [False, True]


def test_a_users_call_features_are_on_the_users_resource_too(admin_api):
    response = admin_api.post(
        "/api/v1/users/", {"extension": "2000", "name": "Ann", "cfb": "2001", "dnd": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["cfb"] == "2001"
    assert admin_api.get("/api/v1/users/2000/").json()["dnd"] is True


def test_the_call_features_rules_answer_400_with_every_problem(admin_api):
    make_extension(admin_api, "1000")
    response = admin_api.patch(
        f"{EXT}1000/",
        {"cf": "1000", "cfb": "12;3", "followme": True, "followme_strategy": "memoryhunt"},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert "itself" in errors["cf"][0]
    assert errors.keys() >= {"cf", "cfb", "followme_list", "followme_strategy"}
    user = PbxUser.objects.get(pk="1000")
    assert (user.cf, user.cfb, user.followme) == ("", "", False)
