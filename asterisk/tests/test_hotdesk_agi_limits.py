"""The FastAGI service under silent, stalled and too many connections, over real TCP."""

import contextlib
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


@pytest.mark.slow
def test_a_silent_connection_is_closed_after_the_read_timeout(agi_port, settings):
    settings.PBXADMIN_AGI_READ_TIMEOUT = 0.3
    assert closed_by_the_service(connect(agi_port))


@pytest.mark.slow
def test_a_session_that_stops_answering_commands_is_closed(agi_port, office, settings):
    settings.PBXADMIN_AGI_READ_TIMEOUT = 0.3
    sock = connect(agi_port)
    sock.sendall(headers("hotdesk-login", "PJSIP/3001-0000001a"))
    # The service asks for the user number; this Asterisk never answers.
    assert sock.recv(4096).startswith(f"GET DATA {prompts.ASK_USER}".encode())
    assert closed_by_the_service(sock)


@pytest.mark.slow
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


@pytest.mark.slow
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
    for sock in held:  # the callers hang up: their sessions end before the service stops
        sock.sendall(b"HANGUP\n")
        assert closed_by_the_service(sock)
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


@pytest.mark.slow
def test_a_caller_who_hangs_up_ends_the_session_and_nothing_is_counted(agi_port, office):
    sock = connect(agi_port)
    sock.sendall(headers("hotdesk-login", "PJSIP/3001-0000001a", arg="1000"))
    assert sock.recv(4096).startswith(f"GET DATA {prompts.ASK_PIN}".encode())
    sock.sendall(b"HANGUP\n")
    assert closed_by_the_service(sock)
    assert not HotdeskLockout.objects.exists()


def answered(sock: socket.socket) -> bytes:
    """What the service said first (a command), or b"" when it closed without a word."""
    try:
        return sock.recv(4096)
    except ConnectionResetError:
        return b""


@pytest.mark.slow
def test_headers_over_the_byte_limit_close_the_session_without_a_command(agi_port, office, settings):
    """50 sessions of 64 KB headers grew the service to 430 MB and blocked real calls."""
    settings.PBXADMIN_AGI_MAX_HEADER_BYTES = 4096
    settings.PBXADMIN_AGI_READ_TIMEOUT = 60
    sock = connect(agi_port)
    padding = "".join(f"agi_padding_{n}: {'x' * 900}\n" for n in range(20)).encode()
    sock.sendall(padding + headers("hotdesk-login", "PJSIP/3001-0000001a"))
    assert answered(sock) == b"", "the service gave up on the headers, not asked for digits"
    assert closed_by_the_service(sock)
    # A call of ordinary size is served as before.
    commands = FakeAsterisk(agi_port, "hotdesk-logout", "2001", channel="PJSIP/2001-00000009").run()
    assert played(commands) == [prompts.INVALID]


@pytest.mark.slow
def test_one_header_line_over_the_byte_limit_closes_the_session(agi_port, office, settings):
    settings.PBXADMIN_AGI_MAX_HEADER_BYTES = 4096
    settings.PBXADMIN_AGI_READ_TIMEOUT = 60
    sock = connect(agi_port)
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(
            b"agi_request: " + b"x" * 30000 + b"\n" + headers("hotdesk-login", "PJSIP/3001-0000001a")
        )
    assert answered(sock) == b""
    assert closed_by_the_service(sock)


@pytest.mark.slow
def test_sessions_beyond_the_bound_per_device_are_closed_and_other_devices_go_on(agi_port, office, settings):
    settings.PBXADMIN_AGI_MAX_SESSIONS_PER_DEVICE = 2
    settings.PBXADMIN_AGI_READ_TIMEOUT = 60
    held = []
    for _ in range(2):
        sock = connect(agi_port)
        sock.sendall(headers("hotdesk-login", "PJSIP/3001-0000001a"))
        assert sock.recv(4096).startswith(b"GET DATA"), "the session is open and waiting for digits"
        held.append(sock)
    extra = connect(agi_port)
    extra.sendall(headers("hotdesk-login", "PJSIP/3001-0000001b"))
    # With a 60 s read timeout, only the bound can close it within PATIENCE.
    assert answered(extra) == b"" and closed_by_the_service(extra)
    # Another device is not held up by this one's sessions.
    commands = FakeAsterisk(agi_port, "hotdesk-logout", "2001", channel="PJSIP/2001-00000009").run()
    assert played(commands) == [prompts.INVALID]
    held[0].sendall(b"200 result=4040\n")
    assert held[0].recv(4096).startswith(f"STREAM FILE {prompts.INVALID}".encode())
    for sock in held:  # the callers hang up: their sessions end before the service stops
        sock.sendall(b"HANGUP\n")
        assert closed_by_the_service(sock)
