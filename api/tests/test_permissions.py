"""The portal's roles over every resource: viewers read, administrators write, no role reads nothing."""

import pytest

from api.tests.helpers import EXT, make_extension
from directory.devices.models import Device
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db

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


@pytest.mark.slow
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
