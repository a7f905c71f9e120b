"""What the phone's feature codes do (services.py): user updates, audited as the phone."""

import pytest
from django.core.exceptions import ValidationError

from audit import actors
from audit.models import Entry, Via
from directory.devices.models import Device
from directory.users.call_features import services
from directory.users.extensions import extension_create, extension_update
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(committed):
    return committed(extension_create, extension="2001", name="Ana", tech="pjsip")


def test_the_phones_operations_change_the_user_and_the_audit_names_the_device(ana):
    device = Device.objects.get(pk="2001")
    with actors.acting(actors.phone(device)):
        services.dnd_set(user=ana, on=True)
        services.forward_set(user=ana, field="cfb", number="2002")
        services.callwaiting_set(user=ana, on=False)
    user = PbxUser.objects.get(pk="2001")
    assert (user.dnd, user.cfb, user.callwaiting) == (True, "2002", False)
    entries = Entry.objects.filter(via=Via.PHONE, object_id="2001").order_by("pk")
    assert [e.detail for e in entries] == ["phone on device 2001"] * 3
    assert [list(e.changes) for e in entries] == [["dnd"], ["cfb"], ["callwaiting"]]


def test_toggles_flip_what_the_database_holds_now(ana):
    PbxUser.objects.filter(pk="2001").update(dnd=True)  # another writer, after `ana` was read
    assert services.dnd_toggle(user=ana).dnd is False
    assert services.dnd_toggle(user=ana).dnd is True


def test_follow_me_toggles_only_with_a_list(ana):
    with pytest.raises(ValidationError):
        services.followme_toggle(user=ana)
    extension_update(user=ana, followme_list="2002")
    assert services.followme_toggle(user=ana).followme is True
    assert services.followme_toggle(user=ana).followme is False


def test_an_empty_number_ends_a_forward_and_a_bad_one_changes_nothing(ana):
    services.forward_set(user=ana, field="cf", number="2002")
    with pytest.raises(ValidationError):
        services.forward_set(user=ana, field="cf", number="2001")
    assert PbxUser.objects.get(pk="2001").cf == "2002"
    assert services.forward_set(user=ana, field="cf", number="").cf == ""
    with pytest.raises(ValueError):
        services.forward_set(user=ana, field="callwaiting", number="1")
