"""The Extensions, Users and Devices lists at scale: filters, numbered pages, page size, numeric order,
the searched user choice, Delete on every row, one name per technology, the hot-desk action."""

import re

import pytest
from django.test import Client

from directory.devices.models import Device
from directory.devices.services import device_create, device_login
from directory.users.extensions import extension_create
from directory.users.services import user_create
from portal.mode import set_pbx_mode
from web.testing.personas import no_role
from web.testing.seed import seed_extensions

pytestmark = pytest.mark.django_db


def numbers(response) -> list[str]:
    return [getattr(row, "extension", None) or row.pk for row in response.context["page"]]


@pytest.fixture
def mixed(committed):
    for number, tech in (("5001", "pjsip"), ("818", "sip"), ("3299", "iax2"), ("40", "pjsip")):
        committed(extension_create, extension=number, name=f"Person {number}", tech=tech)
    committed(extension_create, extension="7000", name="Virtual", tech="custom", dial="Local/7000@x")


@pytest.mark.slow
def test_numbers_are_in_numeric_order_on_every_list(administrator_client, mixed, committed):
    assert numbers(administrator_client.get("/extensions/")) == ["40", "818", "3299", "5001", "7000"]
    assert numbers(administrator_client.get("/extensions/?sort=-extension")) == [
        "7000",
        "5001",
        "3299",
        "818",
        "40",
    ]
    set_pbx_mode(mode="deviceanduser")
    assert numbers(administrator_client.get("/users/")) == ["40", "818", "3299", "5001", "7000"]
    assert numbers(administrator_client.get("/devices/")) == ["40", "818", "3299", "5001", "7000"]


@pytest.mark.slow
def test_the_extensions_list_filters_by_technology_and_type(administrator_client, mixed):
    assert numbers(administrator_client.get("/extensions/?tech=pjsip")) == ["40", "5001"]
    assert numbers(administrator_client.get("/extensions/?tech=sip")) == ["818"]
    assert numbers(administrator_client.get("/extensions/?devicetype=adhoc")) == []
    assert len(numbers(administrator_client.get("/extensions/?devicetype=fixed"))) == 5
    # An unknown value shows everything rather than an error page.
    assert len(numbers(administrator_client.get("/extensions/?tech=bogus"))) == 5


def test_the_devices_list_filters_by_technology_and_fixed_or_adhoc(
    administrator_client, committed, deviceanduser
):
    committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", description="Hot desk")
    committed(device_create, id="2001", tech="sip", description="Desk phone")
    committed(device_create, id="2002", tech="pjsip", description="Lobby")
    assert numbers(administrator_client.get("/devices/?devicetype=adhoc")) == ["3001"]
    assert numbers(administrator_client.get("/devices/?devicetype=fixed&tech=pjsip")) == ["2002"]
    html = administrator_client.get("/devices/?devicetype=adhoc").content.decode()
    assert re.search(r'<option value="adhoc" selected>', html), "the page shows the filter it applies"


@pytest.fixture
def people_on_phones(committed, deviceanduser):
    """Ann on two SIP phones and, hot desking, a PJSIP one; Bob on a PJSIP phone; Cy on none."""
    ann = committed(user_create, extension="1000", name="Ann")
    bob = committed(user_create, extension="1001", name="Bob")
    committed(user_create, extension="1002", name="Cy")
    committed(device_create, id="2001", tech="sip", default_user=ann)
    committed(device_create, id="2002", tech="sip", default_user=ann)
    committed(device_create, id="2003", tech="pjsip", default_user=bob)
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    committed(device_login, device=desk, user=ann)
    committed(device_create, id="2004", tech="iax2")


