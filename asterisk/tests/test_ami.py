"""The AMI adapter, through panoramisk's real socket path, against the test server."""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.mark.slow
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


# -- the bulk path (push) -------------------------------------------------------


def _puts(count, family="T"):
    return [{"Action": "DBPut", "Family": family, "Key": f"k{i}", "Val": str(i)} for i in range(count)]


def _push(server, actions, on_reply=None, **config):
    handed: list[tuple[dict, ami.Reply]] = []
    ami.run(
        lambda s: s.push(actions, on_reply or (lambda a, r: handed.append((a, r)))), _config(server, **config)
    )
    return handed


def test_a_bulk_push_hands_every_reply_over_in_the_order_of_its_actions(asterisk):
    actions = [*_puts(5000), {"Action": "DBDel", "Family": "T", "Key": "missing"}, *_puts(3, family="U")]
    handed = _push(asterisk, actions)
    assert [action for action, _reply in handed] == actions
    assert all(reply.success for _action, reply in handed[:5000])
    gone = handed[5000][1]
    assert not gone.success
    assert gone.get("Message") == "Database entry could not be deleted"
    assert gone["message"] == gone.get("MESSAGE"), "header names in any case"
    assert len(asterisk.astdb("T")) == 5000
    assert asterisk.astdb("U") == {"U/k0": "0", "U/k1": "1", "U/k2": "2"}


def test_a_bulk_push_and_panoramisk_share_one_session(asterisk):
    async def exchange(session):
        await session.push(_puts(4000), lambda action, reply: None)
        single = await session.send_one({"Action": "DBGet", "Family": "T", "Key": "k3999"})
        lines = await session.command("database show T")
        await session.push(_puts(2, family="U"), lambda action, reply: None)
        return single, lines, await session.send([{"Action": "Ping"}])

    single, lines, (pong,) = ami.run(exchange, _config(asterisk))
    assert single[1]["Val"] == "3999"
    assert lines[-1] == "4000 results found."
    assert pong.success
    assert len(asterisk.astdb("U")) == 2
    assert asterisk.connections == 1


@pytest.mark.slow
def test_what_on_reply_raises_ends_the_push_and_the_session_still_serves(asterisk):
    def refuse(action, reply):
        if not reply.success:
            raise ValueError(f"{action['Key']}: {reply.get('Message')}")

    actions = [*_puts(3000), {"Action": "DBDel", "Family": "T", "Key": "missing"}, *_puts(20000, family="U")]

    async def exchange(session):
        with pytest.raises(ValueError, match="missing: Database entry could not be deleted"):
            await session.push(actions, refuse)
        return await session.send_one({"Action": "DBGet", "Family": "T", "Key": "k5"})

    reply = ami.run(exchange, _config(asterisk))
    assert reply[1]["Val"] == "5"


def test_a_connection_dropped_mid_push_is_unavailable(asterisk):
    asterisk.drop_after = 3000  # the login counts as one
    with pytest.raises(AmiUnavailable, match="closed the connection"):
        _push(asterisk, _puts(50_000), timeout=30)
    assert asterisk.count("DBPut") == 2999


@pytest.mark.slow
def test_a_push_to_an_asterisk_that_stalls_is_unavailable_not_a_hang(asterisk):
    def stall_after_the_first(action, reply):
        asterisk.stall = True

    started = time.monotonic()
    with pytest.raises(AmiUnavailable, match="did not answer"):
        _push(asterisk, _puts(40_000), stall_after_the_first, timeout=0.5)
    assert time.monotonic() - started < 30, "gave up after its timeout, not never"


@pytest.mark.slow
def test_a_push_to_an_asterisk_that_is_slow_but_answering_waits_for_it(asterisk):
    # 25,000 replies, 500 every 0.1 s: 5 s in all, more than the 3 s timeout, but never
    # more than a tenth of it without progress. Only no progress at all is a stall. (The
    # timeout also bounds the login: 3 s leaves a busy machine room for it.)
    asterisk.trickle = 0.1
    handed = _push(asterisk, _puts(25_000), timeout=3)
    assert len(handed) == 25_000 and all(reply.success for _action, reply in handed)


@pytest.mark.parametrize("value", ["x\r\n\r\nAction: DBDelTree", "x\ry", "x\ny", "x\x00", "v" * 1000])
def test_the_bulk_path_sends_nothing_when_one_header_could_inject_or_be_cut(asterisk, value):
    actions = _puts(4999)
    actions.append({"Action": "DBPut", "Family": "T", "Key": "last", "Val": value})
    with pytest.raises(ValueError, match=r"refusing to send an AMI header .*: Val"):
        _push(asterisk, actions)
    assert asterisk.count("DBPut") == 0
    assert asterisk.db == {}


def test_the_bulk_path_refuses_list_actions_and_its_own_action_ids(asterisk):
    with pytest.raises(ValueError, match="one reply per action"):
        _push(asterisk, [{"Action": "DBGetTree", "Family": "T"}])
    with pytest.raises(ValueError, match="leave ActionID out"):
        _push(asterisk, [{"Action": "Ping", "actionid": "mine"}])
    assert asterisk.actions == []


header_text = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", "\r", "\n", "\x00", "a\r\nb"]
)


@pytest.mark.slow
@given(
    st.lists(
        st.dictionaries(
            header_text.filter(bool),
            header_text | st.integers() | st.text(min_size=990, max_size=1000),
            max_size=4,
        ),
        max_size=6,
    )
)
def test_checking_a_batch_refuses_exactly_what_checking_each_header_refuses(actions):
    def refused(check) -> bool:
        try:
            check()
        except ValueError:
            return True
        return False

    one_by_one = any(refused(lambda a=a: ami.check_action(a)) for a in actions)
    assert refused(lambda: ami.check_actions(actions)) == one_by_one


def test_a_reply_is_read_without_panoramisk():
    reply = ami.Reply("Response: Error\r\nActionID: 7\r\nMessage: No such module\r\nOutput: a\r\nOutput: b")
    assert not reply.success
    assert reply.get("message") == "No such module"
    assert reply["Output"] == ["a", "b"]
    assert reply.get("Missing", "") == ""
    assert ami.Reply("Response: Follows\r\nPrivilege: Command\r\n--END COMMAND--").success


def test_the_directory_refuses_a_device_list_the_wire_would_refuse():
    """directory.rules keeps a user's list of devices short enough for one AMI header."""
    from asterisk.ami_wire import MAX_HEADER
    from directory import rules

    assert rules.AMI_HEADER_MAX == MAX_HEADER
    fits = "&".join(["1"] * ((rules.DEVICE_LIST_MAX + 1) // 2))
    assert len(fits) <= rules.DEVICE_LIST_MAX and not rules.device_list_problem("1000", fits.split("&"))
    assert rules.device_list_problem("1000", [*fits.split("&"), "22"])
