"""Voicemail through the generated dialplan: an unanswered call leaves a message, *97 and *98.

Judged by Asterisk: the message files in its spool and `voicemail show users`,
the application the caller's channel runs, the prompts its log says it played.
"""

import re

import pytest
from django.core.management import call_command

from asterisk.testing.pbx import wait_for
from asterisk.tests.real.helpers import channel_of, no_channels, registered
from directory.users.extensions import extension_create

pytestmark = pytest.mark.asterisk


def _office(pbx, phone):
    extension_create(extension="2001", name="Ana Müller", tech="pjsip", voicemail="default", ringtimer=3)
    extension_create(extension="2002", name="Bob O'Brien", tech="sip")
    call_command("asterisk_sync", "--full")
    callee, caller = phone("2001"), phone("2002")
    wait_for(lambda: registered(pbx, "2001", "pjsip") and registered(pbx, "2002", "sip"), "both phones")
    return callee, caller


def _new_messages(pbx, mailbox: str) -> int:
    for line in pbx.cli("voicemail show users for default").splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == "default" and fields[1] == mailbox:
            return int(fields[-1])
    return -1


def _recorded_bytes(pbx, mailbox: str) -> int:
    """The size of the message app_voicemail is recording now (its temp file)."""
    tmp = pbx.spool / "voicemail" / "default" / mailbox / "tmp"
    return max((f.stat().st_size for f in tmp.glob("*.wav")), default=0)


def test_an_unanswered_call_leaves_a_message_in_the_users_inbox(pbx, phone):
    callee, caller = _office(pbx, phone)
    mark = pbx.log_mark()

    caller.dial("2001")
    callee.wait_event("CALL_INCOMING")  # it rings for its 3 s; nobody answers
    wait_for(lambda: "Recording the message" in pbx.log_since(mark), "VoiceMail to record after the beep")
    # The caller's phone says its tone for a good second (8 kHz, 16-bit WAV): then it hangs up.
    wait_for(lambda: _recorded_bytes(pbx, "2001") > 20_000, "a second of the message")
    caller.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")

    inbox = pbx.spool / "voicemail" / "default" / "2001" / "INBOX"
    wait_for(lambda: list(inbox.glob("msg*.txt")), "a message in 2001's INBOX")
    info = next(inbox.glob("msg*.txt")).read_text()
    assert re.search(r"callerid=.*<2002>", info), info
    assert _new_messages(pbx, "2001") == 1


def test_star_97_opens_the_mailbox_of_the_user_on_the_calling_device(pbx, phone):
    callee, _caller = _office(pbx, phone)

    callee.dial("*97")

    row = wait_for(lambda: channel_of(pbx, "PJSIP/2001-", application="VoiceMailMain"), "*97's VoiceMailMain")
    assert row["data"] == "2001@default"
    callee.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")


def test_star_98_asks_for_a_mailbox(pbx, phone):
    _callee, caller = _office(pbx, phone)
    mark = pbx.log_mark()

    caller.dial("*98")

    wait_for(lambda: "vm-login" in pbx.log_since(mark), "VoiceMailMain to ask for the mailbox (vm-login)")
    row = channel_of(pbx, "SIP/2002-", application="VoiceMailMain")
    assert row["data"] == ""
    caller.hangup()
    wait_for(lambda: no_channels(pbx), "the call to end")
