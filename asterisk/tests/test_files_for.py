"""Which files a save names: every file whose text a change moves, and (for field changes) no
file that cannot move, so a name or a DTMF mode never re-renders the 10,000-user dialplan."""

import pytest
from django.db import transaction

from asterisk.files import files_for
from asterisk.models import SyncChange
from asterisk.render.dialplan import FILENAME as DIALPLAN_FILE
from asterisk.render.generate import render_files
from asterisk.render.voicemail import FILENAME as VOICEMAIL_FILE
from directory.devices.models import Device
from directory.devices.services import device_create, device_update
from directory.users.models import PbxUser
from directory.users.services import USER_FIELDS, user_create, user_update

pytestmark = pytest.mark.django_db

# A value for each user field that differs from the one the fixture user has.
USER_CHANGES = {
    "name": "Ana Changed",
    "cid_num_alias": "4444",
    "outboundcid": '"Ana" <5551234>',
    "password": "8642",
    "ringtimer": 25,
    "cfringtimer": 30,
    "concurrency_limit": 5,
    "voicemail": "sales",
    "vm_pin": "97531",
    "vm_email": "ana@example.com",
    "vm_pager": "pager@example.com",
    "vm_options": "attach=yes",
    "callwaiting": False,
    "cwtone": "enabled",
    "answermode": "enabled",
    "intercom": "disabled",
    "recording_in_external": "force",
    "recording_out_external": "never",
    "recording_in_internal": "yes",
    "recording_out_internal": "no",
    "recording_ondemand": "enabled",
    "recording_priority": 20,
    "accountcode": "sales7",
    "language": "de",
    # The call features live in AstDB only (asterisk/call_features).
    "dnd": True,
    "cf": "1002",
    "cfb": "1002",
    "cfu": "0301234567",
    "followme": True,
    "followme_list": "1002-0171234567#",
    "followme_prering": 3,
    "followme_grptime": 40,
    "followme_strategy": "hunt",
    "followme_confirm": True,
}
DEVICE_CHANGES = {
    "description": {"description": "Front desk"},
    "emergency_cid": {"emergency_cid": "5550911"},
    "devicetype": {"devicetype": "adhoc"},
    "settings.dtmfmode": {"settings": {"dtmfmode": "info"}},
    "settings.secret": {"settings": {"secret": "Zq8-new-secret-7731"}},
    # The user's entry in the dialplan names the context of their own phone (their forwards').
    "settings.context": {"settings": {"context": "from-staff"}},
}


def test_every_user_field_has_a_case():
    assert set(USER_CHANGES) == set(USER_FIELDS), "a new user field needs a case here"


@pytest.fixture
def office(committed):
    def device(id, tech, user):
        committed(
            device_create, id=id, tech=tech, devicetype="fixed", default_user=PbxUser.objects.get(pk=user)
        )

    committed(
        user_create, extension="1000", name="Ana", voicemail="default", vm_pin="1357", followme_list="1001"
    )
    device("1000", "pjsip", "1000")
    device("1001", "sip", "1000")
    committed(user_create, extension="1002", name="Ben")
    device("1002", "iax2", "1002")


def _moved(change) -> set[str]:
    before = render_files()
    with transaction.atomic():
        change()
        named = set(SyncChange.objects.filter(kind="file").values_list("ref", flat=True))
        after = render_files()
        transaction.set_rollback(True)
    return {name for name in before if before[name] != after[name]}, named


@pytest.mark.slow
@pytest.mark.parametrize("field", sorted(USER_CHANGES))
def test_a_user_field_change_names_every_file_it_moves(office, field):
    SyncChange.objects.all().delete()
    user = PbxUser.objects.get(pk="1000")
    changed = []
    moved, named = _moved(lambda: changed.append(user_update(user=user, **{field: USER_CHANGES[field]})))
    assert getattr(changed[0], field) != getattr(user, field), "the case changes the field"
    assert moved <= named


@pytest.mark.slow
@pytest.mark.parametrize("field", sorted(DEVICE_CHANGES))
def test_a_device_change_names_every_file_it_moves(office, field):
    SyncChange.objects.all().delete()
    device = Device.objects.get(pk="1000")
    moved, named = _moved(lambda: device_update(device=device, **DEVICE_CHANGES[field]))
    if field not in ("description", "emergency_cid"):  # those two live in AstDB only
        assert moved, "the case moves a device file"
    assert moved <= named


@pytest.mark.slow
def test_a_name_or_a_pin_leaves_the_dialplan_and_the_device_files_alone(office):
    assert files_for({"1000"}, set(), user_fields={"name"}) == {VOICEMAIL_FILE}
    assert files_for({"1000"}, set(), user_fields={"ringtimer", "callwaiting"}) == set()
    assert files_for({"1000"}, set(), user_fields={"language"}) == {
        "pjsip.endpoint.conf",
        "pjsip.aor.conf",
        "pjsip.auth.conf",
        "sip_additional.conf",
    }


def test_a_device_setting_names_only_its_technology_files(office):
    assert files_for(set(), {"1001"}, device_fields={"settings.dtmfmode"}) == {"sip_additional.conf"}
    assert DIALPLAN_FILE in files_for(set(), {"1001"}, device_fields={"dial"})


@pytest.mark.slow
def test_a_creation_or_a_deletion_names_the_dialplan(office):
    assert DIALPLAN_FILE in files_for({"1002"}, set())
    assert DIALPLAN_FILE in files_for(set(), {"1002"})
    assert VOICEMAIL_FILE not in files_for(set(), {"1002"}), "the mailboxes list no device"
