"""Home, Settings, sync status and sync now, the config diff and the secret generator."""

import re

import pytest

from asterisk.models import SyncChange
from directory.users.extensions import extension_create
from directory.validators import secret_strength
from portal.mode import pbx_mode

pytestmark = pytest.mark.django_db


def test_home_goes_to_the_modes_first_page(administrator_client, deviceanduser):
    assert administrator_client.get("/")["Location"] == "/users/"


def test_settings_switch_the_mode(administrator_client):
    assert administrator_client.get("/settings/").status_code == 200
    response = administrator_client.post("/settings/", {"mode": "deviceanduser"})
    assert response.status_code == 302
    assert pbx_mode() == "deviceanduser"
    assert b"Users" in administrator_client.get("/users/").content


def test_a_viewer_cannot_change_settings(viewer_client):
    viewer_client.post("/settings/", {"mode": "deviceanduser"})
    assert pbx_mode() == "extensions"


def test_sync_now_runs_a_sync(administrator_client, committed, asterisk, settings):
    committed(extension_create, extension="1000", name="A", tech="sip")
    response = administrator_client.post("/sync/", {"next": "/extensions/"})
    assert response["Location"] == "/extensions/"
    assert asterisk.astdb("DEVICE")["DEVICE/1000/dial"] == "SIP/1000"
    assert not SyncChange.objects.exists()


def test_a_viewer_cannot_sync(viewer_client):
    assert viewer_client.post("/sync/").status_code == 403


def test_the_config_page_never_shows_a_secret_or_a_mailbox_pin(viewer_client, committed, conf_dir):
    committed(
        extension_create, extension="1000", name="A", tech="pjsip", voicemail="default", vm_pin="482913",
        settings={"secret": "Zq81secretXy"},
    )  # fmt: skip
    for path in conf_dir.glob("*.conf"):
        path.write_text("")
    html = viewer_client.get("/config/").content.decode()
    assert "+1000 =&gt; ********,A,," in html and "+password=******** (secret changed)" in html
    assert "482913" not in html and "Zq81secretXy" not in html


def test_new_secrets_come_from_the_server_and_are_strong(administrator_client, viewer_client):
    first = administrator_client.get("/secret/new/").json()["secret"]
    second = administrator_client.get("/secret/new/").json()["secret"]
    assert first != second and len(first) == 32
    secret_strength(first)
    assert viewer_client.get("/secret/new/").status_code == 403


def test_anyone_logged_in_can_change_their_own_password(viewer_client):
    from django.contrib.auth.models import User

    user = User.objects.get(username="victor-viewer")
    user.set_password("Old-pass-for-test-17")
    user.save()
    viewer_client.force_login(user)
    assert viewer_client.get("/password/").status_code == 200
    response = viewer_client.post(
        "/password/",
        {
            "old_password": "Old-pass-for-test-17",
            "new_password1": "New-pass-for-test-42",
            "new_password2": "New-pass-for-test-42",
        },
    )
    assert response["Location"] == "/password/done/"
    user.refresh_from_db()
    assert user.check_password("New-pass-for-test-42")


@pytest.mark.parametrize(
    "target", ["/\\evil.example", "//evil.example", "https://evil.example/", "javascript:x"]
)
def test_sync_now_never_sends_the_browser_to_another_site(administrator_client, target):
    response = administrator_client.post("/sync/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_sync_now_returns_to_the_page_it_was_asked_from(administrator_client):
    response = administrator_client.post("/sync/", {"next": "/devices/?page=2"})
    assert response["Location"] == "/devices/?page=2"


def _editable_controls(html: str) -> list[str]:
    """Form controls a person could type into or change (hidden fields and disabled ones aside)."""
    controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    return [c for c in controls if "disabled" not in c and 'type="hidden"' not in c and 'name="q"' not in c]


@pytest.mark.slow
@pytest.mark.parametrize("url", ["/extensions/1000/", "/settings/"])
def test_a_viewer_gets_forms_to_read_not_to_fill_in(viewer_client, committed, url):
    committed(extension_create, extension="1000", name="Ana", tech="pjsip", voicemail="default")
    html = viewer_client.get(url).content.decode()
    form = html[html.index("<main") :]
    assert not [c for c in _editable_controls(form) if "per_page" not in c and 'name="state"' not in c]


@pytest.mark.slow
def test_an_administrator_gets_the_same_forms_to_fill_in(administrator_client, committed):
    committed(extension_create, extension="1000", name="Ana", tech="pjsip", voicemail="default")
    assert _editable_controls(administrator_client.get("/extensions/1000/").content.decode())
