"""The bodies (api/serializers.py): typed as the models are, refused as the models refuse, secrets
and PINs written but never read back unasked."""

import pytest

from api.tests.helpers import EXT, make_extension
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


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


def test_secrets_and_pins_are_write_only(admin_api, viewer_api):
    make_extension(admin_api, password="4711", settings={"secret": "Sup3r-Secret-Value-99"})
    for api in (admin_api, viewer_api):
        for body in (api.get(f"{EXT}1000/").json(), api.get(EXT).json()["results"][0]):
            assert "password" not in body and "secret" not in body["settings"]
    device = admin_api.get("/api/v1/devices/1000/").json()
    assert "secret" not in device["settings"]
    assert "password" not in admin_api.get("/api/v1/users/1000/").json()


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
