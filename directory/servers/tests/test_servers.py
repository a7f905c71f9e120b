"""The servers foundation: the `main` server the migration makes, the default, and current()."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from directory.devices.models import Device
from directory.servers.current import current, default, default_id, using
from directory.servers.models import Server
from directory.users.models import PbxUser


@pytest.mark.django_db
def test_the_migration_made_one_default_server_named_main_with_blank_connection_fields():
    main = Server.objects.get()
    assert (main.name, main.is_default, main.queue) == ("main", True, "pbx.main")
    assert (
        main.ami_host,
        main.ami_port,
        main.ami_username,
        main.ami_secret,
        main.conf_dir,
        main.iax_host,
    ) == (
        "",
        None,
        "",
        "",
        "",
        "",
    )
    assert main.iax_port == 4569
    assert len(main.iax_secret) >= 32


@pytest.mark.django_db
def test_users_and_devices_land_on_the_default_server():
    user = PbxUser.objects.create(extension="1000", name="Ann")
    device = Device.objects.create(id="1000", tech="pjsip", dial="PJSIP/1000", user=user)
    assert user.server == device.server == default()
    assert default_id() == default().pk


@pytest.mark.django_db
def test_a_server_in_use_keeps_its_users():
    branch = Server.objects.create(name="branch-1")
    user = PbxUser.objects.create(extension="2000", name="Bob", server=branch)
    with pytest.raises(Exception, match="protected"):
        branch.delete()
    assert PbxUser.objects.get(pk="2000").server == branch
    assert user.server.queue == "pbx.branch-1"


@pytest.mark.django_db
def test_only_one_server_is_the_default():
    with pytest.raises(IntegrityError), transaction.atomic():
        Server.objects.create(name="other", is_default=True)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Main", "1st", "a_b", "x" * 33, "", "a b", "a;b"])
def test_a_server_name_is_a_lowercase_slug(name):
    with pytest.raises(ValidationError) as refused:
        Server(name=name).full_clean()
    assert "name" in refused.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("ami_host", "pbx;evil"),
        ("ami_host", "[::1]"),
        ("ami_username", "a\nAction: Originate"),
        ("ami_secret", "has space"),
        ("conf_dir", "relative/dir"),
        ("conf_dir", "/etc/../root"),
        ("iax_host", "a b"),
    ],
)
def test_connection_fields_refuse_what_could_inject(field, value):
    with pytest.raises(ValidationError) as refused:
        Server(name="ok", **{field: value}).full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_current_is_the_default_outside_using_and_the_named_server_inside():
    branch = Server.objects.create(name="branch-1")
    other = Server.objects.create(name="branch-2")
    assert current() == default()
    with using(branch):
        assert current() == branch
        with using(other):
            assert current() == other
        assert current() == branch
    assert current() == default()


@pytest.mark.django_db
def test_current_is_per_thread():
    branch = Server.objects.create(name="branch-1")
    seen = []
    with using(branch):
        thread = threading.Thread(target=lambda: seen.append(_current_name()))
        thread.start()
        thread.join()
        assert current() == branch
    assert seen == ["main"]


def _current_name():
    from django.db import connection

    try:
        return current().name
    finally:
        connection.close()


@pytest.mark.django_db
def test_the_default_is_made_again_when_a_flush_removed_it():
    Server.objects.all().delete()
    made = default()
    assert (made.name, made.is_default) == ("main", True)
    assert default() == made
