"""Imports and exports over the API (api/views/bulk.py): upload, check, confirm and follow; exports
without secrets unless an administrator asks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.tests.helpers import make_extension
from audit.models import Entry, Via
from bulk.models import ImportJob
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


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
