"""What the services record: each changed field before → after, secrets only as "changed"."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from audit.fields import is_secret, looks_secret, values_of
from audit.models import HIDDEN_CHANGE, Action, Entry, ObjectType, Via
from audit.tests.helpers import entries, raw_table_text
from bulk.exporting import export_file
from directory.devices.models import Device
from directory.devices.services import (
    device_create,
    device_delete,
    device_login,
    device_logout,
    device_update,
)
from directory.endpoints.models import Endpoint
from directory.endpoints.services import sip_settings_update
from directory.users.extensions import (
    extension_create,
    extension_create_many,
    extension_delete,
    extension_update,
)
from directory.users.models import PbxUser
from directory.users.services import user_create, user_delete, user_update
from portal.mode import DEVICE_AND_USER, set_pbx_mode

pytestmark = pytest.mark.django_db

SECRET = "Tr0ub4dor-and-3-horses"


def test_creating_an_extension_records_the_user_the_device_and_its_endpoint():
    extension_create(
        extension="1000", name="John Doe", tech="pjsip", settings={"secret": SECRET}, password="4711"
    )
    user, device, endpoint = entries(action=Action.CREATED)
    assert (user.object_type, user.object_id) == (ObjectType.USER, "1000")
    assert user.changes["name"] == [None, "John Doe"]
    assert user.changes["password"] == HIDDEN_CHANGE
    assert (device.object_type, device.changes["dial"]) == (ObjectType.DEVICE, [None, "PJSIP/1000"])
    assert endpoint.object_type == ObjectType.ENDPOINT and endpoint.object_id == "1000"
    assert endpoint.changes["secret"] == HIDDEN_CHANGE
    assert endpoint.changes["context"] == [None, "from-internal"]
    assert SECRET not in raw_table_text() and "4711" not in raw_table_text()


def test_given_a_user_when_fields_change_then_each_is_recorded_before_and_after():
    user = user_create(extension="1000", name="Ann", ringtimer=10)
    user_update(user=user, name="Anna", ringtimer=25, voicemail="novm")
    (entry,) = entries(action=Action.CHANGED)
    assert entry.changes == {"name": ["Ann", "Anna"], "ringtimer": [10, 25]}
    assert entry.object_repr == "1000 Anna"
    assert entry.change_lines() == ["name: Ann → Anna", "ringtimer: 10 → 25"]


def test_a_save_that_changes_nothing_records_nothing():
    user = user_create(extension="1000", name="Ann")
    user_update(user=user, name="Ann")
    assert entries(action=Action.CHANGED) == []


def test_a_new_pin_is_recorded_as_changed_and_never_with_its_value():
    user = user_create(extension="1000", name="Ann", password="1234")
    user_update(user=user, password="987654")
    (entry,) = entries(action=Action.CHANGED)
    assert entry.changes == {"password": HIDDEN_CHANGE}
    assert entry.change_lines() == ["password: changed"]
    assert "987654" not in raw_table_text() and "1234" not in raw_table_text()


def test_a_new_device_secret_is_recorded_as_changed_beside_the_other_settings():
    extension_create(extension="1000", name="Ann", tech="sip", settings={"secret": SECRET})
    extension_update(user=PbxUser.objects.get(pk="1000"), settings={"secret": SECRET + "x", "nat": "no"})
    (entry,) = entries(action=Action.CHANGED, object_type=ObjectType.ENDPOINT)
    assert entry.changes["secret"] == HIDDEN_CHANGE
    assert entry.changes["nat"][1] == "no"
    assert SECRET not in raw_table_text()


def test_deleting_an_extension_records_what_was_there():
    extension_create(extension="1000", name="Ann", tech="pjsip")
    extension_delete(user=PbxUser.objects.get(pk="1000"))
    device, user = entries(action=Action.DELETED)
    assert (device.object_type, user.object_type) == (ObjectType.DEVICE, ObjectType.USER)
    assert user.changes["name"] == ["Ann", None]


def test_a_rolled_back_change_records_nothing():
    user = user_create(extension="1000", name="Ann")
    count = len(entries())
    with pytest.raises(RuntimeError), transaction.atomic():
        user_update(user=user, name="Bob")
        raise RuntimeError("something later in the same transaction failed")
    assert len(entries()) == count


def test_a_refused_change_records_nothing():
    user = user_create(extension="1000", name="Ann")
    with pytest.raises(ValidationError):
        user_update(user=user, name="Bob", ringtimer=999)
    assert entries(action=Action.CHANGED) == []


def test_hot_desking_is_recorded_as_logged_in_and_out_with_the_user_before_and_after():
    dana = user_create(extension="1000", name="Dana")
    device = device_create(id="3001", tech="pjsip", devicetype="adhoc")
    device_login(device=device, user=dana)
    device_logout(device=device)
    login, logout = entries(object_type=ObjectType.DEVICE, action__in=[Action.LOGGED_IN, Action.LOGGED_OUT])
    assert (login.action, login.changes["user"]) == (Action.LOGGED_IN, [None, "1000"])
    assert (logout.action, logout.changes["user"]) == (Action.LOGGED_OUT, ["1000", None])


def test_device_changes_and_deletion_are_recorded():
    device = device_create(id="2001", tech="pjsip", description="Desk")
    device_update(device=device, description="Front desk", settings={"dtmfmode": "info"})
    device_delete(device=Device.objects.get(pk="2001"))
    changed = {e.object_type: e.changes for e in entries(action=Action.CHANGED)}
    assert changed == {
        "device": {"description": ["Desk", "Front desk"]},
        "endpoint": {"dtmfmode": ["rfc4733", "info"]},
    }
    assert [e.object_id for e in entries(action=Action.DELETED)] == ["2001"]


def test_deleting_a_user_records_it():
    user_delete(user=user_create(extension="1000", name="Ann"))
    assert [e.object_type for e in entries(action=Action.DELETED)] == [ObjectType.USER]


def test_the_portal_mode_change_is_recorded():
    set_pbx_mode(mode=DEVICE_AND_USER)
    (entry,) = entries(object_type=ObjectType.SETTINGS)
    assert entry.changes == {"mode": ["extensions", "deviceanduser"]}


def test_many_extensions_created_at_once_are_each_recorded():
    rows = [
        {"extension": str(1000 + n), "name": f"P{n}", "tech": "iax2", "settings": {"secret": SECRET}}
        for n in range(3)
    ]
    assert extension_create_many(rows) == {}
    created = entries(action=Action.CREATED)
    assert sorted((e.object_type, e.object_id) for e in created) == sorted(
        (kind, str(1000 + n)) for n in range(3) for kind in ("user", "device", "endpoint")
    )
    assert all(e.via == Via.SYSTEM for e in created)
    assert SECRET not in raw_table_text()


def test_every_field_of_a_user_is_recorded_so_new_fields_need_nothing_more():
    user = PbxUser(extension="1000", name="Ann")
    recorded = set(values_of(user))
    # The name's folded copy (for searching) is the name again: not a change of its own.
    skipped = {"extension", "created_at", "updated_at", "name_folded"}
    expected = {f.name for f in PbxUser._meta.concrete_fields} - skipped
    assert recorded == expected


@pytest.mark.parametrize(
    "name", ["password", "vm_password", "vmpassword", "voicemail_pin", "vmpin", "pin", "md5secret", "secret"]
)
def test_a_field_named_like_a_password_pin_or_secret_is_secret(name):
    assert looks_secret(name)


@pytest.mark.parametrize("name", ["name", "mapping", "ping_interval", "spinach_count", "description", "dial"])
def test_an_ordinary_field_is_not_secret(name):
    assert not looks_secret(name)


def test_a_label_can_mark_a_field_secret():
    assert looks_secret("vmcode", "voicemail PIN")


def test_secret_endpoint_settings_come_from_their_technology():
    endpoint = Endpoint(settings={})
    assert is_secret(endpoint, "secret") and not is_secret(endpoint, "context")
    assert is_secret(PbxUser(), "password") and not is_secret(PbxUser(), "name")


def test_a_name_the_model_does_not_have_is_judged_by_its_words():
    assert is_secret(Device(), "old_pin") and not is_secret(Device(), "old_label")


@pytest.mark.django_db
def test_taking_the_secrets_out_of_the_portal_is_on_the_record():
    "".join(export_file(kind="extensions", with_secrets=False))
    assert not Entry.objects.filter(action="exported").exists()
    "".join(export_file(kind="users", with_secrets=True))
    (entry,) = Entry.objects.filter(action="exported")
    assert (entry.object_type, entry.object_id) == ("export", "users")


@pytest.mark.django_db
def test_sip_settings_changes_and_a_rewritten_file_are_on_the_record(conf_dir, administrator_client):
    sip_settings_update(external_address="203.0.113.7")
    changed = Entry.objects.get(action="changed", object_type="settings")
    assert changed.changes["external_address"] == ["", "203.0.113.7"]
    administrator_client.post(reverse("config_rewrite"), {"name": "extensions_additional.conf"})
    assert Entry.objects.filter(action="rewrote", object_id="extensions_additional.conf").exists()


# --- Operations: one service call is one entry, with every object it touched -------------


def _operations() -> dict:
    """{operation: [(object_type, object_id, lead), …]} in the order written."""
    grouped: dict = {}
    for e in entries():
        grouped.setdefault(e.operation, []).append((e.object_type, e.object_id, e.lead))
    return grouped


def test_creating_an_extension_is_one_operation_led_by_its_user():
    extension_create(extension="1000", name="Ann", tech="pjsip")
    (parts,) = _operations().values()
    assert parts == [("user", "1000", True), ("device", "1000", False), ("endpoint", "1000", False)]


def test_changing_then_deleting_an_extension_are_two_operations():
    extension_create(extension="1000", name="Ann", tech="pjsip")
    extension_update(user=PbxUser.objects.get(pk="1000"), name="Anna", settings={"dtmfmode": "info"})
    extension_delete(user=PbxUser.objects.get(pk="1000"))
    _created, changed, deleted = _operations().values()
    assert [kind for kind, _, _ in changed] == ["user", "device", "endpoint"]
    assert [kind for kind, _, _ in deleted] == ["device", "user"]
    assert [lead for *_, lead in changed + deleted] == [True, False, False, True, False]


def test_many_extensions_created_at_once_are_one_operation_each():
    rows = [{"extension": str(1000 + n), "name": f"P{n}", "tech": "iax2"} for n in range(3)]
    assert extension_create_many(rows) == {}
    operations = list(_operations().values())
    assert [[(kind, ref) for kind, ref, _ in parts] for parts in operations] == [
        [("user", ref), ("device", ref), ("endpoint", ref)] for ref in ("1000", "1001", "1002")
    ]


def test_what_is_recorded_outside_a_service_is_an_operation_of_its_own():
    user = user_create(extension="1000", name="Ann")
    device = device_create(id="3001", tech="pjsip", devicetype="adhoc")
    device_login(device=device, user=user)
    assert [len(parts) for parts in _operations().values()] == [1, 2, 1]
