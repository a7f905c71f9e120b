"""API tokens: made and revoked on a page, kept as a hash, the only way into the API, throttled."""

import hashlib
import secrets
import threading
import time
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from api import throttling
from api.models import ApiToken
from api.tests.conftest import client_for
from api.tokens import token_create, token_revoke
from audit.models import Entry, ObjectType
from web.testing import personas
from web.testing.forms import form_post_data

pytestmark = pytest.mark.django_db


def test_a_token_is_kept_only_as_its_hash():
    token, raw = token_create(user=personas.viewer(), name="HR onboarding")
    stored = ApiToken.objects.values_list(flat=False).get(pk=token.pk)
    assert raw not in [str(v) for v in stored]
    assert token.secret_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith("pbx_" + token.prefix)


def _make_on_the_page(client, **fields):
    """Fill the form as shown (it carries the number that lets it be sent once) and send it."""
    data = form_post_data(client.get("/api-tokens/"))
    return client.post("/api-tokens/", {**data, **fields})


def test_the_page_shows_a_new_token_once_and_then_only_its_prefix(viewer_client):
    made = _make_on_the_page(viewer_client, name="helpdesk")
    raw = made.context["made"]["token"]
    assert raw in made.content.decode() and made["Cache-Control"] == "no-store"
    listed = viewer_client.get("/api-tokens/").content.decode()
    assert raw not in listed and ApiToken.objects.get().prefix in listed
    assert Entry.objects.filter(object_type=ObjectType.API_TOKEN, action="created").exists()


def test_sending_the_same_form_again_makes_no_second_token(viewer_client):
    data = form_post_data(viewer_client.get("/api-tokens/"))
    viewer_client.post("/api-tokens/", {**data, "name": "helpdesk"})
    again = viewer_client.post("/api-tokens/", {**data, "name": "helpdesk"})  # a reload
    assert again.status_code == 302 and ApiToken.objects.count() == 1


def test_the_menu_links_the_tokens_page(viewer_client):
    assert 'href="/api-tokens/"' in viewer_client.get("/api-tokens/").content.decode()


