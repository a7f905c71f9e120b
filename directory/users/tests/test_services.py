"""The user services: create, update, delete a PBX user (directory/users/services.py)."""

import pytest
from django.core.exceptions import ValidationError

from asterisk.render.conf import parse_conf
from directory.devices.models import Device
from directory.devices.services import device_create
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_create, user_delete, user_update

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
    from directory.users.models import PbxUser
    from directory.users.services import user_version
    from directory.versions import StaleVersion

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


def test_a_number_in_use_is_refused_and_says_by_whom(committed, alice):
    with pytest.raises(ValidationError) as caught:
        committed(user_create, extension="1000", name="Another")
    assert caught.value.message_dict == {"extension": ["Extension 1000 is already in use by Alice."]}
    assert caught.value.error_dict["extension"][0].code == "in_use"


def test_a_user_whose_number_only_a_device_has_is_created(committed):
    """Users and devices number apart: a device 2001 does not take user 2001's number."""
    committed(device_create, id="2001", tech="pjsip")
    assert committed(user_create, extension="2001", name="Desk owner").pk == "2001"


def test_a_new_mailbox_without_a_pin_gets_a_random_one_in_digits(committed):
    users = [
        committed(user_create, extension=str(n), name="X", voicemail="default") for n in range(3000, 3005)
    ]
    pins = {u.vm_pin for u in users}
    assert all(p.isdigit() and len(p) == 6 for p in pins)
    assert len(pins) > 1, "random, not one fixed value"


def test_a_pin_is_digits_only(committed):
    with pytest.raises(ValidationError) as caught:
        committed(user_create, extension="3000", name="X", voicemail="default", vm_pin="12a4")
    assert "vm_pin" in caught.value.error_dict


def test_a_blank_pin_on_update_keeps_the_pin(committed):
    ana = committed(
        extension_create, extension="2001", name="Ana", tech="pjsip", voicemail="default", vm_pin="1234"
    )
    committed(user_update, user=ana, vm_email="ana.m@example.com")
    assert PbxUser.objects.get(pk="2001").vm_pin == "1234"


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


def test_deleting_a_user_that_a_did_rings_records_the_route_now_hanging_up():
    from audit.models import Entry
    from directory.connectivity.models import Destination, InboundRoute
    from directory.connectivity.services import inbound_route_create

    ann = user_create(extension="2001", name="Ann")
    route = inbound_route_create(did="5551234", destination="user", user=ann)
    user_delete(user=ann)
    route = InboundRoute.objects.get(pk=route.pk)
    assert route.user is None and route.destination == Destination.USER
    changed = Entry.objects.filter(object_type="in_route", action="changed")
    assert changed.count() == 1, list(Entry.objects.values_list("object_type", "action"))
