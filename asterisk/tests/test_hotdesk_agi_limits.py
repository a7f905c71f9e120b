"""The FastAGI service under silent, stalled and too many connections, over real TCP."""

import os
import socket
import time

import pytest

from asterisk import prompts
from asterisk.testing.fastagi import FakeAsterisk, played
from directory.devices.models import HotdeskLockout

pytestmark = pytest.mark.django_db(transaction=True)

# How long a test waits for something that should happen at once; a failure bound, not a measurement.
PATIENCE = 10


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
    return sock


def closed_by_the_service(sock: socket.socket) -> bool:
    """Read until the service closes (EOF or reset); False if it kept the connection for PATIENCE seconds."""
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return False
    finally:
        sock.close()
    return True


def headers(script: str, channel: str, arg: str = "") -> bytes:
    lines = [f"agi_network_script: {script}", f"agi_channel: {channel}", "agi_callerid: 3001"]
    if arg:
        lines.append(f"agi_arg_1: {arg}")
    return ("\n".join(lines) + "\n\n").encode()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_silent_connection_is_closed_after_the_read_timeout(agi_port, settings):
    settings.PBXADMIN_AGI_READ_TIMEOUT = 0.3
    assert closed_by_the_service(connect(agi_port))


def test_a_session_that_stops_answering_commands_is_closed(agi_port, office, settings):
    settings.PBXADMIN_AGI_READ_TIMEOUT = 0.3
    sock = connect(agi_port)
    sock.sendall(headers("hotdesk-login", "PJSIP/3001-0000001a"))
    # The service asks for the user number; this Asterisk never answers.
    assert sock.recv(4096).startswith(f"GET DATA {prompts.ASK_USER}".encode())
    assert closed_by_the_service(sock)


def test_headers_sent_a_byte_at_a_time_forever_are_cut_off(agi_port, settings):
    settings.PBXADMIN_AGI_READ_TIMEOUT = 0.3
    sock = connect(agi_port)
    try:
        for _ in range(200):  # far longer than the timeout, if the service kept listening
            sock.sendall(b"x")
            time.sleep(0.02)
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert closed_by_the_service(sock)


def test_connections_beyond_the_bound_are_closed_at_once_and_the_others_go_on(agi_port, office, settings):
    settings.PBXADMIN_AGI_MAX_SESSIONS = 3
    settings.PBXADMIN_AGI_READ_TIMEOUT = 60
    held = []
    for _ in range(3):
        sock = connect(agi_port)
        sock.sendall(headers("hotdesk-login", "PJSIP/3001-0000001a"))
        assert sock.recv(4096).startswith(b"GET DATA"), "the session is open and waiting for digits"
        held.append(sock)
    extras = [connect(agi_port) for _ in range(5)]
    # With a 60 s read timeout, only the bound can close these within PATIENCE.
    assert all(closed_by_the_service(sock) for sock in extras)
    # The held sessions were not disturbed: one answers and is told the number is invalid.
    held[0].sendall(b"200 result=4040\n")
    assert held[0].recv(4096).startswith(f"STREAM FILE {prompts.INVALID}".encode())
    for sock in held:
        sock.close()
    # Once they are gone, calls are served again.
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            commands = FakeAsterisk(agi_port, "hotdesk-logout", "2001", channel="PJSIP/2001-00000009").run()
        except (ConnectionResetError, BrokenPipeError):
            commands = []  # still at the bound: the service has not yet seen them go
        if commands or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert played(commands) == [prompts.INVALID]


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_file_descriptors_do_not_pile_up(agi_port, settings):
    """The issue's finding: 300 silent connections held 312 descriptors."""
    settings.PBXADMIN_AGI_READ_TIMEOUT = 0.3
    settings.PBXADMIN_AGI_MAX_SESSIONS = 20
    assert closed_by_the_service(connect(agi_port))  # warm up: the service's own descriptors exist
    before = open_fds()
    for _ in range(5):
        batch = [connect(agi_port) for _ in range(60)]
        assert all(closed_by_the_service(sock) for sock in batch)
    deadline = time.monotonic() + PATIENCE
    while open_fds() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_fds() <= before


def test_a_caller_who_hangs_up_ends_the_session_and_nothing_is_counted(agi_port, office):
    sock = connect(agi_port)
    sock.sendall(headers("hotdesk-login", "PJSIP/3001-0000001a", arg="1000"))
    assert sock.recv(4096).startswith(f"GET DATA {prompts.ASK_PIN}".encode())
    sock.sendall(b"HANGUP\n")
    assert closed_by_the_service(sock)
    assert not HotdeskLockout.objects.exists()
