"""Request bodies (api/parsers.py): JSON where JSON is read, a form where a file is uploaded, and
neither can overwhelm the parser."""

import pytest

from api.tests.helpers import EXT, make_extension
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


def test_a_body_nested_a_thousand_deep_is_a_400(admin_api):
    response = admin_api.post(EXT, "[" * 1200 + "]" * 1200, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]


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
