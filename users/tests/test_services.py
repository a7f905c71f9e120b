"""The user services: create, update, delete a PBX user (users/services.py)."""

import pytest
from django.core.exceptions import ValidationError

from devices.models import Device
from devices.services import device_create
from endpoints.conf import parse_conf
from users.models import PbxUser
from users.services import user_create, user_delete, user_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(committed):
    return committed(user_create, extension="1000", name="Alice", password="1234")


def test_deleting_a_user_detaches_their_devices(committed, alice):
    committed(device_create, id="2001", tech="sip", default_user=alice)
    committed(user_delete, user=alice)
    device = Device.objects.get(pk="2001")
    assert device.user is None and device.default_user is None


def test_changing_voicemail_rewrites_the_fixed_devices_mailbox(committed, conf_dir, alice):
    committed(device_create, id="2001", tech="sip", default_user=alice)
    committed(user_update, user=alice, voicemail="default")
    items = dict(parse_conf((conf_dir / "sip_additional.conf").read_text()).get("2001"))
    assert items["mailbox"] == "1000@default"


def test_an_update_made_from_an_old_copy_of_the_user_is_refused(committed, alice):
    from portal.versions import StaleVersion
    from users.models import PbxUser
    from users.services import user_version

    read = user_version(alice)
    committed(user_update, user=alice, expected_version=read, name="Alicia")
    with pytest.raises(StaleVersion):
        committed(user_update, user=alice, expected_version=read, name="Alice", ringtimer=20)
    assert PbxUser.objects.get(pk="1000").name == "Alicia"
    assert (
        committed(
            user_update,
            user=alice,
            expected_version={"old", user_version(PbxUser.objects.get(pk="1000"))},
            ringtimer=20,
        ).ringtimer
        == 20
    )


@pytest.mark.parametrize("field", ["password", "vm_pin"])
@pytest.mark.parametrize("pin", ["1", "12", "123"])
def test_a_pin_shorter_than_4_digits_is_refused(field, pin):
    with pytest.raises(ValidationError) as refused:
        user_create(extension="2001", name="Ana", voicemail="default", **{field: pin})
    assert refused.value.message_dict[field] == ["A PIN has at least 4 digits."]
    assert not PbxUser.objects.exists()


@pytest.mark.parametrize("field", ["password", "vm_pin"])
def test_a_pin_of_4_digits_is_taken(field):
    assert (
        getattr(user_create(extension="2001", name="Ana", voicemail="default", **{field: "0042"}), field)
        == "0042"
    )


@pytest.mark.parametrize("field", ["password", "vm_pin"])
def test_a_pin_changed_to_3_digits_is_refused(field):
    user = user_create(extension="2001", name="Ana", voicemail="default", **{field: "4711"})
    with pytest.raises(ValidationError) as refused:
        user_update(user=user, **{field: "471"})
    assert field in refused.value.message_dict
    assert getattr(PbxUser.objects.get(pk="2001"), field) == "4711"


def test_a_short_pin_kept_from_before_does_not_block_other_changes():
    """A PIN stored before the rule (FreePBX allowed any) keeps working until it is changed."""
    user_create(extension="2001", name="Ana", password="4711")
    PbxUser.objects.filter(pk="2001").update(password="471")
    user_update(user=PbxUser.objects.get(pk="2001"), name="Anna")
    assert PbxUser.objects.get(pk="2001").password == "471"


@pytest.mark.parametrize("context", ["general", "zonemessages", "General", "ZONEMESSAGES"])
def test_a_voicemail_context_named_as_a_section_of_voicemail_conf_is_refused(context):
    """[general] and [zonemessages] are voicemail.conf's settings: mailboxes there are not mailboxes."""
    with pytest.raises(ValidationError) as refused:
        user_create(extension="2001", name="Ana", voicemail=context)
    assert refused.value.message_dict["voicemail"] == [
        f"{context} is a section of voicemail.conf, not a voicemail context: choose another name."
    ]
    user = user_create(extension="2001", name="Ana", voicemail="default")
    with pytest.raises(ValidationError):
        user_update(user=user, voicemail=context)
