"""The Connectivity pages through the test client: trunks, outbound routes, inbound routes, for
an administrator, a viewer and nobody; secrets write-only; what the services refuse, shown."""

import re

import pytest
from django.utils import timezone

from asterisk.models import RegistrationState, TrunkRegistration
from audit.models import Entry
from directory.connectivity.models import InboundRoute, OutboundRoute, Trunk
from directory.connectivity.services import (
    inbound_route_create,
    outbound_route_create,
    trunk_create,
)
from directory.users.services import user_create
from web.testing.forms import form_post_data

pytestmark = pytest.mark.django_db

TRUNK_SECRET = "Carrier7Secret42x"
ROUTE_PIN = "86420975"


@pytest.fixture
def carrier(committed):
    return committed(
        trunk_create,
        name="carrier",
        tech="pjsip",
        host="127.0.0.1",
        port=5099,
        username="office",
        secret=TRUNK_SECRET,
        register=True,
        outbound_cid="5551000",
    )


@pytest.fixture
def backup(committed):
    return committed(trunk_create, name="backup", tech="sip", host="192.0.2.7")


@pytest.fixture
def national(committed, carrier, backup):
    return committed(
        outbound_route_create,
        name="National",
        patterns=[{"prepend": "", "prefix": "9", "match": "NXXNXXXXXX", "callerid": ""}],
        trunks=[carrier, backup],
        pin=ROUTE_PIN,
    )


@pytest.fixture
def ann(committed):
    return committed(user_create, extension="2001", name="Ann", voicemail="default", vm_pin="4321")


# --- Roles ------------------------------------------------------------------

PAGES = ["/connectivity/trunks/", "/connectivity/outbound/", "/connectivity/inbound/"]


@pytest.mark.parametrize("url", PAGES)
def test_every_list_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("url", PAGES)
def test_viewers_read_the_lists_without_an_add_button(viewer_client, url):
    response = viewer_client.get(url)
    assert response.status_code == 200
    assert b"/add/" not in response.content


def test_the_menu_offers_connectivity(administrator_client):
    page = administrator_client.get("/extensions/").content.decode()
    assert "Connectivity" in page
    for url in PAGES:
        assert f'href="{url}"' in page


@pytest.mark.slow
def test_viewers_cannot_add_change_reorder_or_delete(viewer_client, carrier, national, ann):
    inbound = inbound_route_create(did="5551234", destination="user", user=ann)
    for url in (
        "/connectivity/trunks/add/?tech=pjsip",
        "/connectivity/outbound/add/",
        "/connectivity/inbound/add/",
    ):
        assert viewer_client.get(url).status_code == 403
    assert viewer_client.post(f"/connectivity/trunks/{carrier.pk}/", {"host": "evil"}).status_code == 403
    assert viewer_client.post(f"/connectivity/trunks/{carrier.pk}/delete/").status_code == 403
    assert (
        viewer_client.post(f"/connectivity/outbound/{national.pk}/move/", {"direction": "up"}).status_code
        == 403
    )
    assert viewer_client.post(f"/connectivity/outbound/{national.pk}/", {"name": "x"}).status_code == 403
    assert viewer_client.post(f"/connectivity/inbound/{inbound.pk}/delete/").status_code == 403
    assert Trunk.objects.get(pk=carrier.pk).host == "127.0.0.1"
    assert OutboundRoute.objects.filter(name="National").exists()
    assert InboundRoute.objects.filter(pk=inbound.pk).exists()


def test_a_post_without_the_csrf_token_is_refused(administrator_user, carrier):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator_user)
    response = client.post(f"/connectivity/trunks/{carrier.pk}/delete/")
    assert response.status_code == 403
    assert Trunk.objects.filter(pk=carrier.pk).exists()


# --- Trunks -----------------------------------------------------------------


def test_an_administrator_adds_a_trunk_with_a_typed_secret(administrator_client, conf_dir, committed):
    assert b"?tech=iax2" in administrator_client.get("/connectivity/trunks/add/").content
    data = form_post_data(administrator_client.get("/connectivity/trunks/add/?tech=pjsip"))
    data.update(
        {
            "name": "voipco",
            "host": "sip.example.net",
            "username": "acct77",
            "secret": TRUNK_SECRET,
            "register": "on",
            "rule_1_prepend": "0044",
            "rule_1_prefix": "0",
            "rule_1_match": "NXXXXXXXX",
        }
    )
    response = committed(administrator_client.post, "/connectivity/trunks/add/?tech=pjsip", data)
    assert response.status_code == 302, response.context["form"].errors
    trunk = Trunk.objects.get(name="voipco")
    assert (trunk.tech, trunk.secret, trunk.register) == ("pjsip", TRUNK_SECRET, True)
    assert trunk.dial_rules == [{"prepend": "0044", "prefix": "0", "match": "NXXXXXXXX"}]
    entry = Entry.objects.get(object_type="trunk", action="created")
    assert (entry.via, entry.person) == ("portal", "alice-admin")
    assert TRUNK_SECRET not in str(entry.changes)


