"""The directory's rules for several servers: a device's users are on the device's server, users,
extensions and devices are created on a server, and a user moves with their own phones."""

import pytest
from django.core.exceptions import ValidationError

from asterisk.render.dialplan import user_entries
from audit import actors
from audit.models import Entry as AuditEntry
from audit.models import Via
from directory import announce
from directory.devices.models import Device
from directory.devices.services import (
    device_attach,
    device_create,
    device_login,
    device_logout,
    device_restore_user,
    device_update,
)
from directory.servers.current import default, using
from directory.servers.models import Server
from directory.servers.moves import move_user
from directory.users.extensions import extension_create, extension_create_many
from directory.users.models import PbxUser
from directory.users.services import user_create, user_version
from directory.versions import StaleVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch():
    return Server.objects.create(name="branch", iax_host="10.0.0.2")


class Spy:
    """A recorder that keeps what the directory announced."""

    def __init__(self):
        self.calls = []

    def changed(self, *, users=(), devices=(), fields=None):
        self.calls.append((set(users), set(devices), fields))

    def sip_settings_changed(self):
        pass

    def trunks_changed(self, *, techs, fields=None):
        pass

    def routes_changed(self):
        pass


@pytest.fixture
def spy(monkeypatch):
    recorder = Spy()
    monkeypatch.setattr(announce, "_recorders", [*announce._recorders, recorder])
    return recorder


# --- created on a server -------------------------------------------------------------------


def test_users_devices_and_extensions_land_on_the_default_server_unless_told(branch):
    assert user_create(extension="1000", name="Ana").server == default()
    assert device_create(id="3001", tech="pjsip", devicetype="adhoc").server == default()
    extension_create(extension="1001", name="Ben", tech="pjsip")
    assert Device.objects.get(pk="1001").server == default()
    extension_create(extension="2000", name="Cy", tech="pjsip", server=branch)
    assert PbxUser.objects.get(pk="2000").server == branch
    assert Device.objects.get(pk="2000").server == branch
    assert user_create(extension="2001", name="Di", server=branch).server == branch
    assert device_create(id="3002", tech="sip", devicetype="adhoc", server=branch).server == branch


def test_a_device_for_a_user_goes_to_the_users_server(branch):
    di = user_create(extension="2001", name="Di", server=branch)
    assert device_create(id="2101", tech="pjsip", default_user=di).server == branch


def test_an_import_puts_each_row_on_its_server(branch):
    problems = extension_create_many(
        [
            {"extension": "1000", "name": "Ana", "tech": "pjsip"},
            {"extension": "2000", "name": "Cy", "tech": "pjsip", "server": branch},
        ]
    )
    assert problems == {}
    assert dict(PbxUser.objects.values_list("pk", "server__name")) == {"1000": "main", "2000": "branch"}
    assert dict(Device.objects.values_list("pk", "server__name")) == {"1000": "main", "2000": "branch"}


# --- a device's users are on its server ----------------------------------------------------


def test_a_device_on_another_server_than_its_default_user_is_refused(branch):
    ana = user_create(extension="1000", name="Ana")
    with pytest.raises(ValidationError) as excinfo:
        device_create(id="2101", tech="pjsip", default_user=ana, server=branch)
    assert excinfo.value.message_dict["default_user"] == [
        "User 1000 is on server main and device 2101 on server branch: "
        "a device's users are on its server (move the user first)."
    ]
    assert not Device.objects.filter(pk="2101").exists()


def test_a_default_user_of_another_server_is_refused_on_update_and_attach(branch):
    ana = user_create(extension="1000", name="Ana")
    fixed = device_create(id="2101", tech="pjsip", server=branch)
    desk = device_create(id="3001", tech="pjsip", devicetype="adhoc", server=branch)
    with pytest.raises(ValidationError) as excinfo:
        device_update(device=fixed, default_user=ana)
    assert "default_user" in excinfo.value.message_dict
    for device in (fixed, desk):
        with pytest.raises(ValidationError, match="on server main and device"):
            device_attach(device=device, user=ana)
    assert set(Device.objects.values_list("default_user", flat=True)) == {None}


def test_hot_desking_on_a_phone_of_another_server_is_refused_with_a_clear_error(branch):
    ana = user_create(extension="1000", name="Ana", password="1234")
    desk = device_create(id="3001", tech="pjsip", devicetype="adhoc", server=branch)
    with pytest.raises(ValidationError) as excinfo:
        device_login(device=desk, user=ana)
    assert excinfo.value.messages == [
        "User 1000 is on server main and device 3001 on server branch: "
        "hot desking works only on the phones of the user's own server."
    ]
    assert excinfo.value.error_list[0].code == "other_server"
    desk.refresh_from_db()
    assert desk.user is None
    with pytest.raises(ValidationError, match="on server main and device 3001"):
        device_restore_user(device=desk, user=ana)


def test_hot_desking_within_a_server_still_works(branch):
    cy = user_create(extension="2000", name="Cy", password="1234", server=branch)
    desk = device_create(id="3001", tech="pjsip", devicetype="adhoc", server=branch)
    assert device_login(device=desk, user=cy).user == cy
    assert device_logout(device=desk).user is None


