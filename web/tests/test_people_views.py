"""The People page: portal accounts and their role, added, changed and deactivated by administrators
and recorded; and the 403 page, which keeps the menu and says why."""

import pytest
from django.contrib.auth.models import User

from audit.models import Entry
from portal.people import role_of

pytestmark = pytest.mark.django_db

PASSWORD = "Plenty-of-letters-42"


def _logs_in(client, username: str, password: str) -> bool:
    response = client.post("/login/", {"username": username, "password": password})
    return response.status_code == 302 and "/login/" not in response["Location"]


def _add(client, **fields):
    data = {"username": "pat", "name": "Pat Jones", "email": "pat@example.com", "role": "viewer", **fields}
    return client.post("/people/", data)


def test_the_menu_links_the_people_page_for_administrators_only(administrator_client, viewer_client):
    assert 'href="/people/"' in administrator_client.get("/extensions/").content.decode()
    assert 'href="/people/"' not in viewer_client.get("/extensions/").content.decode()


def test_viewers_and_people_without_a_role_are_refused(viewer_client, client):
    from web.testing.personas import no_role

    assert viewer_client.get("/people/").status_code == 403
    assert viewer_client.post("/people/", {"username": "x", "role": "administrator"}).status_code == 403
    client.force_login(no_role())
    assert client.get("/people/").status_code == 403
    assert not User.objects.filter(username="x").exists()


def test_an_administrator_adds_a_person_with_a_generated_password_shown_once(administrator_client, client):
    response = _add(administrator_client)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = response.context["made"]["password"]
    assert len(password) >= 16 and password in response.content.decode()
    pat = User.objects.get(username="pat")
    assert (pat.get_full_name(), pat.email, role_of(pat)) == ("Pat Jones", "pat@example.com", "viewer")
    assert password not in administrator_client.get("/people/").content.decode()
    assert _logs_in(client, "pat", password)


def test_a_typed_password_is_checked_and_never_shown(administrator_client):
    refused = _add(administrator_client, password="1234")
    assert refused.status_code == 200 and not User.objects.filter(username="pat").exists()
    assert "password" in refused.context["form"].errors
    response = _add(administrator_client, password=PASSWORD, role="administrator")
    assert PASSWORD not in response.content.decode()
    assert role_of(User.objects.get(username="pat")) == "administrator"


def test_a_login_name_in_use_is_refused_next_to_its_field(administrator_client):
    _add(administrator_client)
    response = _add(administrator_client, username="PAT")
    assert "already taken" in " ".join(response.context["form"].errors["username"])


def test_a_role_is_changed_and_a_person_deactivated_then_activated(administrator_client, client):
    _add(administrator_client, password=PASSWORD)
    pat = User.objects.get(username="pat")
    administrator_client.post(f"/people/{pat.pk}/role/", {"role": "administrator"})
    assert role_of(User.objects.get(pk=pat.pk)) == "administrator"
    administrator_client.post(f"/people/{pat.pk}/active/", {"active": "0"})
    assert not User.objects.get(pk=pat.pk).is_active
    assert not _logs_in(client, "pat", PASSWORD)
    administrator_client.post(f"/people/{pat.pk}/active/", {"active": "1"})
    assert _logs_in(client, "pat", PASSWORD)


def test_nobody_deactivates_themselves_or_the_last_administrator(administrator_client, administrator_user):
    me = administrator_user
    response = administrator_client.post(f"/people/{me.pk}/active/", {"active": "0"}, follow=True)
    assert "cannot deactivate yourself" in response.content.decode()
    response = administrator_client.post(f"/people/{me.pk}/role/", {"role": "viewer"}, follow=True)
    assert "make another administrator first" in response.content.decode()
    assert User.objects.get(pk=me.pk).is_active and role_of(User.objects.get(pk=me.pk)) == "administrator"


def test_every_change_is_in_the_audit_log_without_the_password(administrator_client):
    response = _add(administrator_client)
    password = response.context["made"]["password"]
    pat = User.objects.get(username="pat")
    administrator_client.post(f"/people/{pat.pk}/role/", {"role": "administrator"})
    administrator_client.post(f"/people/{pat.pk}/active/", {"active": "0"})
    records = Entry.objects.filter(object_type="person", object_id=str(pat.pk)).order_by("id")
    assert [(e.action, e.person) for e in records] == [("created", "alice-admin")] + [
        ("changed", "alice-admin")
    ] * 2
    created, role, deactivated = records
    assert created.changes["password"] == "changed" and created.changes["groups"] == [None, ["PBX viewers"]]
    assert role.changes["groups"] == [["PBX viewers"], ["PBX administrators"]]
    assert deactivated.changes["is_active"] == [True, False]
    text = "".join(repr(e.changes) for e in Entry.objects.all())
    assert password not in text


# --- The 403 page -------------------------------------------------------------------------


def test_a_refused_page_keeps_the_menu_and_says_why(viewer_client):
    response = viewer_client.get("/audit/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Viewers can read but not change: ask an administrator." in html
    assert 'href="/extensions/"' in html and "Sign out" in html  # the menu and the account


def test_a_refused_change_says_why_too(viewer_client):
    response = viewer_client.post("/extensions/add/", {})
    assert response.status_code == 403
    assert "Viewers can read but not change" in response.content.decode()


def test_someone_without_a_role_is_told_so_and_offered_no_menu(client):
    from web.testing.personas import no_role

    client.force_login(no_role())
    response = client.get("/extensions/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your account has no PBX role" in html and "no PBX role" in html
    assert 'href="/extensions/"' not in html and "Sign out" in html
