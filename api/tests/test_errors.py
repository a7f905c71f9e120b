"""How the API answers what goes wrong outside its own checks: always JSON, never a page."""

import threading

import pytest
from django.db import connection

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
