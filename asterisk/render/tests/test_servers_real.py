"""The trunks between servers and the dialplan that uses them, in real Asterisk 20s: they load
with no warning, and a call to a user of another server crosses the trunk as the caller.

The second server here is written by hand from `render_files` (and its AstDB from
`desired_keys`); the portal's own per-server workers are `asterisk/tests/real`'s."""

import shlex

import pytest

from asterisk import sync
from asterisk.astdb import desired_keys
from asterisk.files import write_all_files
from asterisk.render.generate import FILE_SOURCE, INCLUDES, render_files
from asterisk.testing.pbx import PrivateAsterisk, wait_for
from asterisk.tests.real.helpers import channel_details, channel_of, channels
from directory.servers.current import default, using
from directory.servers.models import Server
from directory.users.extensions import extension_create

pytestmark = pytest.mark.asterisk

# A context of the test's, in main's extensions.conf: a call from device 1000 (Ana's phone), as
# sub-user-callerid knows a phone's call (REALCALLERIDNUM), to the number dialled.
TEST_DIAL = """
[test-dial]
exten => _[*0-9]X.,1,Set(__REALCALLERIDNUM=1000)
 same => n,Set(CALLERID(num)=1000)
 same => n,Goto(from-internal,${EXTEN},1)

; Straight over the trunk to branch, whatever the number; how it ended, in AstDB.
[test-raw]
exten => _X.,1,Set(NUMBER=${EXTEN})
 same => n,Dial(IAX2/pbx-branch/${EXTEN},5)
 same => n,Hangup()
exten => h,1,Set(DB(test-dialstatus/${NUMBER})=${DIALSTATUS})
"""


@pytest.fixture(scope="module")
def other(private_asterisk):
    """A second real Asterisk, for the server `branch`."""
    ast = PrivateAsterisk(name="branch")
    for name in (*FILE_SOURCE, *(i for includes in INCLUDES.values() for i in includes)):
        (ast.etc / name).write_text("")
    try:
        ast.start()
        yield ast
    finally:
        ast.close()


def _write_branch(ast: PrivateAsterisk, branch: Server, users: list[str]) -> None:
    """What branch's worker does: its files, its users' keys, the reloads."""
    with using(branch):
        texts = render_files()
        keys = desired_keys(users=users, devices=[])
    for name, text in texts.items():
        (ast.etc / name).write_text(text)
    for key, value in keys.items():
        family, _, rest = key.partition("/")
        ast.cli(f"database put {family} {rest} {shlex.quote(value) if value else chr(34) * 2}")
    for command in ("module reload chan_iax2.so", "dialplan reload", "voicemail reload"):
        ast.cli(command)


@pytest.fixture
def office(pbx, other):
    main = default()
    Server.objects.filter(pk=main.pk).update(iax_host="127.0.0.1", iax_port=pbx.ports.iax)
    branch = Server.objects.create(name="branch", iax_host="127.0.0.1", iax_port=other.ports.iax)
    extension_create(extension="1000", name="Ana Main", tech="pjsip", voicemail="default")
    extension_create(extension="2002", name="Bob Branch", tech="iax2", voicemail="default", server=branch)
    write_all_files()
    sync.run_sync()
    (pbx.etc / "extensions.conf").write_text((pbx.etc / "extensions.conf").read_text() + TEST_DIAL)
    for command in ("module reload chan_iax2.so", "dialplan reload", "voicemail reload"):
        pbx.cli(command)
    _write_branch(other, branch, ["2002"])
    # Each side qualifies the other: the trunk is up once both answer.
    for ast, peer in ((pbx, "pbx-branch"), (other, "pbx-main")):
        wait_for(lambda ast=ast, peer=peer: "OK" in ast.cli(f"iax2 show peer {peer}"), f"{peer} to answer")
    return main, branch


def test_a_second_servers_trunk_and_users_load_without_a_warning(pbx, office):
    mark = pbx.log_mark()
    write_all_files()
    pbx.cli("core show uptime")
    assert pbx.problems(since=mark, about=[*FILE_SOURCE, "pbx-branch", "2002"]) == []
    peer = pbx.cli("iax2 show peer pbx-branch")
    assert "Trunk        : Yes" in peer
    assert "Username     : pbx-main" in peer
    assert "Secret       : <Set>" in peer
    assert "Context      : from-internal-servers" in peer
    assert "sub-dial-server" in pbx.cli("dialplan show 2002@ext-remote")
    assert "'1000' =>" in pbx.cli("dialplan show 1000@from-internal-servers")
    assert "2002" not in pbx.cli("dialplan show from-internal-servers")