@pytest.mark.slow
def test_the_users_list_filters_by_the_technology_and_type_of_the_devices_they_are_on(
    administrator_client, people_on_phones
):
    def shown(query):
        page = administrator_client.get(f"/users/{query}").context["page"]
        assert page.paginator.count == len(page.object_list), "no user counted twice"
        return [user.extension for user in page]

    assert shown("?tech=sip") == ["1000"]
    assert shown("?tech=pjsip") == ["1000", "1001"]
    assert shown("?tech=iax2") == []
    assert shown("?tech=none") == ["1002"]
    assert shown("?devicetype=adhoc") == ["1000"]
    assert shown("?devicetype=adhoc&tech=sip") == [], "one device must be both"
    assert shown("?devicetype=fixed&tech=pjsip&q=bo") == ["1001"]
    # An unknown value shows everything rather than an error page, as on the other lists.
    assert shown("?tech=bogus") == ["1000", "1001", "1002"]
    html = administrator_client.get("/users/?tech=sip").content.decode()
    assert '<option value="sip" selected>' in html, "the page shows the filter it applies"
    assert '<select name="devicetype"' in html


@pytest.mark.slow
def test_pages_are_numbered_first_neighbours_last_and_keep_the_filters(administrator_client):
    seed_extensions(1000, start=1000)
    response = administrator_client.get("/extensions/?tech=pjsip&per_page=25&page=10")
    page = response.context["page"]
    assert page.paginator.per_page == 25 and page.number == 10
    assert page.numbers[:2] == [1, None] and page.numbers[-2:] == [None, page.paginator.num_pages]
    assert {8, 9, 10, 11, 12} <= set(page.numbers)
    html = response.content.decode()
    assert 'href="?tech=pjsip&amp;per_page=25&amp;page=11"' in html
    assert "Previous" not in html
    assert all(row.tech == "pjsip" for row in page)


@pytest.mark.slow
def test_the_page_size_is_one_of_the_offered_sizes(administrator_client):
    seed_extensions(300, start=1000)
    for size in (25, 50, 100, 200):
        assert len(administrator_client.get(f"/extensions/?per_page={size}").context["page"]) == size
    assert len(administrator_client.get("/extensions/?per_page=100000").context["page"]) == 50


@pytest.mark.slow
def test_no_list_has_a_secret_column(administrator_client, mixed):
    html = administrator_client.get("/extensions/").content.decode()
    assert "<th>Secret</th>" not in html and "••••" not in html


def test_every_list_has_delete_for_administrators_only(
    administrator_client, viewer_client, committed, deviceanduser
):
    committed(user_create, extension="1000", name="Ann")
    committed(device_create, id="2001", tech="sip")
    assert 'href="/devices/2001/delete/"' in administrator_client.get("/devices/").content.decode()
    assert 'href="/users/1000/delete/"' in administrator_client.get("/users/").content.decode()
    assert "/delete/" not in viewer_client.get("/devices/").content.decode()


def test_a_technology_has_one_name_on_every_page(administrator_client, committed):
    committed(extension_create, extension="818", name="Old phone", tech="sip")
    assert "SIP (chan_sip)" in administrator_client.get("/extensions/").content.decode()
    assert "SIP (chan_sip)" in administrator_client.get("/extensions/818/").content.decode()


@pytest.mark.slow
def test_the_user_search_suggests_users_in_numeric_order(administrator_client, viewer_client, mixed):
    results = administrator_client.get("/users/search/?q=").json()["results"]
    assert [r["extension"] for r in results] == ["40", "818", "3299", "5001", "7000"]
    assert viewer_client.get("/users/search/?q=virt").json()["results"] == [
        {"extension": "7000", "name": "Virtual"}
    ]
    assert administrator_client.get("/users/search/?q=8").json()["results"][0]["extension"] == "818"


@pytest.mark.slow
def test_the_user_search_needs_a_login_and_a_role(client, mixed):
    assert client.get("/users/search/?q=8").status_code == 302
    stranger = Client()
    stranger.force_login(no_role())
    assert stranger.get("/users/search/?q=8").status_code == 403


@pytest.mark.slow
def test_the_user_search_returns_few_suggestions_among_ten_thousand_users(administrator_client):
    seed_extensions(10_000, start=100000)
    results = administrator_client.get("/users/search/?q=1000").json()["results"]
    assert len(results) == 20
    assert results[0]["extension"] == "100000"