def test_the_trunk_secret_is_never_sent_back(administrator_client, viewer_client, carrier):
    for client in (administrator_client, viewer_client):
        for url in (
            "/connectivity/trunks/",
            f"/connectivity/trunks/{carrier.pk}/",
            f"/connectivity/trunks/{carrier.pk}/preview/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert TRUNK_SECRET not in response.content.decode(), url


def test_a_blank_secret_keeps_the_saved_one_and_a_typed_one_replaces_it(
    administrator_client, carrier, committed
):
    url = f"/connectivity/trunks/{carrier.pk}/"
    data = {**form_post_data(administrator_client.get(url)), "host": "10.0.0.9"}
    assert "secret" not in data or data["secret"] in ("", None)
    assert committed(administrator_client.post, url, data).status_code == 302
    trunk = Trunk.objects.get(pk=carrier.pk)
    assert (trunk.host, trunk.secret) == ("10.0.0.9", TRUNK_SECRET)
    data = {**form_post_data(administrator_client.get(url)), "secret": "Other9Secret55"}
    assert committed(administrator_client.post, url, data).status_code == 302
    assert Trunk.objects.get(pk=carrier.pk).secret == "Other9Secret55"


def test_the_services_refusals_show_next_to_the_fields(administrator_client, carrier):
    data = form_post_data(administrator_client.get("/connectivity/trunks/add/?tech=sip"))
    data.update({"name": "carrier", "host": "bad host;x", "rule_1_match": "1;Hangup"})
    response = administrator_client.post("/connectivity/trunks/add/?tech=sip", data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "already exists" in form.errors["name"][0]
    assert form.errors["host"]
    assert any(m.startswith("Dial-out rules: Rule 1, match:") for m in form.non_field_errors())
    assert Trunk.objects.count() == 1


def test_the_list_shows_each_trunks_registration(administrator_client, carrier, backup):
    TrunkRegistration.objects.create(
        tech="pjsip",
        host="127.0.0.1",
        port=5099,
        username="office",
        state=RegistrationState.REGISTERED,
        since=timezone.now(),
        updated_at=timezone.now(),
    )
    page = administrator_client.get("/connectivity/trunks/").content.decode()
    assert 'data-trunk-state="registered"' in page and "Registered" in page
    assert 'data-trunk-state="none"' in page  # backup does not register
    assert "Does not register" in page


def test_the_lists_marks_are_kept_current_from_a_json_of_marks(viewer_client, carrier, backup):
    response = viewer_client.get("/connectivity/trunks/states/")
    assert response["Cache-Control"] == "no-store"
    marks = response.json()["trunks"]
    assert 'data-trunk-state="unknown"' in marks[str(carrier.pk)]
    assert 'data-trunk-state="none"' in marks[str(backup.pk)]
    TrunkRegistration.objects.create(
        tech="pjsip",
        host="127.0.0.1",
        port=5099,
        username="office",
        state=RegistrationState.REJECTED,
        detail="Rejected",
        since=timezone.now(),
        updated_at=timezone.now(),
    )
    marks = viewer_client.get("/connectivity/trunks/states/").json()["trunks"]
    assert (
        'data-trunk-state="rejected"' in marks[str(carrier.pk)]
        and "Refused by the carrier" in marks[str(carrier.pk)]
    )
    assert TRUNK_SECRET not in str(marks)


def test_a_trunk_a_route_uses_is_not_deleted(administrator_client, carrier, national):
    response = administrator_client.post(f"/connectivity/trunks/{carrier.pk}/delete/", follow=True)
    assert "National" in response.content.decode()
    assert Trunk.objects.filter(pk=carrier.pk).exists()


def test_an_unused_trunk_is_deleted(administrator_client, committed, backup):
    assert administrator_client.get(f"/connectivity/trunks/{backup.pk}/delete/").status_code == 200
    response = committed(administrator_client.post, f"/connectivity/trunks/{backup.pk}/delete/")
    assert response["Location"] == "/connectivity/trunks/"
    assert not Trunk.objects.filter(pk=backup.pk).exists()


@pytest.mark.slow
def test_a_save_from_an_older_trunk_page_is_refused(
    administrator_client, second_administrator_client, committed, carrier
):
    url = f"/connectivity/trunks/{carrier.pk}/"
    page_a = form_post_data(administrator_client.get(url))
    page_b = form_post_data(second_administrator_client.get(url))
    assert committed(administrator_client.post, url, {**page_a, "host": "10.1.1.1"}).status_code == 302
    response = committed(second_administrator_client.post, url, {**page_b, "username": "other"})
    assert response.status_code == 200
    assert ("Host", "127.0.0.1", "10.1.1.1", None) in response.context["form"].conflict["changes"]
    assert Trunk.objects.get(pk=carrier.pk).username == "office"


# --- Outbound routes ----------------------------------------------------------


@pytest.mark.slow
def test_an_administrator_adds_a_route_with_patterns_and_a_trunk_sequence(
    administrator_client, committed, carrier, backup
):
    data = form_post_data(administrator_client.get("/connectivity/outbound/add/"))
    data.update(
        {
            "name": "International",
            "pattern_1_prefix": "9",
            "pattern_1_match": "00.",
            "pattern_2_prepend": "1",
            "pattern_2_match": "NXXNXXXXXX",
            "trunk_1": str(backup.pk),
            "trunk_2": str(carrier.pk),
            "pin": "2468",
        }
    )
    response = committed(administrator_client.post, "/connectivity/outbound/add/", data)
    assert response.status_code == 302, response.context["form"].errors
    route = OutboundRoute.objects.get(name="International")
    assert [t.name for t in route.trunk_sequence()] == ["backup", "carrier"]
    assert route.patterns == [
        {"prepend": "", "prefix": "9", "match": "00.", "callerid": ""},
        {"prepend": "1", "prefix": "", "match": "NXXNXXXXXX", "callerid": ""},
    ]
    assert route.pin == "2468"
    page = administrator_client.get(f"/connectivity/outbound/{route.pk}/").content.decode()
    assert "2468" not in page


def test_an_emergency_route_with_a_pin_is_refused_on_the_page(administrator_client, carrier):
    data = form_post_data(administrator_client.get("/connectivity/outbound/add/"))
    data.update(
        {
            "name": "Emergency",
            "pattern_1_match": "911",
            "trunk_1": str(carrier.pk),
            "emergency": "on",
            "pin": "1234",
        }
    )
    response = administrator_client.post("/connectivity/outbound/add/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["pin"] == ["An emergency route never asks for a PIN."]
    assert not OutboundRoute.objects.exists()


def test_routes_are_listed_in_order_and_moved(administrator_client, committed, carrier, national):
    local = committed(
        outbound_route_create,
        name="Local",
        patterns=[{"prepend": "", "prefix": "", "match": "NXXXXXX", "callerid": ""}],
        trunks=[carrier],
    )
    page = administrator_client.get("/connectivity/outbound/").content.decode()
    assert page.index('data-route="National"') < page.index('data-route="Local"')
    committed(administrator_client.post, f"/connectivity/outbound/{local.pk}/move/", {"direction": "up"})
    page = administrator_client.get("/connectivity/outbound/").content.decode()
    assert page.index('data-route="Local"') < page.index('data-route="National"')
    assert [r.name for r in OutboundRoute.objects.order_by("position")] == ["Local", "National"]


def test_the_route_pin_is_never_shown(administrator_client, viewer_client, national):
    for client in (administrator_client, viewer_client):
        for url in (
            "/connectivity/outbound/",
            f"/connectivity/outbound/{national.pk}/",
            f"/connectivity/outbound/{national.pk}/preview/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert ROUTE_PIN not in response.content.decode(), url


# --- Inbound routes -----------------------------------------------------------


def test_an_administrator_adds_an_inbound_route_to_a_user(administrator_client, committed, ann):
    data = form_post_data(administrator_client.get("/connectivity/inbound/add/"))
    data.update({"did": "5551234", "destination": "user", "user": "2001", "cid_name_prefix": "Sales: "})
    response = committed(administrator_client.post, "/connectivity/inbound/add/", data)
    assert response.status_code == 302, response.context["form"].errors
    route = InboundRoute.objects.get(did="5551234")
    assert (route.user_id, route.destination, route.cid_name_prefix) == ("2001", "user", "Sales:")


def test_inbound_routes_are_listed_most_specific_first(administrator_client, committed, ann):
    committed(inbound_route_create, did="", cid="", destination="hangup")
    committed(inbound_route_create, did="_555XXXX", destination="user", user=ann)
    committed(inbound_route_create, did="5551234", destination="voicemail", user=ann)
    page = administrator_client.get("/connectivity/inbound/").content.decode()
    listed = re.findall(r'<tr data-inbound="\d+">\s*<td><a [^>]*>([^<]*)</a>', page)
    assert listed == ["5551234", "_555XXXX", "any (catch-all)"]


def test_what_an_administrator_typed_is_escaped(administrator_client, committed, ann):
    route = committed(
        inbound_route_create, did="5550000", destination="user", user=ann, description="<b>Main</b> & co"
    )
    for url in ("/connectivity/inbound/", f"/connectivity/inbound/{route.pk}/"):
        page = administrator_client.get(url).content.decode()
        assert "<b>Main</b>" not in page and "&lt;b&gt;Main&lt;/b&gt; &amp; co" in page


def test_a_voicemail_route_needs_a_user_with_a_mailbox(administrator_client, committed):
    committed(user_create, extension="2002", name="Bo")
    data = form_post_data(administrator_client.get("/connectivity/inbound/add/"))
    data.update({"did": "5559999", "destination": "voicemail", "user": "2002"})
    response = administrator_client.post("/connectivity/inbound/add/", data)
    assert response.context["form"].errors["user"] == ["User 2002 has no voicemail."]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["trunks", "outbound", "inbound"])
def test_every_config_preview_opens(administrator_client, viewer_client, carrier, national, ann, kind):
    inbound = inbound_route_create(did="5551234", destination="user", user=ann)
    pk = {"trunks": carrier.pk, "outbound": national.pk, "inbound": inbound.pk}[kind]
    for client in (administrator_client, viewer_client):
        response = client.get(f"/connectivity/{kind}/{pk}/preview/")
        assert response.status_code == 200
        assert response.context["files"], "the preview shows some file's lines"


@pytest.mark.slow
def test_a_save_from_an_older_route_page_keeps_the_other_persons_patterns(
    administrator_client, second_administrator_client, committed, national
):
    url = f"/connectivity/outbound/{national.pk}/"
    page_a = form_post_data(administrator_client.get(url))
    page_b = form_post_data(second_administrator_client.get(url))
    assert (
        committed(administrator_client.post, url, {**page_a, "pattern_1_match": "NXXXXXX"}).status_code == 302
    )
    response = committed(second_administrator_client.post, url, {**page_b, "route_cid": "5551999"})
    assert response.status_code == 200
    assert ("1. Match pattern", "NXXNXXXXXX", "NXXXXXX", None) in response.context["form"].conflict["changes"]
    assert committed(second_administrator_client.post, url, form_post_data(response)).status_code == 302
    route = OutboundRoute.objects.get(pk=national.pk)
    assert (route.patterns[0]["match"], route.route_cid) == ("NXXXXXX", "5551999")
    assert route.pin == ROUTE_PIN, "a blank PIN box keeps the PIN"


def test_the_edit_pages_remove_a_route_pin_and_a_trunk_secret_when_asked(
    administrator_client, committed, national
):
    url = f"/connectivity/outbound/{national.pk}/"
    data = form_post_data(administrator_client.get(url))
    assert committed(administrator_client.post, url, data).status_code == 302
    assert OutboundRoute.objects.get(pk=national.pk).pin == ROUTE_PIN, "a blank keeps it"
    data = {**form_post_data(administrator_client.get(url)), "remove_pin": "on"}
    assert committed(administrator_client.post, url, data).status_code == 302
    assert OutboundRoute.objects.get(pk=national.pk).pin == ""

    # A trunk that registers keeps its secret: the service says why, next to the field.
    url = f"/connectivity/trunks/{national.trunk_sequence()[0].pk}/"
    data = {**form_post_data(administrator_client.get(url)), "remove_secret": "on"}
    assert "needs a username and a secret" in administrator_client.post(url, data).content.decode()
    data = {**form_post_data(administrator_client.get(url)), "remove_secret": "on", "register": ""}
    assert committed(administrator_client.post, url, data).status_code == 302
    assert Trunk.objects.get(name="carrier").secret == ""


def test_the_trunk_form_names_a_server_only_while_there_are_several(administrator_client, committed, carrier):
    from directory.servers.models import Server

    page = administrator_client.get(f"/connectivity/trunks/{carrier.pk}/")
    assert 'name="server"' not in page.content.decode()
    branch = Server.objects.create(name="branch", ami_host="10.0.0.2")
    data = form_post_data(administrator_client.get(f"/connectivity/trunks/{carrier.pk}/"))
    assert data["server"] == "main"
    data["server"] = "branch"
    response = committed(administrator_client.post, f"/connectivity/trunks/{carrier.pk}/", data)
    assert response.status_code == 302, response.context["form"].errors
    assert Trunk.objects.get(pk=carrier.pk).server == branch
