"""Hot desking from the phone, end to end over FastAGI: the test plays Asterisk on a TCP socket."""

import socket

import pytest

from asterisk import prompts
from asterisk.astdb import desired_keys
from asterisk.sync import run_sync
from asterisk.testing.fastagi import FakeAsterisk, played
from directory.devices.models import Device
from directory.devices.services import device_login

pytestmark = pytest.mark.django_db(transaction=True)

# Generous: a busy machine is slow, not wrong; each wait ends when its answer comes.
PATIENCE = 60


@pytest.mark.slow
def test_login_with_the_number_and_pin_asked_on_the_phone(agi_port, office, asterisk):
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", digits=["1000", "4711"]).run()
    assert commands[0] == f"GET DATA {prompts.ASK_USER} 6000 20"
    assert commands[1] == "GET DATA agent-pass 6000 20"
    assert played(commands) == ["agent-loginok"]
    assert Device.objects.get(pk="3001").user_id == "1000"
    # The previous user (Eli) loses only this device; the database and AstDB agree.
    run_sync()
    held = asterisk.astdb()
    assert held["AMPUSER/1000/device"] == "2001&3001"
    assert "AMPUSER/1001/device" not in held
    assert held["DEVICE/3001/user"] == "1000"
    assert {k: v for k, v in held.items() if k.split("/")[0] in ("AMPUSER", "DEVICE", "CW")} == desired_keys()


@pytest.mark.slow
def test_login_with_the_number_dialled_inline_shows_on_the_pages(
    agi_port, office, administrator_client, deviceanduser
):
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="1000", digits=["4711"]).run()
    assert commands[0] == "GET DATA agent-pass 6000 20"
    assert Device.objects.get(pk="3001").user_id == "1000"
    assert [d.id for d in administrator_client.get("/users/1000/").context["devices_now"]] == ["2001", "3001"]


@pytest.mark.slow
def test_a_wrong_pin_three_times_changes_nothing(agi_port, office):
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="1000", digits=["1", "2", "3"]).run()
    assert played(commands) == ["auth-incorrect", "auth-incorrect", "auth-incorrect", "vm-goodbye"]
    assert Device.objects.get(pk="3001").user_id == "1001"


@pytest.mark.slow
def test_a_wrong_pin_then_the_right_one(agi_port, office):
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="1000", digits=["9999", "4711"]).run()
    assert played(commands) == ["auth-incorrect", "agent-loginok"]
    assert Device.objects.get(pk="3001").user_id == "1000"


@pytest.mark.slow
def test_a_fixed_device_is_refused(agi_port, office):
    commands = FakeAsterisk(agi_port, "hotdesk-login", "2001", arg="1001").run()
    assert commands[0] == 'SAY DIGITS 2001 ""'
    assert played(commands) == ["vm-isunavail", "vm-goodbye"]
    assert Device.objects.get(pk="2001").user_id == "1000"


@pytest.mark.slow
def test_a_user_without_a_password_cannot_log_in(agi_port, office):
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="1001").run()
    assert played(commands) == ["pbx-invalid"]
    assert not any(c.startswith("GET DATA agent-pass") for c in commands)


@pytest.mark.slow
def test_a_user_of_another_server_is_refused_before_any_pin(agi_port, office):
    from directory.servers.models import Server
    from directory.users.models import PbxUser

    far = Server.objects.create(name="far", ami_host="192.0.2.7")
    PbxUser.objects.filter(pk="1000").update(server=far)
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="1000", digits=["4711"]).run()
    assert "GET DATA agent-pass 6000 20" not in commands
    assert played(commands) == ["pbx-invalid"]
    assert Device.objects.get(pk="3001").user_id == "1001"


@pytest.mark.slow
def test_an_unknown_user_or_device_is_refused(agi_port, office):
    assert played(FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="4040").run()) == ["pbx-invalid"]
    assert played(FakeAsterisk(agi_port, "hotdesk-login", "9999", arg="1000").run()) == ["pbx-invalid"]
    assert played(FakeAsterisk(agi_port, "hotdesk-login", "3001;DROP", arg="1000").run()) == ["pbx-invalid"]


@pytest.mark.slow
def test_logging_in_again_on_the_same_device_just_says_goodbye(agi_port, office):
    device_login(device=Device.objects.get(pk="3001"), user=office[0])
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="1000").run()
    assert played(commands) == ["vm-goodbye"]


@pytest.mark.slow
def test_logout_returns_the_device_to_its_default_user(agi_port, office):
    device_login(device=Device.objects.get(pk="3001"), user=office[0])
    commands = FakeAsterisk(agi_port, "hotdesk-logout", "3001").run()
    assert played(commands) == ["agent-loggedoff"]
    assert Device.objects.get(pk="3001").user_id == "1001"
    assert desired_keys(users=["1000", "1001"])["AMPUSER/1001/device"] == "3001"
    assert desired_keys(users=["1000"])["AMPUSER/1000/device"] == "2001"


@pytest.mark.slow
def test_logout_of_a_fixed_device_is_refused(agi_port, office):
    assert played(FakeAsterisk(agi_port, "hotdesk-logout", "2001").run()) == ["pbx-invalid"]
    assert Device.objects.get(pk="2001").user_id == "1000"


@pytest.mark.slow
def test_a_connection_that_drops_before_its_headers_does_not_hang_the_service(agi_port, office):
    sock = socket.create_connection(("127.0.0.1", agi_port))
    sock.sendall(b"agi_network: yes\n")
    sock.close()
    # The service still answers the next call.
    assert played(FakeAsterisk(agi_port, "hotdesk-logout", "2001").run()) == ["pbx-invalid"]
