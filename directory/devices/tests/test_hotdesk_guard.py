"""The hot-desk lock-out as a service and on the pages: growth, reset, and who may lift it."""

import pytest
from django.test import Client

from audit.models import Entry
from directory.devices.hotdesk_guard import (
    PinCheck,
    hotdesk_lockout_lift,
    hotdesk_lockout_of,
    hotdesk_pin_check,
)
from directory.devices.models import Device, HotdeskLockout
from directory.devices.services import device_create
from directory.users.services import user_create

pytestmark = pytest.mark.django_db

CHANNEL = "PJSIP/3001-0000001a"


@pytest.fixture
def desk(settings, deviceanduser):
    settings.PBXADMIN_HOTDESK_MAX_FAILURES = 5
    settings.PBXADMIN_HOTDESK_LOCKOUT = 60
    settings.PBXADMIN_HOTDESK_LOCKOUT_MAX = 600
    dana = user_create(extension="1000", name="Dana", password="4711")
    device = device_create(id="3001", tech="pjsip", devicetype="adhoc")
    return device, dana


def check(desk, pin):
    device, user = desk
    return hotdesk_pin_check(device=device, user=user, pin=pin, channel=CHANNEL)


def lock_out(desk):
    for _ in range(5):
        assert check(desk, "0000") is PinCheck.WRONG


def lockout_seconds(row: HotdeskLockout) -> float:
    return (row.locked_until - row.last_failure_at).total_seconds()


def expire_lockouts():
    HotdeskLockout.objects.update(locked_until=HotdeskLockout.objects.get(user="1000").last_failure_at)


def test_below_the_threshold_wrong_pins_are_counted_but_not_locked(desk):
    for _ in range(4):
        assert check(desk, "0000") is PinCheck.WRONG
    row = hotdesk_lockout_of(user=desk[1])
    assert row.failures == 4 and not row.is_locked
    assert row.last_channel == CHANNEL
    assert check(desk, "4711") is PinCheck.ACCEPTED


def test_the_lock_out_starts_at_the_threshold_and_doubles_up_to_the_cap(desk):
    lock_out(desk)
    seen = [lockout_seconds(hotdesk_lockout_of(user=desk[1]))]
    for _ in range(5):
        expire_lockouts()
        assert check(desk, "0000") is PinCheck.WRONG
        seen.append(lockout_seconds(hotdesk_lockout_of(user=desk[1])))
    assert seen == [60, 120, 240, 480, 600, 600]
    assert lockout_seconds(hotdesk_lockout_of(device=desk[0])) == 600


def test_during_a_lock_out_the_right_pin_is_refused_and_nothing_is_counted(desk):
    lock_out(desk)
    assert check(desk, "4711") is PinCheck.LOCKED
    assert check(desk, "0000") is PinCheck.LOCKED
    assert hotdesk_lockout_of(user=desk[1]).failures == 5


def test_a_right_pin_resets_the_user_and_the_device(desk):
    for _ in range(4):
        check(desk, "0000")
    assert check(desk, "4711") is PinCheck.ACCEPTED
    assert not HotdeskLockout.objects.exists()


def test_lifting_clears_the_lock_out_and_the_count(desk):
    lock_out(desk)
    assert hotdesk_lockout_lift(user=desk[1]) is True
    assert hotdesk_lockout_of(user=desk[1]) is None
    assert check(desk, "4711") is PinCheck.LOCKED, "the device is locked on its own until lifted too"
    assert hotdesk_lockout_lift(device=desk[0]) is True
    assert check(desk, "4711") is PinCheck.ACCEPTED


def test_deleting_the_user_or_the_device_deletes_its_count(desk):
    lock_out(desk)
    Device.objects.filter(pk="3001").delete()
    desk[1].delete()
    assert not HotdeskLockout.objects.exists()


# --- Pages ---------------------------------------------------------------------


@pytest.mark.slow
def test_an_administrator_sees_the_lock_out_on_the_user_and_device_pages(desk, administrator_client):
    lock_out(desk)
    for url in ("/users/1000/", "/devices/3001/"):
        html = administrator_client.get(url).content.decode()
        assert "Locked until" in html and "5 failed attempts" in html and CHANNEL in html, url
        assert "Lift the lock-out" in html


def test_a_viewer_does_not_see_the_lock_out_and_cannot_lift_it(desk, viewer_client):
    lock_out(desk)
    assert "Locked until" not in viewer_client.get("/users/1000/").content.decode()
    assert viewer_client.post("/users/1000/lockout/lift/").status_code == 403
    assert viewer_client.post("/devices/3001/lockout/lift/").status_code == 403
    assert hotdesk_lockout_of(user=desk[1]).is_locked
    assert hotdesk_lockout_of(device=desk[0]).is_locked


def test_an_administrator_lifts_the_lock_out_from_the_users_page(desk, administrator_client):
    lock_out(desk)
    response = administrator_client.post("/users/1000/lockout/lift/", {"next": "/users/1000/"}, follow=True)
    assert response.redirect_chain == [("/users/1000/", 302)]
    assert "lock-out of 1000" in response.content.decode()
    assert hotdesk_lockout_of(user=desk[1]) is None
    assert hotdesk_lockout_of(device=desk[0]).is_locked, "only what was asked"


def test_an_administrator_lifts_the_lock_out_from_the_devices_page(desk, administrator_client):
    lock_out(desk)
    response = administrator_client.post("/devices/3001/lockout/lift/")
    assert response.status_code == 302 and response["Location"] == "/devices/3001/"
    assert hotdesk_lockout_of(device=desk[0]) is None


def test_lifting_needs_a_post_with_the_csrf_token(desk, administrator_user):
    lock_out(desk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator_user)
    assert client.get("/users/1000/lockout/lift/").status_code == 405
    assert client.post("/users/1000/lockout/lift/").status_code == 403
    assert hotdesk_lockout_of(user=desk[1]).is_locked


def test_the_lift_button_does_not_redirect_off_site(desk, administrator_client):
    lock_out(desk)
    response = administrator_client.post("/users/1000/lockout/lift/", {"next": "//evil.example/"})
    assert response["Location"] == "/users/1000/"


def test_the_extension_page_shows_the_lock_out_too(settings, administrator_client):
    from directory.users.extensions import extension_create

    settings.PBXADMIN_HOTDESK_MAX_FAILURES = 1
    ana = extension_create(extension="1000", name="Ana", tech="pjsip", password="4711")
    desk = device_create(id="3001", tech="pjsip", devicetype="adhoc")
    hotdesk_pin_check(device=desk, user=ana, pin="0000", channel=CHANNEL)
    assert "Lift the lock-out" in administrator_client.get("/extensions/1000/").content.decode()


@pytest.mark.parametrize(
    ("url", "kind", "ref"),
    [("/users/1000/lockout/lift/", "user", "1000"), ("/devices/3001/lockout/lift/", "device", "3001")],
)
def test_lifting_a_lock_out_is_in_the_audit_log(desk, administrator_client, url, kind, ref):
    lock_out(desk)
    administrator_client.post(url)
    [entry] = Entry.objects.filter(action="unlocked")
    assert (entry.via, entry.person, entry.object_type, entry.object_id) == (
        "portal",
        "alice-admin",
        kind,
        ref,
    )
    assert entry.changes == {"failed attempts": [5, 0]}


def test_lifting_where_nothing_is_locked_records_nothing(desk):
    assert hotdesk_lockout_lift(user=desk[1]) is False
    assert not Entry.objects.filter(action="unlocked").exists()
