"""How the API answers what goes wrong outside its own checks: always JSON, never a page."""

import threading

import pytest
from django.db import connection

from api.tests.helpers import EXT, make_extension
from bulk.importing import import_file
from directory.users.extensions import extension_create
from directory.users.models import PbxUser


def _hold_an_import():
    """A real import in a thread of its own, held inside its transaction until released."""
    inside, release = threading.Event(), threading.Event()
    text = "extension,name,tech\n5000,Person,pjsip\n"

    def progress(done):
        inside.set()
        release.wait(30)

    def run():
        try:
            import_file("extensions", text, progress=progress)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert inside.wait(30), "the import started"
    return thread, release


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_busy_sqlite_answers_503_with_json_detail_not_a_page(admin_api, settings):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database: nothing is busy")
    settings.PBXADMIN_SQLITE_REQUEST_WAIT = 0.3
    extension_create(extension="1000", name="John Doe", tech="sip")
    thread, release = _hold_an_import()
    try:
        response = admin_api.patch("/api/v1/extensions/1000/", {"name": "John Smith"}, format="json")
    finally:
        release.set()
        thread.join()
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert "busy" in response.json()["detail"] and "nothing was saved" in response.json()["detail"]
    assert PbxUser.objects.get(pk="1000").name == "John Doe"


@pytest.mark.django_db
def test_a_number_in_use_is_409(admin_api):
    make_extension(admin_api)
    response = admin_api.post(EXT, {"extension": "1000", "name": "Other", "tech": "sip"}, format="json")
    assert response.status_code == 409
    assert "already in use" in response.json()["extension"][0]
    devices = admin_api.post("/api/v1/devices/", {"id": "1000", "tech": "pjsip"}, format="json")
    assert devices.status_code == 409 and "id" in devices.json()


@pytest.mark.django_db
def test_what_is_not_there_is_said_without_model_names(admin_api):
    missing = admin_api.get(f"{EXT}4040/")
    assert missing.status_code == 404 and "PbxUser" not in missing.json()["detail"]
    admin_api.post("/api/v1/devices/", {"id": "3001", "tech": "pjsip", "devicetype": "adhoc"}, format="json")
    login = admin_api.post("/api/v1/devices/3001/login/", {"extension": "9999"}, format="json")
    assert login.status_code == 400 and login.json() == {"extension": ["No user 9999."]}
