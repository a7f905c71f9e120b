"""Who is recorded for each entry point: a page, a command, a phone over FastAGI, an import job, the admin."""

import getpass

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from asterisk.testing.fastagi import FakeAsterisk
from audit.actors import phone
from audit.models import HIDDEN_CHANGE, Action, ObjectType, Via
from audit.tests.helpers import entries, raw_table_text
from bulk.jobs import job_check_run, job_confirm, job_create, job_run
from directory.devices.models import Device
from directory.devices.selectors import device_of_channel
from directory.devices.services import device_create
from directory.users.extensions import extension_create
from web.testing.forms import form_post_data


@pytest.mark.slow
@pytest.mark.django_db
def test_a_page_records_the_person_logged_in(administrator_client, committed):
    committed(extension_create, extension="1000", name="John Doe", tech="pjsip")
    data = form_post_data(administrator_client.get("/extensions/1000/"))
    data.update({"name": "John Smith", "secret": ""})
    assert administrator_client.post("/extensions/1000/", data).status_code == 302
    (entry,) = entries(action=Action.CHANGED, object_type=ObjectType.USER)
    assert (entry.via, entry.person, entry.detail) == (Via.PORTAL, "alice-admin", "")
    assert entry.changes == {"name": ["John Doe", "John Smith"]}


@pytest.mark.django_db
def test_a_command_records_its_name_and_the_os_user(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("extension,name,tech\n1000,Ann,pjsip\n1001,Bob,sip\n")
    call_command("import_extensions", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115
    created = entries(action=Action.CREATED)
    assert len(created) == 6
    assert {(e.via, e.person, e.detail) for e in created} == {
        (Via.COMMAND, getpass.getuser(), "manage.py import_extensions")
    }
    (imported,) = entries(action=Action.IMPORTED)
    assert imported.object_repr == str(path) and imported.changes == {"create": 2}


def _confirmed_job(administrator_user, filename: str, text: str):
    job = job_create(
        kind="extensions", filename=filename, text=text, replace=True, created_by=administrator_user
    )
    job = job_check_run(job.pk)
    job_confirm(job=job, replace=True, weak_secrets="", change_secrets=False)
    return job


@pytest.mark.django_db
def test_an_import_job_records_the_job_its_user_and_every_object(administrator_user):
    text = "extension,name,tech,password\n1000,Ann,pjsip,4711\n"
    job = _confirmed_job(administrator_user, "staff.csv", text)
    job_run(str(job.pk))
    made = entries(action=Action.CREATED)
    assert [e.object_type for e in made] == ["user", "device", "endpoint"]
    assert {(e.via, e.person, e.detail) for e in made} == {
        (Via.IMPORT, "alice-admin", f"import job {job.pk} (staff.csv)")
    }
    assert made[0].changes["password"] == HIDDEN_CHANGE
    (imported,) = entries(action=Action.IMPORTED)
    assert (imported.object_type, imported.object_id, imported.object_repr) == (
        "import",
        str(job.pk),
        "staff.csv",
    )
    assert "4711" not in raw_table_text()


@pytest.mark.django_db
def test_a_refused_import_records_nothing(administrator_user):
    text = "extension,name,tech\n1000,Ann,pjsip\n10x1,Typo,sip\n"
    job = _confirmed_job(administrator_user, "bad.csv", text)
    job_run(str(job.pk))
    assert entries() == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_phone_over_fastagi_is_recorded_with_its_device(agi_port, office):
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="1000", digits=["4711"]).run()
    assert "STREAM FILE agent-loginok" in " ".join(commands)
    (entry,) = entries(action=Action.LOGGED_IN)
    assert (entry.via, entry.person, entry.detail) == (Via.PHONE, "", "phone on device 3001")
    assert (entry.object_type, entry.object_id, entry.changes["user"]) == ("device", "3001", ["1001", "1000"])
    assert Device.objects.get(pk="3001").user_id == "1000"
    FakeAsterisk(agi_port, "hotdesk-logout", "3001").run()
    (logout,) = entries(action=Action.LOGGED_OUT)
    assert logout.detail == "phone on device 3001"


@pytest.mark.django_db
def test_the_phone_is_the_device_of_the_calling_channel_not_what_the_caller_id_claims():
    dahdi = device_create(id="2212", tech="dahdi", settings={"channel": "3"})
    assert phone(device_of_channel("DAHDI/3-1")).detail == "phone on device 2212"
    assert phone(device_of_channel("garbage\nchannel")).detail == "phone on an unknown channel"
    assert dahdi.dial == "DAHDI/3"


@pytest.mark.django_db
def test_logging_in_and_out_of_the_portal_is_recorded(administrator_user):
    administrator_user.set_password("Audit-test-pass-73")
    administrator_user.save()
    client = Client()
    response = client.post("/login/", {"username": "alice-admin", "password": "Audit-test-pass-73"})
    assert response.status_code == 302
    client.post("/logout/")
    login, logout = entries(object_type=ObjectType.PERSON)
    assert (login.action, login.person, login.object_repr) == (Action.LOGGED_IN, "alice-admin", "alice-admin")
    assert (logout.action, logout.person) == (Action.LOGGED_OUT, "alice-admin")


@pytest.fixture
def superuser_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("root-admin", password="Unused-pass-99"))
    return client


def test_the_django_admin_records_people_groups_and_their_permissions(superuser_client):
    response = superuser_client.post("/admin/auth/group/add/", {"name": "Night shift", "permissions": []})
    assert response.status_code == 302
    group = Group.objects.get(name="Night shift")
    person = User.objects.create_user("bob", password="Unused-pass-98")
    response = superuser_client.post(
        f"/admin/auth/user/{person.pk}/change/",
        {
            "username": "bob",
            "is_active": "on",
            "is_staff": "on",
            "groups": [group.pk],
            "date_joined_0": "2024-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (made,) = entries(object_type=ObjectType.GROUP, action=Action.CREATED)
    assert (made.person, made.changes) == ("root-admin", {"name": [None, "Night shift"]})
    (changed,) = entries(object_type=ObjectType.PERSON, action=Action.CHANGED)
    assert changed.person == "root-admin" and changed.object_repr == "bob"
    assert changed.changes["is_staff"] == [False, True]
    assert changed.changes["groups"] == [[], ["Night shift"]]


def test_a_password_set_in_the_admin_is_recorded_only_as_changed(superuser_client):
    person = User.objects.create_user("bob", password="Unused-pass-98")
    response = superuser_client.post(
        f"/admin/auth/user/{person.pk}/password/",
        {"password1": "Brand-new-pass-42", "password2": "Brand-new-pass-42", "usable_password": "true"},
    )
    assert response.status_code == 302
    (entry,) = entries(object_type=ObjectType.PERSON, action=Action.CHANGED)
    assert entry.changes == {"password": HIDDEN_CHANGE}
    User.objects.get(pk=person.pk).delete()
    assert "Brand-new-pass-42" not in raw_table_text() and "pbkdf2" not in raw_table_text()


def test_deleting_a_person_in_the_admin_is_recorded(superuser_client):
    person = User.objects.create_user("bob", password="Unused-pass-98")
    response = superuser_client.post(f"/admin/auth/user/{person.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    (entry,) = entries(object_type=ObjectType.PERSON, action=Action.DELETED)
    assert (entry.object_repr, entry.person) == ("bob", "root-admin")
