"""The audit log over the API (api/views/audit.py): for administrators, filtered, values as stored."""

import pytest

from api.tests.helpers import EXT, make_extension

pytestmark = pytest.mark.django_db


def test_administrators_read_the_audit_log_filtered(admin_api):
    make_extension(admin_api, "1000")
    make_extension(admin_api, "1001")
    entries = admin_api.get("/api/v1/audit/?id=1001&type=user").json()
    assert entries["count"] == 1 and entries["results"][0]["via"] == "api"
    assert admin_api.get("/api/v1/audit/?since=2026-13-01").status_code == 400


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


def test_the_last_day_there_is_filters_the_audit_log(admin_api):
    assert admin_api.get("/api/v1/audit/?until=9999-12-31").status_code == 200
