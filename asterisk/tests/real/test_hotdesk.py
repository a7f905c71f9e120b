"""Hot desking from a real phone: *11, the user and PIN as DTMF, *12; wrong PINs lock out.

The FastAGI service runs as `make run` runs it (`manage.py fastagi`); Asterisk
reaches it from the generated dialplan. Judged in the database and in
Asterisk's own AstDB (`database show`), which the service's sync updates.
"""

import pytest
from django.core.management import call_command

from asterisk.testing.pbx import wait_for
from asterisk.tests.real.helpers import no_channels, registered
from directory.devices.models import Device
from directory.devices.services import device_create
from directory.users.extensions import extension_create
from directory.users.services import user_create

pytestmark = pytest.mark.asterisk


def _desk(pbx, phone, service, **env):
    """An adhoc PJSIP phone 3001 (nobody on it), user 2099 with hot-desk PIN 4711, the FastAGI service."""
    user_create(extension="2099", name="Vic Visitor", password="4711")
    extension_create(extension="2001", name="Ana Müller", tech="pjsip")
    device_create(id="3001", tech="pjsip", devicetype="adhoc", description="Shared desk")
    call_command("asterisk_sync", "--full")
    # As `make run`: the worker takes the syncs the FastAGI service's logins ask for.
    worker = service("worker")
    agi = service("fastagi", **env)
    wait_for(lambda: "FastAGI" in agi.output() or "listening" in agi.output(), "the FastAGI service")
    wait_for(lambda: "ready" in worker.output(), "the Celery worker")
    desk = phone("3001")
    wait_for(lambda: registered(pbx, "3001", "pjsip"), "the shared phone to register")
    return desk, agi


def _played(pbx, mark: int, prompt: str, times: int = 1) -> bool:
    return pbx.log_since(mark).count(f"Playing '{prompt}.") >= times


def _user_on(device_id: str) -> str | None:
    return Device.objects.get(pk=device_id).user_id


def test_star_11_logs_a_user_in_and_star_12_gives_the_phone_back(pbx, phone, service):
    desk, _agi = _desk(pbx, phone, service)

    mark = pbx.log_mark()
    desk.dial("*11")
    wait_for(lambda: _played(pbx, mark, "agent-user"), "the prompt for the user's number")
    desk.keys("2099#")
    wait_for(lambda: _played(pbx, mark, "agent-pass"), "the prompt for the PIN")
    desk.keys("4711#")
    wait_for(lambda: _played(pbx, mark, "agent-loginok"), "'logged in'")
    wait_for(lambda: no_channels(pbx), "the call to end")

    assert _user_on("3001") == "2099"
    wait_for(
        lambda: pbx.database("DEVICE/3001").get("DEVICE/3001/user") == "2099", "DEVICE/3001/user in AstDB"
    )
    wait_for(lambda: pbx.database("AMPUSER/2099").get("AMPUSER/2099/device") == "3001", "2099's device list")

    mark = pbx.log_mark()
    desk.dial("*12")
    wait_for(lambda: _played(pbx, mark, "agent-loggedoff"), "'logged off'")

    wait_for(lambda: _user_on("3001") is None, "the phone to have nobody on it")
    wait_for(lambda: pbx.database("DEVICE/3001").get("DEVICE/3001/user") == "none", "DEVICE/3001/user = none")
    wait_for(lambda: "AMPUSER/2099/device" not in pbx.database("AMPUSER/2099"), "2099's empty device list")


def test_the_user_number_dialled_inline_asks_only_for_the_pin(pbx, phone, service):
    desk, _agi = _desk(pbx, phone, service)

    mark = pbx.log_mark()
    desk.dial("*112099")
    wait_for(lambda: _played(pbx, mark, "agent-pass"), "the prompt for the PIN")
    desk.keys("4711#")
    wait_for(lambda: _played(pbx, mark, "agent-loginok"), "'logged in'")

    assert not _played(pbx, mark, "agent-user")
    wait_for(lambda: _user_on("3001") == "2099", "2099 on the phone")


def test_wrong_pins_lock_the_user_out_even_with_the_right_pin_after(pbx, phone, service):
    # README: after PBXADMIN_HOTDESK_MAX_FAILURES wrong PINs in a row, logins are refused for a while.
    desk, _agi = _desk(pbx, phone, service, PBXADMIN_HOTDESK_MAX_FAILURES="2")

    mark = pbx.log_mark()
    desk.dial("*112099")
    wait_for(lambda: _played(pbx, mark, "agent-pass"), "the prompt for the PIN")
    desk.keys("1111#")
    wait_for(lambda: _played(pbx, mark, "auth-incorrect"), "'incorrect'")
    # Keys pressed while a prompt plays are not heard: wait for the question again.
    wait_for(lambda: _played(pbx, mark, "agent-pass", times=2), "the PIN asked again")
    desk.keys("2222#")
    wait_for(lambda: _played(pbx, mark, "please-try-call-later"), "'please try later': locked out")
    wait_for(lambda: no_channels(pbx), "the call to end")

    mark = pbx.log_mark()
    desk.dial("*112099")
    wait_for(lambda: _played(pbx, mark, "please-try-call-later"), "the lock-out, even before a PIN")
    wait_for(lambda: no_channels(pbx), "the call to end")
    assert not _played(pbx, mark, "agent-loginok")
    assert _user_on("3001") is None
