"""ETag and If-Match: a PATCH made from an old read is refused with 412, never saved over a newer change."""

import pytest

from directory.devices.models import Device
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(admin_api):
    response = admin_api.post(
        "/api/v1/extensions/", {"extension": "1002", "name": "Ann", "tech": "pjsip"}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.slow
@pytest.mark.parametrize("url", ["/api/v1/extensions/1002/", "/api/v1/users/1002/", "/api/v1/devices/1002/"])
def test_a_read_carries_a_strong_etag_that_a_save_moves(admin_api, ann, url):
    first = admin_api.get(url)["ETag"]
    assert first.startswith('"') and first.endswith('"') and admin_api.get(url)["ETag"] == first
    body = {"description": "Desk"} if "devices" in url else {"ringtimer": 20}
    patched = admin_api.patch(url, body, format="json", HTTP_IF_MATCH=first)
    assert patched.status_code == 200
    assert patched["ETag"] != first and patched["ETag"] == admin_api.get(url)["ETag"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/extensions/1002/", {"ringtimer": 30}),
        ("/api/v1/users/1002/", {"ringtimer": 30}),
        ("/api/v1/devices/1002/", {"emergency_cid": "911"}),
    ],
)
def test_given_b_read_before_a_saved_when_b_patches_with_if_match_then_412_and_nothing_saved(
    admin_api, ann, url, body
):
    read_by_b = admin_api.get(url)["ETag"]
    a = admin_api.patch("/api/v1/extensions/1002/", {"name": "Anna"}, format="json")
    assert a.status_code == 200
    refused = admin_api.patch(url, body, format="json", HTTP_IF_MATCH=read_by_b)
    assert refused.status_code == 412
    assert "was changed after you read it" in refused.json()["detail"]
    assert admin_api.get(url)["ETag"] in refused.json()["detail"], "it names the ETag to read again"
    user, device = PbxUser.objects.get(pk="1002"), Device.objects.get(pk="1002")
    assert (user.name, user.ringtimer, device.emergency_cid) == ("Anna", 0, "")


@pytest.mark.slow
def test_if_match_is_optional_any_listed_tag_may_match_and_a_weak_one_never_does(admin_api, ann):
    url = "/api/v1/extensions/1002/"
    assert admin_api.patch(url, {"ringtimer": 1}, format="json").status_code == 200
    assert admin_api.patch(url, {"ringtimer": 2}, format="json", HTTP_IF_MATCH="*").status_code == 200
    now = admin_api.get(url)["ETag"]
    listed = f'"old", {now}'
    assert admin_api.patch(url, {"ringtimer": 3}, format="json", HTTP_IF_MATCH=listed).status_code == 200
    now = admin_api.get(url)["ETag"]
    assert admin_api.patch(url, {"ringtimer": 4}, format="json", HTTP_IF_MATCH=f"W/{now}").status_code == 412
    assert PbxUser.objects.get(pk="1002").ringtimer == 3
