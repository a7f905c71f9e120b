"""The test AMI server answers as the transcripts of a real Asterisk 20.20.1 show."""

import socket
import time

import pytest

from asterisk.testing.ami_server import AmiTestServer

# Generous: every wait ends as soon as the server answers.
PATIENCE = 30


@pytest.fixture
def server():
    with AmiTestServer(secret="s3cret") as s:
        yield s


def _connect(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE)
    banner = sock.recv(100)
    return sock, banner


def _exchange(sock, raw: bytes, replies: int = 1) -> str:
    sock.sendall(raw)
    data = b""
    deadline = time.monotonic() + PATIENCE
    while data.count(b"\r\n\r\n") < replies and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode()


LOGIN = b"Action: Login\r\nActionID: l1\r\nUsername: pbxadmin\r\nSecret: s3cret\r\n\r\n"


def test_it_greets_and_accepts_a_login(server):
    sock, banner = _connect(server)
    assert banner == b"Asterisk Call Manager/9.0.0\r\n"
    reply = _exchange(sock, LOGIN)
    assert reply == "Response: Success\r\nActionID: l1\r\nMessage: Authentication accepted\r\n\r\n"


def test_a_refused_login_is_answered_then_the_connection_closes(server):
    server.auth_fail_close_delay = 0.2
    sock, _ = _connect(server)
    reply = _exchange(sock, b"Action: Login\r\nActionID: bad\r\nUsername: pbxadmin\r\nSecret: no\r\n\r\n")
    assert reply == "Response: Error\r\nActionID: bad\r\nMessage: Authentication failed\r\n\r\n"
    assert sock.recv(10) == b"", "closed (recv waits for it)"


def test_actions_before_login_are_denied_and_the_connection_stays(server):
    sock, _ = _connect(server)
    reply = _exchange(sock, b"Action: Ping\r\nActionID: p\r\n\r\n")
    assert reply == "Response: Error\r\nActionID: p\r\nMessage: Permission denied\r\n\r\n"
    assert _exchange(sock, LOGIN).startswith("Response: Success")


def test_lf_only_lowercase_and_no_space_are_accepted_and_actionid_is_optional(server):
    sock, _ = _connect(server)
    _exchange(sock, LOGIN)
    reply = _exchange(sock, b"action:ping\nactionid: lc\n\n")
    assert reply.startswith("Response: Success\r\nActionID: lc\r\nPing: Pong\r\nTimestamp: ")
    reply = _exchange(sock, b"Action: Ping\r\n\r\n")
    assert reply.startswith("Response: Success\r\nPing: Pong\r\n")


def test_dbput_dbget_dbdel_and_dbdeltree_answer_as_asterisk(server):
    sock, _ = _connect(server)
    _exchange(sock, LOGIN)
    put = _exchange(
        sock, b"Action: DBPut\r\nActionID: 1\r\nFamily: DEVICE\r\nKey: 2001/dial\r\nVal: SIP/2001\r\n\r\n"
    )
    assert put == "Response: Success\r\nActionID: 1\r\nMessage: Updated database successfully\r\n\r\n"
    get = _exchange(
        sock, b"Action: DBGet\r\nActionID: 2\r\nFamily: DEVICE\r\nKey: 2001/dial\r\n\r\n", replies=3
    )
    assert get == (
        "Response: Success\r\nActionID: 2\r\nEventList: start\r\nMessage: Result will follow\r\n\r\n"
        "Event: DBGetResponse\r\nFamily: DEVICE\r\nKey: 2001/dial\r\nVal: SIP/2001\r\nActionID: 2\r\n\r\n"
        "Event: DBGetComplete\r\nEventList: Complete\r\nListItems: 1\r\nActionID: 2\r\n\r\n"
    )
    nofamily = _exchange(sock, b"Action: DBPut\r\nActionID: 3\r\nKey: x\r\nVal: y\r\n\r\n")
    assert "Message: No family specified" in nofamily
    show = _exchange(sock, b"Action: Command\r\nActionID: 4\r\nCommand: database show DEVICE\r\n\r\n")
    assert "Output: /DEVICE/2001/dial" in show and "Output: 1 results found." in show
    assert "Key deleted successfully" in _exchange(
        sock, b"Action: DBDel\r\nFamily: DEVICE\r\nKey: 2001/dial\r\n\r\n"
    )
    again = _exchange(sock, b"Action: DBDel\r\nFamily: DEVICE\r\nKey: 2001/dial\r\n\r\n")
    assert "Response: Error" in again and "Database entry could not be deleted" in again
    tree = _exchange(sock, b"Action: DBDelTree\r\nFamily: DEVICE\r\nKey: 2001\r\n\r\n")
    assert "Database entry not found" in tree


def test_a_line_over_1022_characters_is_refused_and_not_stored(server):
    sock, _ = _connect(server)
    _exchange(sock, LOGIN)
    raw = b"Action: DBPut\r\nActionID: long\r\nFamily: LONG\r\nKey: k\r\nVal: " + b"v" * 1100 + b"\r\n\r\n"
    reply = _exchange(sock, raw)
    assert (
        reply
        == "Response: Error\r\nActionID: long\r\nMessage: Failed to parse message: line too long\r\n\r\n"
    )
    assert server.db == {}


def test_a_crlf_in_a_value_becomes_a_second_action_as_on_a_real_asterisk(server):
    sock, _ = _connect(server)
    _exchange(sock, LOGIN)
    raw = (
        b"Action: DBPut\r\nFamily: INJ\r\nKey: a\r\nVal: x\r\n\r\n"
        b"Action: DBPut\r\nFamily: INJ\r\nKey: injected\r\nVal: 1\r\n\r\n"
    )
    _exchange(sock, raw, replies=2)
    assert server.astdb("INJ") == {"INJ/a": "x", "INJ/injected": "1"}


def test_reload_unknown_action_and_logoff(server):
    sock, _ = _connect(server)
    _exchange(sock, LOGIN)
    assert "Module Reloaded" in _exchange(sock, b"Action: Reload\r\nModule: res_pjsip.so\r\n\r\n")
    assert "No such module" in _exchange(sock, b"Action: Reload\r\nModule: nonexistent.so\r\n\r\n")
    assert server.reloads == ["res_pjsip.so"]
    unknown = _exchange(sock, b"Action: NoSuchActionXYZ\r\nActionID: b\r\n\r\n")
    assert "Invalid/unknown command: NoSuchActionXYZ. Use Action: ListCommands" in unknown
    bye = _exchange(sock, b"Action: Logoff\r\nActionID: o\r\n\r\n")
    assert bye == "Response: Goodbye\r\nActionID: o\r\nMessage: Thanks for all the fish.\r\n\r\n"


def test_stopped_means_refused_and_start_listens_again_on_the_same_port(server):
    port = server.port
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    server.start()
    assert server.port == port
    _, banner = _connect(server)
    assert banner.startswith(b"Asterisk Call Manager")


def test_an_action_split_between_cr_and_lf_across_packets_is_still_read(server):
    sock, _ = _connect(server)
    _exchange(sock, LOGIN)
    sock.sendall(b"Action: Ping\r\nActionID: split\r\n\r")
    time.sleep(0.05)
    assert _exchange(sock, b"\n").startswith("Response: Success\r\nActionID: split\r\n")