def test_a_call_to_a_user_of_another_server_crosses_the_trunk_as_the_caller(pbx, other, office):
    pbx.cli("channel originate Local/2002@test-dial application Wait 20")
    # Bob's phone is not registered: his server takes the call to his voicemail, as for a local call.
    arrived = wait_for(
        lambda: channel_of(other, "IAX2/pbx-main-", application="VoiceMail"),
        "the call to reach Bob's server and his voicemail",
    )
    assert arrived["context"] == "sub-dial-user"
    assert arrived["data"].startswith("2002@default")
    seen = channel_details(other, arrived["channel"])
    assert seen["Caller ID"] == "1000"
    assert seen["Caller ID Name"] == "Ana Main"
    pbx.cli("channel request hangup all")


def test_star_ext_leaves_a_message_on_the_users_own_server(pbx, other, office):
    pbx.cli("channel originate Local/*2002@test-dial application Wait 20")
    arrived = wait_for(
        lambda: channel_of(other, "IAX2/pbx-main-", application="VoiceMail"),
        "*2002 to reach Bob's mailbox on his server",
    )
    # Straight to the mailbox (sub-vm-direct, the unavailable greeting), not through Bob's phones.
    assert arrived["context"] == "sub-vm-direct"
    assert arrived["data"] == "2002@default,u"
    pbx.cli("channel request hangup all")


def _raw_call(pbx, number: str) -> str:
    pbx.cli(f"database del test-dialstatus {number}")
    pbx.cli(f"channel originate Local/{number}@test-raw application Wait 1")
    return wait_for(
        lambda: pbx.database("test-dialstatus").get(f"test-dialstatus/{number}"),
        f"the call to {number} to end",
    )


def test_a_call_from_another_server_reaches_only_local_users(pbx, other, office):
    """branch holds 1000 as a remote user, yet a call from main for 1000 is refused there, never
    sent back: only branch's own users are reachable from the trunk."""
    assert _raw_call(pbx, "2002") == "ANSWER"  # Bob's voicemail, on branch
    pbx.cli("channel request hangup all")
    assert _raw_call(pbx, "1000") != "ANSWER"
    assert not [c for c in channels(other) if "1000" in c["exten"]]


def test_a_carrier_trunk_of_another_server_loads_and_takes_only_its_crossing_calls(pbx, other, office):
    """A route on main whose trunk is branch's: main's files hold no trunk, branch's do, both
    dialplans load with no warning, and branch matches `out<id>*<number>` from the other servers."""
    from directory.connectivity.services import outbound_route_create, trunk_create

    _main, branch = office
    trunk = trunk_create(name="carrier", tech="iax2", host="192.0.2.1", server=branch)
    outbound_route_create(name="Out", patterns=[{"prefix": "9", "match": "NXXXXXX"}], trunks=[trunk])
    mark, branch_mark = pbx.log_mark(), other.log_mark()
    write_all_files()
    # (branch's own sync, run by the saves above, knows no folder of its own here: main's files
    # are written again and both reloaded.)
    for command in ("module reload chan_iax2.so", "dialplan reload"):
        pbx.cli(command)
    _write_branch(other, branch, ["2002"])
    about = [*FILE_SOURCE, "from-servers-outbound", "sub-dial-server-trunk", "outbound-trunk"]
    assert pbx.problems(since=mark, about=about) == []
    assert other.problems(since=branch_mark, about=about) == []
    assert "carrier" not in pbx.cli("iax2 show peers")
    assert "carrier" in other.cli("iax2 show peers")
    assert "IAX2/${ARG2}/out${ARG3}" in pbx.cli("dialplan show sub-dial-server-trunk")
    crossing = other.cli(f"dialplan show out{trunk.pk}*5551234@from-internal-servers")
    assert f"outbound-trunk-{trunk.pk},s,1(${{OUTNUM}},carried)" in crossing
    # Phones and carriers never reach it; main has no trunk to send out on.
    for ast, context in ((other, "from-internal"), (other, "from-trunk"), (pbx, "from-internal-servers")):
        assert "carried" not in ast.cli(f"dialplan show out{trunk.pk}*5551234@{context}"), context