# --- moving a user ---------------------------------------------------------------------------


def test_a_user_moves_with_their_fixed_phones_and_every_server_is_told(branch, spy):
    extension_create(extension="1000", name="Ana", tech="pjsip", voicemail="default")
    ana = PbxUser.objects.get(pk="1000")
    device_create(id="1100", tech="sip", default_user=ana)
    other = device_create(id="1200", tech="sip")
    spy.calls.clear()
    moved = move_user(extension="1000", server=branch)
    assert moved.server == branch
    assert dict(Device.objects.values_list("pk", "server__name")) == {
        "1000": "branch",
        "1100": "branch",
        "1200": "main",
    }
    assert other.pk == "1200"
    # Announced as changed in every way: every server works out what it now holds.
    assert spy.calls == [({"1000"}, {"1000", "1100"}, None)]
    with using(branch):
        assert user_entries("1000")[0].context == "ext-local"
    with using(default()):
        assert user_entries("1000")[1].data == "sub-dial-server,s,1(1000,pbx-branch)"


def test_a_move_is_on_the_audit_log_with_who_and_the_servers_by_name(branch):
    extension_create(extension="1000", name="Ana", tech="pjsip")
    AuditEntry.objects.all().delete()
    with actors.acting(actors.Actor(Via.PORTAL, person="admin")):
        move_user(extension="1000", server=branch)
    entries = list(
        AuditEntry.objects.order_by("id").values(
            "person", "action", "object_type", "object_id", "changes", "lead"
        )
    )
    assert entries == [
        {
            "person": "admin",
            "action": "changed",
            "object_type": "user",
            "object_id": "1000",
            "changes": {"server": ["main", "branch"]},
            "lead": True,
        },
        {
            "person": "admin",
            "action": "changed",
            "object_type": "device",
            "object_id": "1000",
            "changes": {"server": ["main", "branch"]},
            "lead": False,
        },
    ]


def test_a_move_to_the_users_own_server_changes_nothing(branch, spy):
    user_create(extension="1000", name="Ana")
    AuditEntry.objects.all().delete()
    spy.calls.clear()
    assert move_user(extension="1000", server=default()).server == default()
    assert spy.calls == [] and not AuditEntry.objects.exists()


def test_a_user_on_an_adhoc_phone_is_not_moved(branch):
    ana = user_create(extension="1000", name="Ana", password="1234")
    desk = device_create(id="3001", tech="pjsip", devicetype="adhoc")
    device_login(device=desk, user=ana)
    with pytest.raises(ValidationError) as excinfo:
        move_user(extension="1000", server=branch)
    assert excinfo.value.message_dict["server"] == [
        "User 1000 is logged into adhoc device 3001, a shared phone that stays on server main: "
        "log them out of it first."
    ]
    assert PbxUser.objects.get(pk="1000").server == default()
    device_logout(device=desk)
    assert move_user(extension="1000", server=branch).server == branch


def test_the_default_user_of_an_adhoc_phone_is_not_moved(branch):
    ana = user_create(extension="1000", name="Ana")
    device_create(id="3001", tech="pjsip", devicetype="adhoc", default_user=ana)
    with pytest.raises(ValidationError, match="default user of adhoc device 3001"):
        move_user(extension="1000", server=branch)


def test_a_phone_shared_with_someone_who_stays_is_not_moved_and_every_problem_is_told(branch):
    ana = user_create(extension="1000", name="Ana")
    ben = user_create(extension="1001", name="Ben")
    shared = device_create(id="1100", tech="sip", default_user=ana)
    # Inconsistent rows (an old import): a fixed phone of Ana's that Ben is on.
    Device.objects.filter(pk=shared.pk).update(user=ben)
    device_create(id="3001", tech="pjsip", devicetype="adhoc", default_user=ana)
    device_create(id="1200", tech="dahdi", default_user=ana, settings={"channel": "1"})
    with pytest.raises(ValidationError) as excinfo:
        move_user(extension="1000", server=branch)
    problems = excinfo.value.message_dict["server"]
    assert len(problems) == 3
    assert problems[0].startswith("Device 1100 is shared with user 1001, who stays on server main")
    assert problems[1].startswith("Device 1200 is a DAHDI channel")
    assert problems[2].startswith("User 1000 is the default user of adhoc device 3001")
    assert set(Device.objects.values_list("server__name", flat=True)) == {"main"}
    assert ben.pk == "1001"


def test_a_move_checks_the_version_the_caller_read(branch):
    ana = user_create(extension="1000", name="Ana")
    version = user_version(ana)
    ana.name = "Anna"
    ana.save()  # someone else's save
    with pytest.raises(StaleVersion):
        move_user(extension="1000", server=branch, expected_version=version)
    fresh = PbxUser.objects.get(pk="1000")
    assert move_user(extension="1000", server=branch, expected_version=user_version(fresh)).server == branch
