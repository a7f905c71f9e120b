"""Moving a FreePBX 17 office to pbxadmin, end to end on a real Asterisk 20.

Asterisk's AstDB holds what FreePBX wrote for its 100 extensions (tests/data/freepbx17-ext100,
loaded with DBPut), plus follow-me and do-not-disturb keys as a real system has them. Then what
the README says to do: `import_extensions` of FreePBX's own export, `adopt_call_features` (what
FreePBX keeps in AstDB only), and `asterisk_sync --full`. Nothing FreePBX wrote is deleted or
changed (pbxadmin's values equal FreePBX's for every key it owns); the
phones register with their FreePBX secrets and call each other, and *<ext> reaches a mailbox.
"""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from asterisk import ami
from asterisk.astdb import is_owned
from asterisk.astdb_plan import parse_database_show
from asterisk.testing.pbx import wait_for

pytestmark = pytest.mark.asterisk

FREEPBX = Path(__file__).parent.parent / "data" / "freepbx17-ext100"
FAMILIES = ("AMPUSER", "DEVICE", "CW", "DND", "CF")

# What FreePBX's Follow Me module keeps under a user on a real system (not in the reference),
# one of its settings pbxadmin does not have (grppre), and what phones set with *78 and *72.
FOLLOWME = {
    "AMPUSER/2000/followme/ddial": "EXTENSION",
    "AMPUSER/2000/followme/grplist": "2000-5551234#",
    "AMPUSER/2000/followme/grptime": "20",
    "AMPUSER/2000/followme/prering": "7",
    "AMPUSER/2000/followme/grppre": "Office:",
    "DND/2001": "YES",
    "CF/2002": "2003",
}


def freepbx_keys() -> dict[str, str]:
    keys = {}
    for family in ("AMPUSER", "DEVICE", "CW"):
        keys.update(parse_database_show((FREEPBX / f"astdb_{family}.txt").read_text().splitlines()))
    return {**keys, **FOLLOWME}


def put_into_asterisk(keys: dict[str, str]) -> None:
    """DBPut each key over AMI, as FreePBX's own writes left them."""
    actions = []
    for path, value in keys.items():
        family, _, key = path.partition("/")
        actions.append({"Action": "DBPut", "Family": family, "Key": key, "Val": value})

    def check(action, reply):
        assert reply.success, (action, reply)

    ami.run(lambda session: session.push(actions, check))


def held(pbx) -> dict[str, str]:
    return {k: v for family in FAMILIES for k, v in pbx.database(family).items()}


def test_a_freepbx_office_migrates_keeping_every_key_and_its_phones_call(pbx, phone):
    before = freepbx_keys()
    put_into_asterisk(before)
    assert held(pbx) == before

    out = io.StringIO()
    call_command(
        "import_extensions", str(FREEPBX / "ext100.csv"), "--keep-weak-secrets", stdout=out, stderr=out
    )
    call_command("adopt_call_features", stdout=out)
    mark = pbx.log_mark()
    call_command("asterisk_sync", "--full", stdout=out)
    after = held(pbx)

    changed = {k: (v, after.get(k, "<deleted>")) for k, v in before.items() if after.get(k) != v}
    assert changed == {}, "nothing FreePBX wrote is deleted or changed"
    added = after.keys() - before.keys()
    # FreePBX writes these two with every follow-me; this system's did not have them.
    followme = {"AMPUSER/2000/followme/grpconf", "AMPUSER/2000/followme/strategy"}
    assert added == {f"AMPUSER/{n}/language" for n in range(2000, 2100)} | followme
    not_ours = sorted(k for k in before if not is_owned(k))
    assert len(not_ours) == 50 * (1 + 6) + 1, "novmpw and vmx/* of 50 mailboxes, follow-me's grppre"
    report = out.getvalue()
    assert f"Left {len(not_ours)} keys pbxadmin does not own" in report
    assert pbx.problems(since=mark) == [], "the reloads loaded every file without a warning"

    # The phones keep their FreePBX secrets: a PJSIP and a chan_sip one register and call.
    ana, bob = phone("2000"), phone("2001")
    wait_for(lambda: "Avail" in pbx.cli("pjsip show contacts"), "2000 to register over PJSIP")
    call = bob.mark()
    bob.dial("2000")
    ana.wait_event("CALL_INCOMING")
    ana.accept()
    bob.wait_event("CALL_ESTABLISHED", since=call)
    bob.hangup()
    ana.wait_event("CALL_CLOSED")

    # *<ext>: straight to user 2000's mailbox, unavailable greeting.
    mark, call = pbx.log_mark(), bob.mark()
    bob.dial("*2000")
    bob.wait_event("CALL_ESTABLISHED", since=call)
    wait_for(lambda: 'VoiceMail("SIP/2001' in pbx.log_since(mark), "the call to reach VoiceMail")
    assert '"2000@default,u"' in pbx.log_since(mark)
    bob.hangup()
