"""The server services: create, change, delete, the default, and putting new users and devices
on a server; every refusal names its field, secrets are write-only and in no audit entry."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import Entry
from directory.devices.models import Device
from directory.devices.services import device_create
from directory.servers.current import default
from directory.servers.models import Server
from directory.servers.services import (
    create_on,
    server_create,
    server_delete,
    server_set_default,
    server_update,
    server_version,
    update_on,
)
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_create, user_update
from directory.versions import StaleVersion

pytestmark = pytest.mark.django_db

AMI_SECRET = "Ami-Secret-4711"


def _messages(error: ValidationError) -> dict[str, str]:
    return {k: " ".join(m for e in v for m in e.messages) for k, v in error.error_dict.items()}


def test_a_server_is_created_with_a_generated_iax_secret_and_audited_without_secrets():
    server = server_create(
        name="branch-1", ami_host="10.0.0.2", ami_port=5038, ami_username="pbxadmin", ami_secret=AMI_SECRET
    )
    assert server.queue == "pbx.branch-1"
    assert len(server.iax_secret) >= 32 and server.iax_secret != default().iax_secret
    assert not server.is_default
    entry = Entry.objects.get(object_type="server", action="created")
    assert entry.changes["ami_secret"] == "changed" and entry.changes["iax_secret"] == "changed"
    assert AMI_SECRET not in str(entry.changes) and server.iax_secret not in str(entry.changes)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Branch"),
        ("name", "1branch"),
        ("name", "branch_1"),
        ("name", "a" * 33),
        ("name", "main"),
        ("ami_host", "10.0.0.2\n[evil]"),
        ("ami_host", "host;comment"),
        ("ami_host", "[::1]"),
        ("ami_port", 0),
        ("ami_port", 70000),
        ("ami_username", "admin\r\nAction: Command"),
        ("ami_secret", "two words"),
        ("ami_secret", "x\nAction: Originate"),
        ("conf_dir", "relative/dir"),
        ("conf_dir", "/etc/../root"),
        ("conf_dir", "/etc/aster\nisk"),
        ("iax_host", "a b"),
        ("iax_port", 65536),
    ],
)
def test_every_field_that_reaches_a_file_or_an_ami_action_is_judged(field, value):
    fields = {"name": "branch-1", field: value}
    with pytest.raises(ValidationError) as refused:
        server_create(**fields)
    assert field in refused.value.error_dict
    assert Server.objects.count() == 1


def test_a_change_keeps_a_blank_ami_secret_removes_none_and_can_make_a_new_iax_secret():
    server = server_create(name="branch-1", ami_host="192.0.2.10", ami_secret=AMI_SECRET)
    iax = server.iax_secret
    server = server_update(server=server, ami_secret="", ami_username="portal")
    assert (server.ami_secret, server.ami_username, server.iax_secret) == (AMI_SECRET, "portal", iax)
    # The saved secret is never sent to an address it was not typed for: a new host asks for it.
    with pytest.raises(ValidationError) as refused:
        server_update(server=server, ami_secret="", ami_host="pbx2.example.net")
    assert "Type the AMI secret again" in _messages(refused.value)["ami_secret"]
    server = server_update(server=server, ami_secret="Other-Secret-1", ami_host="pbx2.example.net")
    assert (server.ami_secret, server.ami_host) == ("Other-Secret-1", "pbx2.example.net")
    server = server_update(server=server, ami_secret=None, new_iax_secret=True)
    assert server.ami_secret == ""
    assert server.iax_secret != iax and len(server.iax_secret) >= 32


def test_a_change_from_an_old_copy_is_refused():
    server = server_create(name="branch-1", ami_host="192.0.2.10")
    old = server_version(server)
    server_update(server=server, ami_host="10.0.0.9", expected_version=old)
    with pytest.raises(StaleVersion):
        server_update(server=server, ami_host="10.0.0.10", expected_version=old)


def test_server_changes_reach_the_boundary():
    """servers_changed() is announced (the outbox records it once helper A's recorder knows it)."""
    from directory import announce

    seen = []

    class Spy:
        def servers_changed(self):
            seen.append(1)

        def changed(self, **kwargs): ...

    announce.subscribe(spy := Spy())
    try:
        server = server_create(name="branch-1", ami_host="192.0.2.10")
        server_update(server=server, ami_host="10.0.0.3")
        server_set_default(server=server)
        server_set_default(server=Server.objects.get(name="main"))
        server_delete(server=server)
    finally:
        announce._recorders.remove(spy)
    assert len(seen) == 5


def test_the_default_server_and_a_server_in_use_are_not_removed():
    main = default()
    with pytest.raises(ValidationError, match="default server"):
        server_delete(server=main)
    branch = server_create(name="branch-1", ami_host="192.0.2.10")
    create_on(
        create=extension_create,
        server="branch-1",
        extension="2001",
        name="Ann",
        tech="pjsip",
    )
    with pytest.raises(ValidationError, match="1 user and 1 device: move them"):
        server_delete(server=branch)
    assert Server.objects.filter(name="branch-1").exists()


def test_the_last_server_is_not_removed_even_when_not_the_default():
    Server.objects.update(is_default=False)
    with pytest.raises(ValidationError, match="last server"):
        server_delete(server=Server.objects.get())


def test_making_a_server_the_default_keeps_exactly_one():
    branch = server_create(name="branch-1", ami_host="192.0.2.10")
    server_set_default(server=branch)
    assert list(Server.objects.filter(is_default=True).values_list("name", flat=True)) == ["branch-1"]
    assert default() == branch
    server_delete(server=Server.objects.get(name="main"))
    assert Server.objects.count() == 1


def test_a_new_extension_lands_on_the_server_named_with_its_device():
    server_create(name="branch-1", ami_host="192.0.2.10")
    user = create_on(
        create=extension_create,
        server="branch-1",
        extension="2001",
        name="Ann",
        tech="pjsip",
    )
    assert user.server.name == "branch-1"
    assert Device.objects.get(pk="2001").server.name == "branch-1"
    # Its creation and the server it lands on are one entry in the audit log.
    leads = Entry.objects.filter(lead=True).exclude(object_repr="branch-1")
    assert leads.count() == 1


def test_an_unknown_server_is_a_clear_error_and_creates_nothing():
    with pytest.raises(ValidationError) as refused:
        create_on(create=user_create, server="nowhere", extension="2001", name="Ann")
    assert "No server named nowhere. Servers: main." in _messages(refused.value)["server"]
    assert not PbxUser.objects.exists()


def test_a_device_goes_where_its_default_user_lives_and_is_refused_elsewhere():
    server_create(name="branch-1", ami_host="192.0.2.10")
    server_create(name="branch-2", ami_host="192.0.2.10")
    ann = create_on(create=user_create, server="branch-1", extension="2001", name="Ann")
    phone = create_on(create=device_create, id="3001", tech="pjsip", default_user=ann)
    assert phone.server.name == "branch-1"
    with pytest.raises(ValidationError, match="a device's users are on its server"):
        create_on(create=device_create, server="branch-2", id="3002", tech="pjsip", default_user=ann)


def test_with_no_server_named_everything_stays_on_the_default():
    user = create_on(create=extension_create, extension="2001", name="Ann", tech="pjsip")
    assert user.server == default()
    assert not Entry.objects.filter(action="changed").exists()


def test_an_update_naming_the_users_own_server_moves_nothing():
    server_create(name="branch-1", ami_host="192.0.2.10")
    user = create_on(create=user_create, server="branch-1", extension="2001", name="Ann")
    updated = update_on(update=user_update, user=user, server="branch-1", name="Ann B")
    assert (updated.name, updated.server.name) == ("Ann B", "branch-1")


def test_a_server_other_than_the_default_needs_its_own_ami_host():
    """Blank connection fields are this host's settings: only the default server leans on them."""
    with pytest.raises(ValidationError) as refused:
        server_create(name="branch-1")
    assert "ami_host" in _messages(refused.value)
    assert not Server.objects.filter(name="branch-1").exists()


def test_a_server_keeps_its_name():
    """Its queue and the other servers' trunk to it are named after it."""
    server = server_create(name="branch-1", ami_host="192.0.2.10")
    with pytest.raises(ValidationError) as refused:
        server_update(server=server, name="north")
    assert "cannot change" in _messages(refused.value)["name"]
    server.refresh_from_db()
    assert (server.name, server.queue) == ("branch-1", "pbx.branch-1")
    # Its own name again is no change.
    assert server_update(server=server, name="branch-1").name == "branch-1"


def test_the_list_counts_users_and_devices_each_on_their_own():
    from directory.servers.selectors import server_list

    branch = server_create(name="branch-1", ami_host="192.0.2.10")
    for n in range(3):
        extension_create(extension=f"20{n}", name=f"U{n}", tech="pjsip", server=branch)
    device_create(id="299", tech="pjsip", server=branch)
    counts = {s.name: (s.user_count, s.device_count) for s in server_list()}
    assert counts == {"main": (0, 0), "branch-1": (3, 4)}


def test_a_secret_typed_with_spaces_is_refused_not_trimmed():
    with pytest.raises(ValidationError) as refused:
        server_create(name="branch-1", ami_host="192.0.2.10", ami_secret=" Secret-1 ")
    assert "ami_secret" in _messages(refused.value)


def test_a_server_with_carrier_trunks_is_not_removed():
    from directory.connectivity.services import trunk_create, trunk_update

    branch = server_create(name="branch-1", ami_host="192.0.2.10")
    trunk = trunk_create(name="carrier", tech="pjsip", host="sip.example.net", server="branch-1")
    assert trunk.server == branch
    with pytest.raises(ValidationError, match="still has 1 trunk: move"):
        server_delete(server=branch)
    trunk_update(trunk=trunk, server=default())
    server_delete(server=branch)
    assert not Server.objects.filter(name="branch-1").exists()
