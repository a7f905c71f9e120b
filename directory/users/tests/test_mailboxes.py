"""Mailboxes: what their fields accept, the PIN, voicemail_additional.conf and the devices that point at them."""

import pytest
from django.core.exceptions import ValidationError

from asterisk.render.conf import GENERATED, parse_conf
from asterisk.render.voicemail import FILENAME
from asterisk.sync import run_sync
from directory.devices.services import device_create, device_login
from directory.users.extensions import extension_create, extension_update
from directory.users.mailboxes import DEFAULT_OPTIONS, mailbox_email, mailbox_options
from directory.users.models import PbxUser
from directory.users.services import user_create, user_update

pytestmark = pytest.mark.django_db

SECRET = "Abcd1234efgh"
ANA = {
    "extension": "2001",
    "name": "Ana Müller",
    "tech": "pjsip",
    "settings": {"secret": SECRET},
    "voicemail": "default",
    "vm_pin": "1234",
    "vm_email": "ana@example.com",
    "vm_options": "attach=yes|saycid=no|envelope=no|delete=no",
}


def _mailboxes(conf_dir):
    text = (conf_dir / FILENAME).read_text()
    assert text.startswith(GENERATED)
    return parse_conf(text)


BAD_EMAILS = ["a,b@example.com", "a|b@example.com", "a=>b@example.com", "a@example.com\n",
              "a@exa\rmple.com", "a\x00@example.com", "a;b@example.com", "not an address"]  # fmt: skip
BAD_OPTIONS = ["attach=yes,saycid=no", "attach=yes|", "attach", "attach=yes\ndelete=yes",
               "attach=y;es", "attach=>yes", "Attach=yes", "attach=yes|x=a=b", "attach=\x00",
               "attach=maybe", "attach=yes|attach=no", "delete=", "review=1"]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_EMAILS)
def test_it_refuses_an_email_that_would_break_the_mailbox_line(bad):
    with pytest.raises(ValidationError):
        mailbox_email(bad)


@pytest.mark.parametrize("bad", BAD_OPTIONS)
def test_it_refuses_options_that_would_break_the_mailbox_line(bad):
    with pytest.raises(ValidationError):
        mailbox_options(bad)


def test_it_accepts_freepbxs_options_and_others_as_written():
    mailbox_options(DEFAULT_OPTIONS)
    mailbox_options("attach=no|saycid=no|envelope=no|delete=no")
    mailbox_options("attach=yes|tz=eastern|saydurationm=2|callback=from-internal|volgain=0.0")


def test_an_option_that_takes_yes_or_no_says_so():
    with pytest.raises(ValidationError) as caught:
        mailbox_options("attach=maybe|saycid=no|saycid=yes")
    assert caught.value.messages == ["attach takes yes or no, not maybe.", "saycid is given twice."]


def test_a_new_mailbox_has_no_options_so_voicemail_conf_general_applies(committed, conf_dir):
    user = committed(user_create, extension="3000", name="X", voicemail="default", vm_pin="1234")
    assert user.vm_options == ""
    assert _mailboxes(conf_dir).get("default") == [("3000", "1234,X,,,")]


def test_given_a_user_with_a_mailbox_then_the_file_lists_it_as_voicemail_conf_does(committed, conf_dir):
    committed(extension_create, **ANA)
    committed(user_create, extension="2002", name="O'Brien, Pat", voicemail="sales", vm_pin="9900",
              vm_pager="pat@example.com")  # fmt: skip
    committed(user_create, extension="2003", name="No Mail")
    parsed = _mailboxes(conf_dir)
    assert parsed.section_names() == ["default", "sales"]
    assert parsed.get("default") == [
        ("2001", "1234,Ana Müller,ana@example.com,,attach=yes|saycid=no|envelope=no|delete=no")
    ]
    # The display name keeps its comma everywhere else; the mailbox line cannot hold one.
    assert parsed.get("sales") == [("2002", f"9900,O'Brien Pat,,pat@example.com,{DEFAULT_OPTIONS}")]
    assert PbxUser.objects.get(pk="2002").name == "O'Brien, Pat"


def test_turning_voicemail_off_removes_the_mailbox_and_points_the_device_back(committed, conf_dir):
    ana = committed(extension_create, **ANA)
    endpoint = parse_conf((conf_dir / "pjsip.endpoint.conf").read_text())
    aor = parse_conf((conf_dir / "pjsip.aor.conf").read_text())
    assert dict(endpoint.get("2001"))["mailboxes"] == "2001@default"
    assert dict(aor.get("2001"))["mailboxes"] == "2001@default"
    committed(extension_update, user=ana, voicemail="novm")
    assert _mailboxes(conf_dir).section_names() == []
    endpoint = parse_conf((conf_dir / "pjsip.endpoint.conf").read_text())
    assert dict(endpoint.get("2001"))["mailboxes"] == "2001@device"


def test_a_chan_sip_device_points_at_its_users_mailbox(committed, conf_dir):
    committed(extension_create, **{**ANA, "tech": "sip"})
    assert (
        dict(parse_conf((conf_dir / "sip_additional.conf").read_text()).get("2001"))["mailbox"]
        == "2001@default"
    )


@pytest.mark.slow
def test_voicemail_is_reloaded_only_when_the_file_changed(committed, asterisk):
    ana = committed(extension_create, **ANA)
    run_sync()
    assert asterisk.commands.count("voicemail reload") == 1
    assert asterisk.db["/AMPUSER/2001/voicemail"] == "default"
    asterisk.commands.clear()
    committed(user_update, user=ana, ringtimer=20)
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", settings={"secret": SECRET})
    committed(device_login, device=desk, user=ana)
    run_sync()
    assert "voicemail reload" not in asterisk.commands
    asterisk.commands.clear()
    committed(user_update, user=ana, voicemail="novm")
    run_sync()
    assert asterisk.commands == ["voicemail reload"]
    assert asterisk.db["/AMPUSER/2001/voicemail"] == "novm", "the AstDB key FreePBX writes follows"
