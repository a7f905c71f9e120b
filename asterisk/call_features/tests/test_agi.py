"""The feature codes over FastAGI, end to end: the test plays Asterisk on a TCP socket."""

import pytest

from asterisk.testing.fastagi import FakeAsterisk, asked, played
from asterisk.testing.hotdesk import agi_port  # noqa: F401 (the FastAGI service, as a fixture)
from audit.models import Entry, Via
from directory.devices.services import device_create
from directory.users.extensions import extension_create, extension_update
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ana():
    return extension_create(extension="2001", name="Ana", tech="pjsip")


def _code(port, feature: str, digits_inline: str = "", *, device: str = "2001", typed=None) -> list[str]:
    return FakeAsterisk(port, "call-feature", device, arg=feature, arg2=digits_inline, digits=typed).run()


def _ana() -> PbxUser:
    return PbxUser.objects.get(pk="2001")


@pytest.mark.slow
def test_dnd_on_off_and_toggle_say_what_they_did(agi_port, ana):  # noqa: F811
    assert played(_code(agi_port, "dnd-on")) == ["do-not-disturb", "activated"]
    assert _ana().dnd is True
    assert played(_code(agi_port, "dnd-toggle")) == ["do-not-disturb", "de-activated"]
    assert played(_code(agi_port, "dnd-toggle", "2001")) == ["do-not-disturb", "activated"]
    assert played(_code(agi_port, "dnd-off")) == ["do-not-disturb", "de-activated"]
    assert _ana().dnd is False


def test_a_blf_key_of_someone_else_toggles_nothing(agi_port, ana):  # noqa: F811
    assert played(_code(agi_port, "dnd-toggle", "2002")) == ["pbx-invalid"]
    assert _ana().dnd is False


def test_a_forward_with_the_number_dialled_inline_says_it_back(agi_port, ana):  # noqa: F811
    commands = _code(agi_port, "cf-on", "2003")
    assert played(commands) == ["call-fwd-unconditional", "for", "extension", "is-set-to"]
    assert 'SAY DIGITS 2001 ""' in commands and 'SAY DIGITS 2003 ""' in commands
    assert _ana().cf == "2003"
    assert played(_code(agi_port, "cf-off")) == ["call-fwd-unconditional", "de-activated"]
    assert _ana().cf == ""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("feature", "field", "prompt"),
    [("cfb-on", "cfb", "call-fwd-on-busy"), ("cfu-on", "cfu", "call-fwd-no-ans")],
)
def test_a_forward_asks_for_the_number_when_none_was_dialled(agi_port, ana, feature, field, prompt):  # noqa: F811
    commands = _code(agi_port, feature, typed=["2004"])
    assert asked(commands) == ["vm-enter-num-to-call"]
    assert played(commands)[0] == prompt
    assert getattr(_ana(), field) == "2004"


def test_no_number_typed_changes_nothing(agi_port, ana):  # noqa: F811
    extension_update(user=_ana(), cf="2005")
    commands = _code(agi_port, "cf-on", typed=[])
    assert asked(commands) == ["vm-enter-num-to-call", "vm-enter-num-to-call"]
    assert played(commands) == ["vm-goodbye"]
    assert _ana().cf == "2005"


@pytest.mark.slow
@pytest.mark.parametrize("number", ["2001", "12*34", "1#", "9" * 31])
def test_a_number_the_rules_refuse_is_invalid_and_changes_nothing(agi_port, ana, number):  # noqa: F811
    assert played(_code(agi_port, "cf-on", number)) == ["pbx-invalid"]
    assert _ana().cf == ""


@pytest.mark.slow
def test_call_waiting_and_follow_me_from_the_phone(agi_port, ana):  # noqa: F811
    assert played(_code(agi_port, "cw-off")) == ["call-waiting", "de-activated"]
    assert _ana().callwaiting is False
    assert played(_code(agi_port, "followme-toggle")) == ["pbx-invalid"], "no list: nothing to turn on"
    extension_update(user=_ana(), followme_list="2002")
    assert played(_code(agi_port, "followme-toggle")) == ["activated"]
    assert _ana().followme is True


def test_the_phones_change_is_in_the_audit_log_with_its_device(agi_port, ana):  # noqa: F811
    _code(agi_port, "dnd-on")
    entry = Entry.objects.filter(via=Via.PHONE, object_id="2001").get()
    assert entry.detail == "phone on device 2001"
    assert entry.changes == {"dnd": [False, True]}


@pytest.mark.slow
def test_an_unknown_channel_or_an_empty_hot_desk_changes_no_one(agi_port, ana):  # noqa: F811
    assert played(_code(agi_port, "dnd-on", device="9999")) == ["pbx-invalid"]
    device_create(id="3001", tech="pjsip", devicetype="adhoc")
    assert played(_code(agi_port, "dnd-on", device="3001")) == ["im-sorry", "vm-goodbye"]
    assert played(_code(agi_port, "no-such-feature")) == ["pbx-invalid"]
    assert not PbxUser.objects.filter(dnd=True).exists()


def test_the_caller_id_is_never_trusted(agi_port, ana):  # noqa: F811
    extension_create(extension="2002", name="Bob", tech="pjsip")
    commands = FakeAsterisk(
        agi_port, "call-feature", "2001", arg="dnd-on", channel="PJSIP/2002-00000007"
    ).run()
    assert played(commands) == ["do-not-disturb", "activated"]
    assert PbxUser.objects.get(pk="2002").dnd is True and _ana().dnd is False
