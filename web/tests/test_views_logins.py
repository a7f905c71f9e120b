"""Logins are throttled per account and address; administrators see lock-outs and lift them."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from audit.models import Entry
from portal.roles import ADMINISTRATORS, ensure_roles

pytestmark = pytest.mark.django_db

RIGHT = "Right-pass-8231"
ATTACKER = "203.0.113.5"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ana(db):
    ensure_roles()
    user = User.objects.create_user("ana", password=RIGHT)
    user.groups.add(Group.objects.get(name=ADMINISTRATORS))
    return user


def log_in(client, password, address=ATTACKER, username="ana"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.slow
def test_after_forty_wrong_passwords_the_right_one_is_refused(client, ana):
    for _ in range(40):
        assert log_in(client, "guess").status_code in (200, 429)
    response = log_in(client, RIGHT)
    assert response.status_code == 429
    assert b"Too many wrong passwords" in response.content
    assert not logged_in(client)


def test_a_few_mistakes_do_not_lock_anyone_out(client, ana, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "typo")
    assert log_in(client, RIGHT).status_code == 302
    assert logged_in(client)


@pytest.mark.slow
def test_the_lock_out_holds_only_that_account_from_that_address(client, ana):
    User.objects.create_user("bob", password=RIGHT)
    for _ in range(10):
        log_in(client, "guess")
    assert log_in(Client(), RIGHT, address="198.51.100.7").status_code == 302
    assert log_in(Client(), RIGHT, username="bob").status_code == 302
    assert log_in(client, RIGHT).status_code == 429


def test_the_failure_limit_is_a_setting(client, ana, settings):
    settings.AXES_FAILURE_LIMIT = 2
    log_in(client, "one")
    log_in(client, "two")
    assert log_in(client, RIGHT).status_code == 429


@pytest.mark.slow
def test_an_administrator_sees_the_lock_out_and_lifts_it(client, ana, administrator_client):
    for _ in range(10):
        log_in(client, "guess")
    page = administrator_client.get("/logins/")
    assert page.status_code == 200
    assert b"ana" in page.content and ATTACKER.encode() in page.content
    [lockout] = page.context["lockouts"]
    response = administrator_client.post("/logins/clear/", {"attempt": lockout.pk})
    assert response.status_code == 302
    assert not administrator_client.get("/logins/").context["lockouts"]
    assert log_in(client, RIGHT).status_code == 302
    assert logged_in(client)


@pytest.mark.slow
def test_viewers_neither_see_nor_lift_lock_outs(viewer_client, client, ana):
    for _ in range(10):
        log_in(client, "guess")
    assert viewer_client.get("/logins/").status_code == 403
    assert viewer_client.post("/logins/clear/", {"attempt": "1"}).status_code == 403
    assert log_in(client, RIGHT).status_code == 429


@pytest.mark.slow
def test_lifting_a_login_lock_out_is_in_the_audit_log(client, ana, administrator_client):
    for _ in range(10):
        log_in(client, "guess")
    [lockout] = administrator_client.get("/logins/").context["lockouts"]
    administrator_client.post("/logins/clear/", {"attempt": lockout.pk})
    [entry] = Entry.objects.filter(action="unlocked")
    assert (entry.via, entry.person, entry.object_type, entry.object_id) == (
        "portal",
        "alice-admin",
        "person",
        "ana",
    )
    assert entry.object_repr == f"ana from {ATTACKER}"
    assert entry.changes == {"failed attempts": [10, 0]}


PROXY = "10.0.0.2"


def through_the_proxy(client, password, client_address, forwarded_by_client=""):
    """A login as the proxy passes it on: it connects itself, and appends the address the
    request came from to whatever X-Forwarded-For the client sent (nginx's
    $proxy_add_x_forwarded_for)."""
    forwarded = f"{forwarded_by_client}, {client_address}" if forwarded_by_client else client_address
    return client.post(
        "/login/",
        {"username": "ana", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.slow
def test_behind_the_proxy_a_lock_out_holds_the_client_not_everyone_behind_the_proxy(settings, ana):
    settings.PBXADMIN_BEHIND_PROXY = True
    attacker, colleague = Client(), Client()
    for n in range(10):
        # Whatever the attacker writes into X-Forwarded-For, the proxy's own entry is last.
        through_the_proxy(attacker, "guess", "203.0.113.5", forwarded_by_client=f"198.51.100.{n}")
    assert (
        through_the_proxy(attacker, RIGHT, "203.0.113.5", forwarded_by_client="192.0.2.1").status_code == 429
    )
    assert through_the_proxy(colleague, RIGHT, "203.0.113.9").status_code == 302
    assert logged_in(colleague)


@pytest.mark.slow
def test_behind_the_proxy_the_logins_page_names_the_client(settings, ana, administrator_client):
    settings.PBXADMIN_BEHIND_PROXY = True
    for _ in range(10):
        through_the_proxy(Client(), "guess", "203.0.113.5")
    [lockout] = administrator_client.get("/logins/").context["lockouts"]
    assert lockout.ip_address == "203.0.113.5"


def test_not_behind_a_proxy_a_forwarded_address_is_not_believed(settings, ana):
    """A client that reaches the app directly could write any X-Forwarded-For."""
    settings.PBXADMIN_BEHIND_PROXY = False
    attacker = Client()
    for n in range(10):
        through_the_proxy(attacker, "guess", f"198.51.100.{n}")
    assert through_the_proxy(attacker, RIGHT, "198.51.100.77").status_code == 429
