"""The AMI adapter, through panoramisk's real socket path, against the test server."""

import time

import pytest

from asterisk import ami
from asterisk.ami import AmiAuthError, AmiConfig, AmiUnavailable


def _config(server, **changes):
    values = {
        "host": "127.0.0.1",
        "port": server.port,
        "username": server.username,
        "secret": server.secret,
        "timeout": 10.0,
    }
    values.update(changes)
    return AmiConfig(**values)


def test_it_sends_pipelined_actions_and_gets_replies_in_order(asterisk):
    actions = [{"Action": "DBPut", "Family": "T", "Key": f"k{i}", "Val": str(i)} for i in range(1200)]
    actions.append({"Action": "DBGet", "Family": "T", "Key": "k7"})
    replies = ami.run(lambda s: s.send(actions), _config(asterisk))
    assert all(r.success for r in replies[:-1])
    assert len(asterisk.astdb("T")) == 1200
    events = replies[-1]
    assert [m.get("Event") for m in events[1:]] == ["DBGetResponse", "DBGetComplete"]
    assert events[1]["Val"] == "7"


def test_command_output_comes_back_as_lines(asterisk):
    asterisk.db["/DEVICE/1/dial"] = "SIP/1"
    lines = ami.run(lambda s: s.command("database show DEVICE"), _config(asterisk))
    assert lines[-1] == "1 results found."
    assert lines[0].startswith("/DEVICE/1/dial")


# Tests of "fails fast" compare with a timeout far longer than any busy machine's
# delay, so they prove the adapter did not wait for it without timing the machine.
LONG_TIMEOUT = 60


def test_a_refused_connection_is_unavailable_not_a_hang(asterisk):
    asterisk.stop()
    started = time.monotonic()
    with pytest.raises(AmiUnavailable, match="cannot connect"):
        ami.run(lambda s: s.send([{"Action": "Ping"}]), _config(asterisk, timeout=LONG_TIMEOUT))
    assert time.monotonic() - started < LONG_TIMEOUT / 2


def test_a_refused_login_raises_instead_of_looking_connected(asterisk):
    with pytest.raises(AmiAuthError, match="refused the login"):
        ami.run(lambda s: s.send([{"Action": "Ping"}]), _config(asterisk, secret="wrong"))
    assert asterisk.count("Ping") == 0


def test_a_stalled_asterisk_times_out(asterisk):
    asterisk.stall = True
    started = time.monotonic()
    with pytest.raises(AmiUnavailable, match="did not answer"):
        ami.run(lambda s: s.send([{"Action": "Ping"}]), _config(asterisk, timeout=0.5))
    assert time.monotonic() - started < LONG_TIMEOUT / 2, "the timeout ends the wait"


def test_a_connection_dropped_mid_batch_fails_fast(asterisk):
    asterisk.drop_after = 50  # the login counts as one
    actions = [{"Action": "DBPut", "Family": "T", "Key": f"k{i}", "Val": "v"} for i in range(400)]
    started = time.monotonic()
    with pytest.raises(AmiUnavailable, match="closed the connection"):
        ami.run(lambda s: s.send(actions), _config(asterisk, timeout=LONG_TIMEOUT))
    assert time.monotonic() - started < LONG_TIMEOUT / 2, "a dropped connection must not wait for the timeout"


@pytest.mark.parametrize("value", ["x\r\n\r\nAction: DBPut", "x\ny", "x\x00", "v" * 1000])
def test_nothing_that_could_inject_or_be_cut_is_sent(asterisk, value):
    with pytest.raises(ValueError, match="refusing"):
        ami.run(
            lambda s: s.send([{"Action": "DBPut", "Family": "T", "Key": "k", "Val": value}]),
            _config(asterisk),
        )
    assert asterisk.db == {}


def test_sessions_in_one_process_do_not_interfere(asterisk):
    for i in range(3):
        ami.run(
            lambda s, i=i: s.send([{"Action": "DBPut", "Family": "T", "Key": str(i), "Val": "v"}]),
            _config(asterisk),
        )
    assert len(asterisk.astdb("T")) == 3
    assert asterisk.connections == 3