def test_a_revoked_token_no_longer_opens_the_api(viewer_client, viewer_api):
    assert viewer_api.get("/api/v1/extensions/").status_code == 200
    token = ApiToken.objects.get()
    assert viewer_client.post(f"/api-tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert viewer_api.get("/api/v1/extensions/").status_code == 401


def test_a_person_cannot_revoke_someone_elses_token_but_an_administrator_can(
    viewer_client, administrator_client
):
    other, _ = token_create(user=personas.no_role(), name="other")
    assert viewer_client.post(f"/api-tokens/{other.pk}/revoke/").status_code == 403
    assert administrator_client.post(f"/api-tokens/{other.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=other.pk).revoked_at is not None


def test_an_administrator_can_make_a_token_for_someone_else(administrator_client):
    viewer = personas.viewer()
    _make_on_the_page(administrator_client, name="for victor", person=viewer.pk)
    assert ApiToken.objects.get().user == viewer


def test_no_token_is_made_for_someone_with_no_pbx_role(administrator_client):
    nobody = personas.no_role()
    response = _make_on_the_page(administrator_client, name="for nobody", person=nobody.pk)
    assert "person" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_a_viewer_sees_only_their_own_tokens(viewer_client):
    token_create(user=personas.administrator(), name="the admin's")
    assert "the admin&#x27;s" not in viewer_client.get("/api-tokens/").content.decode()


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer pbx_not-a-real-token", "Token abc", "Bearer a b"])
def test_it_answers_401_without_a_valid_token(client, header):
    response = client.get("/api/v1/extensions/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_portal_session_does_not_open_the_api(administrator_client):
    """No session authentication: nothing to forge across sites."""
    assert administrator_client.post("/api/v1/sync/").status_code == 401


@pytest.fixture
def still_clock(monkeypatch):
    """12:00:20 for as long as the test runs: no window ends in the middle of it."""
    monkeypatch.setattr(throttling, "_now", lambda: 1_800_000_000.0 + 20)


def test_requests_beyond_the_rate_are_throttled_per_token(settings, admin_api, viewer_api, still_clock):
    settings.PBXADMIN_API_RATE = "3/minute"
    responses = [admin_api.get("/api/v1/sync/") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[-1]["Retry-After"] == "40", "the rest of the window"
    # Another token has its own allowance.
    assert viewer_api.get("/api/v1/sync/").status_code == 200


@pytest.mark.slow
def test_parallel_calls_cannot_exceed_the_rate(settings, still_clock):
    """Each count is one atomic step: two calls never both read 49 and both pass."""
    settings.PBXADMIN_API_RATE = "50/minute"
    request = SimpleNamespace(auth=SimpleNamespace(secret_hash=secrets.token_hex(32)))
    allowed = []

    def calls():
        for _ in range(25):
            allowed.append(throttling.PerTokenThrottle().allow_request(request, None))

    threads = [threading.Thread(target=calls) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 200 and allowed.count(True) == 50


def test_an_hourly_count_lasts_the_hour(settings, still_clock, monkeypatch):
    """The file cache's own increment reset an entry's expiry to 5 minutes."""
    settings.PBXADMIN_API_RATE = "2/hour"
    request = SimpleNamespace(auth=SimpleNamespace(secret_hash=secrets.token_hex(32)))
    throttle = throttling.PerTokenThrottle()
    assert throttle.allow_request(request, None) and throttle.allow_request(request, None)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 10 * 60)  # the cache's clock, 10 minutes on
    assert not throttle.allow_request(request, None)


def test_a_token_records_when_it_was_last_used(viewer_api):
    viewer_api.get("/api/v1/sync/")
    assert ApiToken.objects.get().last_used_at is not None


def test_a_token_of_an_inactive_person_is_refused(db):
    person = personas.viewer()
    api = client_for(person)
    person.is_active = False
    person.save()
    assert api.get("/api/v1/sync/").status_code == 401


def test_every_call_is_logged_with_whose_token_made_it(admin_api, anonymous_api, caplog):
    caplog.set_level("INFO", logger="api.access")
    admin_api.get("/api/v1/extensions/?number=1%0A2&include_secrets=true")
    anonymous_api.credentials(HTTP_AUTHORIZATION="Bearer pbx_wrong")
    anonymous_api.get("/api/v1/sync/")
    lines = [r.getMessage() for r in caplog.records if r.name == "api.access"]
    assert lines[0].startswith(
        "GET /api/v1/extensions/?number=1%0A2&include_secrets=true 400 by alice-admin (token "
    )
    assert lines[1] == "GET /api/v1/sync/ 401 by no valid token"
    assert all("\n" not in line for line in lines)


def test_a_call_refused_before_authentication_is_logged_without_a_500(anonymous_api, caplog):
    caplog.set_level("INFO", logger="api.access")
    anonymous_api.credentials(HTTP_AUTHORIZATION="Bearer pbx_nope")
    response = anonymous_api.get("/api/v1/users/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    logged = [r.getMessage() for r in caplog.records if r.name == "api.access"]
    assert logged == ["GET /api/v1/users/ 406 by no valid token"]


def test_every_entry_a_token_makes_names_who_made_the_token(administrator_client):
    """A token an administrator makes for someone else acts as that person: the log says who made it."""
    other = personas.make_persona(personas.ADMINISTRATORS, "bea-admin")
    made = _make_on_the_page(administrator_client, name="for bea", person=other.pk)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {made.context['made']['token']}")
    assert api.post("/api/v1/users/", {"extension": "2001", "name": "Ana"}, format="json").status_code == 201
    assert api.get("/api/v1/users/2001/?include_secrets=true").status_code == 200
    entries = Entry.objects.filter(via="api")
    assert {e.action for e in entries} == {"created", "exported"}
    assert all(e.person == "bea-admin" and e.detail.endswith(", made by alice-admin") for e in entries)


def test_a_token_made_by_its_owner_says_nothing_more(admin_api):
    assert (
        admin_api.post("/api/v1/users/", {"extension": "2001", "name": "Ana"}, format="json").status_code
        == 201
    )
    entry = Entry.objects.get(via="api")
    assert entry.detail.startswith("API token ") and "made by" not in entry.detail


def test_a_person_is_throttled_across_all_their_tokens(settings, still_clock):
    """Ten tokens were ten allowances: the person has one of their own too."""
    settings.PBXADMIN_API_RATE = "3/minute"
    settings.PBXADMIN_API_RATE_PER_PERSON = "4/minute"
    person = personas.administrator()
    first, second = client_for(person), client_for(person)
    assert [first.get("/api/v1/sync/").status_code for _ in range(3)] == [200, 200, 200]
    refused = [second.get("/api/v1/sync/") for _ in range(2)]
    assert [r.status_code for r in refused] == [200, 429]
    assert refused[-1]["Retry-After"] == "40"
    # Someone else's allowance is their own.
    assert client_for(personas.viewer()).get("/api/v1/sync/").status_code == 200


def test_a_person_holds_at_most_the_token_limit(settings):
    settings.PBXADMIN_API_TOKENS_PER_PERSON = 2
    person = personas.viewer()
    first, _ = token_create(user=person, name="one")
    token_create(user=person, name="two")
    with pytest.raises(ValidationError, match="2 active API tokens, the most one person may hold"):
        token_create(user=person, name="three")
    assert ApiToken.objects.filter(user=person).count() == 2
    token_revoke(token=first)
    token_create(user=person, name="three")  # a revoked token does not count


def test_the_page_says_when_the_token_limit_is_reached(settings, viewer_client):
    settings.PBXADMIN_API_TOKENS_PER_PERSON = 1
    _make_on_the_page(viewer_client, name="one")
    response = _make_on_the_page(viewer_client, name="two")
    assert "the most one person may hold" in response.content.decode()
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize(
    "query",
    [
        "?token={raw}",
        "?access_token={raw}&number=1",
        "?q=Bearer%20{raw}",
        "?number=1&{raw}=",
        "?api_key=not-ours",
    ],
)
def test_the_access_log_never_writes_a_token_from_the_query_string(admin_api, caplog, query):
    caplog.set_level("INFO", logger="api.access")
    raw = admin_api.raw_token
    admin_api.get("/api/v1/extensions/" + query.format(raw=raw))
    [line] = [r.getMessage() for r in caplog.records if r.name == "api.access"]
    assert raw not in line and raw[len("pbx_") :][:20] not in line and "not-ours" not in line
    assert line.startswith("GET /api/v1/extensions/?") and "[hidden]" in line