def test_the_default_user_is_typed_not_a_menu_of_every_user_and_checked_by_the_server(
    administrator_client, committed, deviceanduser
):
    committed(user_create, extension="818", name="Ann")
    device = committed(device_create, id="2001", tech="custom", dial="Local/2001@x")
    html = administrator_client.get("/devices/2001/").content.decode()
    assert re.search(r'<input[^>]*name="default_user"[^>]*list="id_default_user-choices"', html)
    assert '<select name="default_user"' not in html
    data = {"description": "Desk", "devicetype": "fixed", "default_user": "999", "dial": "Local/2001@x"}
    response = administrator_client.post("/devices/2001/", data)
    assert response.status_code == 200 and "There is no user 999." in response.content.decode()
    administrator_client.post("/devices/2001/", {**data, "default_user": "818"})
    device.refresh_from_db()
    assert device.default_user_id == "818"


@pytest.mark.slow
def test_the_hot_desk_action_says_what_it_does_and_waits_for_someone_on_the_phone(
    administrator_client, committed, deviceanduser
):
    ann = committed(user_create, extension="1000", name="Ann")
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    html = administrator_client.get("/devices/3001/").content.decode()
    button = re.search(r"<button[^>]*>Log the user off this phone</button>", html).group(0)
    assert "disabled" in button
    assert ">Sign out</button>" in html and ">Log out</button>" not in html
    committed(device_login, device=desk, user=ann)
    html = administrator_client.get("/devices/3001/").content.decode()
    assert "disabled" not in re.search(r"<button[^>]*>Log the user off this phone</button>", html).group(0)
    assert Device.objects.get(pk="3001").user_id == "1000"


def test_every_page_links_a_favicon_that_exists(administrator_client, client):
    html = administrator_client.get("/extensions/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg"' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"


def test_the_page_size_shown_is_the_one_in_use(administrator_client):
    html = administrator_client.get("/extensions/").content.decode()
    assert '<option value="50" selected>' in html and '<option value="25" selected>' not in html


# --- Searching names folds accents and case (SQLite and PostgreSQL alike) -----------------


@pytest.fixture
def accented(committed):
    committed(extension_create, extension="1000", name="Ana Müller", tech="pjsip")
    committed(extension_create, extension="1001", name="José Ñúñez", tech="pjsip")
    committed(extension_create, extension="1002", name="Bob Miller", tech="pjsip")
    committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", description="Empfang Größe")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("muller", ["1000"]),
        ("MULLER", ["1000"]),
        ("müller", ["1000"]),
        ("nunez", ["1001"]),
        ("jose", ["1001"]),
    ],
)
def test_the_extensions_search_folds_accents(administrator_client, accented, search, found):
    assert numbers(administrator_client.get(f"/extensions/?q={search}")) == found


@pytest.mark.slow
def test_the_users_and_devices_searches_fold_accents(administrator_client, accented):
    set_pbx_mode(mode="deviceanduser")
    assert numbers(administrator_client.get("/users/?q=muller")) == ["1000"]
    assert numbers(administrator_client.get("/devices/?q=muller")) == ["1000"]
    assert numbers(administrator_client.get("/devices/?q=grosse")) == ["3001"]
    suggestions = administrator_client.get("/users/search/?q=nunez").json()
    assert [s["extension"] for s in suggestions["results"]] == ["1001"]


@pytest.mark.slow
def test_a_renamed_extension_is_found_by_its_new_name_folded(administrator_client, accented):
    from directory.users.extensions import extension_update
    from directory.users.models import PbxUser

    extension_update(user=PbxUser.objects.get(pk="1002"), name="Zoë Øster")
    assert numbers(administrator_client.get("/extensions/?q=zoe oster")) == ["1002"]
    assert numbers(administrator_client.get("/extensions/?q=miller")) == []
