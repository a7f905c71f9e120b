"""The bulk import and export screens, through Django's client."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bulk.models import ImportJob
from directory.devices.models import Device
from directory.users.extensions import extension_create
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


def upload(client, text: str | bytes, name: str = "extensions.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/bulk/", {"file": SimpleUploadedFile(name, data, "text/csv"), "kind": "extensions"})


def test_upload_check_confirm_and_result(administrator_client, settings, django_capture_on_commit_callbacks):
    response = upload(administrator_client, "extension,name,tech,nat\n1000,Ana,pjsip,\n1001,Ben,sip,no\n")
    job = ImportJob.objects.get()
    assert response["Location"] == f"/bulk/{job.pk}/progress/", "the check has its own progress"
    state = administrator_client.get(response["Location"] + "?format=json").json()
    assert (state["phase"], state["percent"], state["next"]) == ("check", 100, f"/bulk/{job.pk}/")
    preview = administrator_client.get(f"/bulk/{job.pk}/")
    assert preview.context["report"].counts["create"] == 2
    assert b"Import" in preview.content and not PbxUser.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        started = administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "skip"})
    assert started["Location"] == f"/bulk/{job.pk}/progress/"
    progress = administrator_client.get(f"/bulk/{job.pk}/progress/?format=json").json()
    assert (progress["status"], progress["done"], progress["total"], progress["percent"]) == (
        "done",
        2,
        2,
        100,
    )
    assert progress["finished"] and not progress["failed"]
    result = administrator_client.get(f"/bulk/{job.pk}/result/")
    assert "2 created" in result.content.decode()
    assert PbxUser.objects.count() == 2 and Device.objects.get(pk="1001").endpoint.settings["nat"] == "no"


def test_a_preview_with_errors_offers_no_import(administrator_client):
    upload(administrator_client, "extension,name\n1000,Ana\n10x1,Bad\n")
    job = ImportJob.objects.get()
    html = administrator_client.get(f"/bulk/{job.pk}/").content.decode()
    assert "1 row cannot be imported" in html and "Use digits only" in html
    assert f"/bulk/{job.pk}/start/" not in html
    assert administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "skip"}).status_code == 400
    assert not PbxUser.objects.exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\xff\xfeextension", "not UTF-8"),
        (b"Dear administrator\nAna\n", "does not look like a CSV file"),
        (b"name\nAna\n", "The file has no extension column"),
        (b"name,tech\nAna,sip\n", "The file has no extension column"),
    ],
)
def test_a_bad_file_is_refused_on_the_upload_form(administrator_client, data, message):
    response = upload(administrator_client, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PbxUser.objects.exists()


def test_viewers_export_without_secrets_but_cannot_import(viewer_client, committed):
    committed(extension_create, extension="1000", name="Ana", tech="sip")
    secret = Device.objects.get(pk="1000").endpoint.settings["secret"]
    assert viewer_client.get("/bulk/").status_code == 200
    assert upload(viewer_client, "extension,name\n1001,B\n").status_code == 403
    exported = b"".join(
        viewer_client.get("/bulk/export/?kind=extensions&secrets=on").streaming_content
    ).decode()
    assert "1000,Ana" in exported and secret not in exported


def test_administrators_choose_whether_secrets_are_exported(administrator_client, committed):
    committed(extension_create, extension="1000", name="Ana", tech="sip")
    committed(extension_create, extension="2000", name="Zed", tech="sip")
    secret = Device.objects.get(pk="1000").endpoint.settings["secret"]
    response = administrator_client.get("/bulk/export/?kind=extensions")
    assert response["Content-Disposition"] == 'attachment; filename="extensions.csv"'
    assert secret not in b"".join(response.streaming_content).decode()
    with_secrets = b"".join(
        administrator_client.get("/bulk/export/?kind=extensions&secrets=on").streaming_content
    ).decode()
    assert secret in with_secrets
    filtered = b"".join(
        administrator_client.get("/bulk/export/?kind=extensions&q=Zed").streaming_content
    ).decode()
    assert "2000" in filtered and "1000," not in filtered
