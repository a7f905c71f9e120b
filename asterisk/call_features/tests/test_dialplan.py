"""The call features' dialplan read back: the codes, the hints, and what sub-dial-user does."""

import pytest

from asterisk.call_features.dialplan import CODES
from asterisk.render.dialplan import FILENAME, entries_by_user
from asterisk.render.tests.test_dialplan import check_targets, parse_dialplan
from directory.devices.services import device_create
from directory.users.extensions import extension_create, extension_update
from directory.users.models import PbxUser
from directory.users.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def dialplan(conf_dir, committed):
    committed(extension_create, extension="2001", name="Ana", tech="pjsip")
    contexts, includes = parse_dialplan((conf_dir / FILENAME).read_text())
    check_targets(contexts, includes)
    return contexts, includes


def _apps(contexts, context, exten="s") -> list[str]:
    return [app for _, _, app in contexts[context][exten].steps]


def test_every_freepbx_code_is_there_and_asks_the_fastagi_service(dialplan):
    contexts, includes = dialplan
    codes = contexts["app-callfeatures"]
    assert {"*76", "*78", "*79", "*72", "*73", "*90", "*91", "*52", "*53", "*70", "*71", "*21"} <= set(codes)
    for code, feature, _inline in CODES:
        assert _apps(contexts, "app-callfeatures", code)[0] == f"Gosub(sub-callfeature,s,1({feature}))"
    agi = _apps(contexts, "sub-callfeature")
    assert any(app.startswith("AGI(agi://") and "/call-feature,${ARG1},${ARG2})" in app for app in agi)
    wanted = includes["from-internal-additional"]
    assert wanted.index("app-callfeatures") < wanted.index("app-vm-direct"), "the codes before *<ext>"


def test_a_number_may_follow_the_forward_codes_and_a_users_mailbox_comes_first(dialplan):
    contexts, _ = dialplan
    for code, feature in (("*72", "cf-on"), ("*90", "cfb-on"), ("*52", "cfu-on")):
        assert _apps(contexts, "app-callfeatures", f"_{code}.") == [
            "Gosub(sub-vm-direct,s,1(${EXTEN:1},try))",
            f"Gosub(sub-callfeature,s,1({feature},${{EXTEN:3}}))",
            "Hangup()",
        ]


def test_blf_keys_watch_dnd_on_star76_and_follow_me_on_star21(dialplan):
    contexts, _ = dialplan
    assert contexts["app-callfeatures"]["_*76X."].hint == "Custom:DND${EXTEN:3}"
    assert contexts["app-callfeatures"]["_*21X."].hint == "Custom:FOLLOWME${EXTEN:3}"


def test_sub_dial_user_forwards_all_calls_honours_dnd_then_forwards_busy_and_unanswered_calls(dialplan):
    contexts, _ = dialplan
    steps = contexts["sub-dial-user"]["s"].steps
    apps = [app for _, _, app in steps]
    labels = {label: priority for priority, label, _ in steps if label}
    first = apps.index("Gosub(sub-cf-all,s,1(${EXT},${FWDCTX},${ARG3}))")
    dnd = apps.index('GotoIf($["${DB(DND/${EXT})}" = "YES"]?occupied)')
    cw = apps.index('GotoIf($["${DB(CW/${EXT})}" = "ENABLED"]?collect)')
    assert first < dnd < cw, "forward all calls, then do not disturb, then busy"
    assert apps[labels["noanswer"]] == "Set(CFTO=${DB(CFU/${EXT})})"
    assert apps[labels["busy"]] == "Set(CFTO=${DB(CFB/${EXT})})"
    assert "Gosub(sub-cf-dial,s,1(${EXT},${CFTO},${FWDCTX}))" in apps


def test_a_forward_is_dialled_in_the_users_context_with_digits_only_and_never_round_a_loop(dialplan):
    contexts, _ = dialplan
    apps = _apps(contexts, "sub-cf-dial")
    assert "Set(CFNUM=${FILTER(+0123456789,${ARG2})})" in apps
    assert 'GotoIf($["${CFNUM}" != "${ARG2}"]?done)' in apps, "anything but digits is not dialled"
    assert 'GotoIf($["${CFNUM}" = "${ARG1}"]?done)' in apps, "not to the user itself"
    assert 'GotoIf($["${CFNUM}" = "${AMPUSER}"]?done)' in apps, "not back to the caller"
    assert "GotoIf($[${LEN(${STRREPLACE(FWDPATH,-${CFNUM}-)})} != ${LEN(${FWDPATH})}]?done)" in apps
    assert "Set(__FWDPATH=${IF($[${LEN(${FWDPATH})} = 0]?-)}${FWDPATH}${ARG1}-)" in apps
    dials = [app for app in apps if app.startswith("Dial(")]
    assert dials == ["Dial(Local/${CFNUM}@${ARG3}/n,${CFRT},tr)", "Dial(Local/${CFNUM}@${ARG3}/n,,tr)"]


def test_follow_me_members_ring_their_phones_only_and_outside_numbers_go_through_the_context(dialplan):
    contexts, _ = dialplan
    assert _apps(contexts, "followme-member", "_X!") == [
        "Gosub(sub-dial-user,s,1(${EXTEN},,member))",
        "Hangup()",
    ]
    entry = _apps(contexts, "sub-followme-entry")
    assert "Set(FMONE=Local/${FMNUM}@${FMCTX}/n)" in entry
    assert "Set(FMONE=Local/${FMNUM}@followme-confirm/n)" in entry
    assert _apps(contexts, "followme-confirm", "_X!")[0] == (
        "Dial(Local/${EXTEN}@${FMCTX}/n,,tU(sub-followme-confirm))"
    )


@pytest.mark.slow
def test_each_users_entry_carries_the_context_their_own_phone_dials_from(committed):
    committed(
        extension_create, extension="2001", name="Ana", tech="pjsip", settings={"context": "from-staff"}
    )
    committed(extension_create, extension="2002", name="Bob", tech="sip")
    committed(user_create, extension="2003", name="Cy")
    cy = PbxUser.objects.get(pk="2003")
    committed(device_create, id="3003", tech="iax2", default_user=cy, settings={"context": "from-desk"})
    committed(user_create, extension="2004", name="Di")
    entries = entries_by_user()
    assert entries["2001"][1].data == "sub-dial-user,s,1(2001,from-staff)"
    assert entries["2002"][1].data == "sub-dial-user,s,1(2002,from-internal)"
    assert entries["2003"][1].data == "sub-dial-user,s,1(2003,from-desk)", (
        "the phone they are default user of"
    )
    assert entries["2004"][1].data == "sub-dial-user,s,1(2004,from-internal)", "no phone of their own"


def test_call_features_never_change_the_dialplan_file_or_reload_it(committed, conf_dir):
    from asterisk.models import SyncChange

    ana = committed(extension_create, extension="2001", name="Ana", tech="pjsip")
    before = (conf_dir / FILENAME).read_text()
    SyncChange.objects.all().delete()
    committed(extension_update, user=ana, dnd=True, cf="2002", followme=True, followme_list="2002")
    assert (conf_dir / FILENAME).read_text() == before
    assert not SyncChange.objects.filter(kind="reload").exists()


def test_nothing_typed_in_the_call_features_reaches_the_dialplan(committed, conf_dir):
    ana = committed(extension_create, extension="2001", name="Ana", tech="pjsip")
    committed(extension_update, user=ana, cf="+4930555123", followme=True, followme_list="0171999888#")
    text = (conf_dir / FILENAME).read_text()
    assert "4930555123" not in text and "0171999888" not in text
