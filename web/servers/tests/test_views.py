"""The Servers page and the server choice on the extension, user and device pages, through the
test client: roles, CSRF, secrets write-only, refusals shown, lists filtered by server, and
nothing new on any page while there is one server."""

import pytest

from audit.models import Entry
from directory.devices.models import Device
from directory.servers.models import Server
from directory.servers.services import create_on, server_create
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_create
from web.testing.forms import form_post_data

pytestmark = pytest.mark.django_db

AMI_SECRET = "Branch-Ami-Secret-77"


@pytest.fixture
def branch(committed):
    return committed(
        server_create,
        name="branch-1",
        ami_host="10.0.0.2",
        ami_port=5038,
        ami_username="pbxadmin",
        ami_secret=AMI_SECRET,
    )


# --- The Servers page -------------------------------------------------------


def test_the_page_needs_a_login(client):
    response = client.get("/servers/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_menu_offers_servers(administrator_client):
    assert 'href="/servers/"' in administrator_client.get("/extensions/").content.decode()


def test_the_list_shows_each_server_with_its_connection_and_counts(administrator_client, branch, committed):
    committed(create_on, create=extension_create, server="branch-1",
              extension="2001", name="Ann", tech="pjsip")  # fmt: skip
    page = administrator_client.get("/servers/").content.decode()
    assert 'data-server="main"' in page and 'data-server="branch-1"' in page
    assert "pbxadmin@10.0.0.2:5038" in page and "pbx.branch-1" in page
    assert AMI_SECRET not in page and branch.iax_secret not in page


def test_viewers_read_but_add_change_and_delete_nothing(viewer_client, branch):
    page = viewer_client.get("/servers/")
    assert page.status_code == 200 and b"/servers/add/" not in page.content
    assert viewer_client.get("/servers/add/").status_code == 403
    assert viewer_client.post(f"/servers/{branch.pk}/", {"name": "evil"}).status_code == 403
    assert viewer_client.post(f"/servers/{branch.pk}/delete/").status_code == 403
    assert viewer_client.post(f"/servers/{branch.pk}/default/").status_code == 403
    assert Server.objects.get(pk=branch.pk).name == "branch-1"


def test_a_post_without_the_csrf_token_is_refused(administrator_user, branch):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator_user)
    assert client.post(f"/servers/{branch.pk}/delete/").status_code == 403
    assert Server.objects.filter(pk=branch.pk).exists()


def test_an_administrator_adds_a_server(administrator_client, committed):
    response = administrator_client.get("/servers/add/")
    data = form_post_data(response)
    data.update(name="branch-2", ami_host="pbx2.example.net", ami_port="5038", ami_username="pbx",
                ami_secret=AMI_SECRET, iax_port="4569")  # fmt: skip
    response = administrator_client.post("/servers/add/", data, follow=True)
    assert "Server branch-2 added" in response.content.decode()
    assert "pbx.branch-2" in response.content.decode()
    server = Server.objects.get(name="branch-2")
    assert (server.ami_host, server.ami_secret, server.is_default) == ("pbx2.example.net", AMI_SECRET, False)
    assert AMI_SECRET not in response.content.decode()
    assert Entry.objects.filter(object_repr="branch-2", action="created").exists()


def test_what_the_services_refuse_shows_next_to_the_field(administrator_client):
    data = {"name": "Bad Name", "ami_host": "10.0.0.1\n[x]", "iax_port": "4569"}
    page = administrator_client.post("/servers/add/", data).content.decode()
    assert "Start with a lowercase letter" in page
    assert "Write a host name or an IPv4 address" in page or "control characters" in page
    assert Server.objects.count() == 1


def test_the_ami_secret_is_never_sent_back_and_a_blank_keeps_it(administrator_client, viewer_client, branch):
    for client in (administrator_client, viewer_client):
        page = client.get(f"/servers/{branch.pk}/").content.decode()
        assert AMI_SECRET not in page and branch.iax_secret not in page
    data = form_post_data(administrator_client.get(f"/servers/{branch.pk}/"))
    assert data.get("ami_secret", "") == ""
    data["ami_username"] = "portal"
    administrator_client.post(f"/servers/{branch.pk}/", data)
    branch.refresh_from_db()
    assert (branch.ami_username, branch.ami_secret) == ("portal", AMI_SECRET)
    # Another host with the secret left blank: refused on the secret's box, nothing saved.
    data = form_post_data(administrator_client.get(f"/servers/{branch.pk}/"))
    data["ami_host"] = "10.0.0.3"
    page = administrator_client.post(f"/servers/{branch.pk}/", data).content.decode()
    assert "Type the AMI secret again" in page and AMI_SECRET not in page
    branch.refresh_from_db()
    assert branch.ami_host != "10.0.0.3"
    data = form_post_data(administrator_client.get(f"/servers/{branch.pk}/"))
    data["remove_ami_secret"] = "on"
    data["new_iax_secret"] = "on"
    iax = branch.iax_secret
    administrator_client.post(f"/servers/{branch.pk}/", data)
    branch.refresh_from_db()
    assert branch.ami_secret == "" and branch.iax_secret != iax


def test_a_server_in_use_or_the_default_is_not_deleted(administrator_client, branch, committed):
    committed(create_on, create=user_create, server="branch-1", extension="2001", name="Ann")
    response = administrator_client.post(f"/servers/{branch.pk}/delete/", follow=True)
    assert "still has 1 user: move them to another server first" in response.content.decode()
    main = Server.objects.get(name="main")
    response = administrator_client.post(f"/servers/{main.pk}/delete/", follow=True)
    assert "is the default server" in response.content.decode()
    assert Server.objects.count() == 2


def test_an_unused_server_is_deleted_and_another_made_the_default(administrator_client, branch):
    administrator_client.post(f"/servers/{branch.pk}/default/")
    assert Server.objects.get(is_default=True).name == "branch-1"
    main = Server.objects.get(name="main")
    response = administrator_client.post(f"/servers/{main.pk}/delete/", follow=True)
    assert "Server main removed." in response.content.decode()
    assert list(Server.objects.values_list("name", flat=True)) == ["branch-1"]


# --- The server on users, extensions and devices -------------------------------


def test_with_one_server_no_page_says_anything_of_servers(administrator_client, committed, deviceanduser):
    committed(user_create, extension="2001", name="Ann")
    for url in ("/users/", "/users/add/", "/users/2001/", "/devices/", "/devices/add/?tech=pjsip"):
        page = administrator_client.get(url).content.decode()
        assert 'name="server"' not in page and "All servers" not in page, url


def test_an_extension_is_added_on_the_server_chosen_and_the_list_filters_by_server(
    administrator_client, committed, branch
):
    committed(extension_create, extension="2002", name="Bob", tech="pjsip")
    data = form_post_data(administrator_client.get("/extensions/add/?tech=pjsip"))
    assert data["server"] == "main"
    data.update(extension="2001", name="Ann", server="branch-1")
    administrator_client.post("/extensions/add/?tech=pjsip", data)
    assert PbxUser.objects.get(pk="2001").server.name == "branch-1"
    assert Device.objects.get(pk="2001").server.name == "branch-1"
    page = administrator_client.get("/extensions/?server=branch-1").content.decode()
    assert "Ann" in page and "Bob" not in page
    page = administrator_client.get("/extensions/").content.decode()
    assert "Ann" in page and "Bob" in page and "All servers" in page
    page = administrator_client.get("/extensions/2001/").content.decode()
    assert '<option value="branch-1" selected>' in page


def test_the_users_and_devices_lists_filter_by_server(administrator_client, committed, branch, deviceanduser):
    committed(create_on, create=user_create, server="branch-1", extension="2001", name="Ann")
    committed(user_create, extension="2002", name="Bob")
    page = administrator_client.get("/users/?server=branch-1").content.decode()
    assert "Ann" in page and "Bob" not in page
    data = form_post_data(administrator_client.get("/devices/add/?tech=pjsip"))
    data.update(id="3001", description="Desk", default_user="2001")
    administrator_client.post("/devices/add/?tech=pjsip", data)
    assert Device.objects.get(pk="3001").server.name == "branch-1"  # where its default user lives
    page = administrator_client.get("/devices/?server=main").content.decode()
    assert "Desk" not in page
    page = administrator_client.get("/devices/?server=branch-1").content.decode()
    assert "Desk" in page
    # A device moves with its user: its page shows the server, not a choice.
    page = administrator_client.get("/devices/3001/").content.decode()
    assert 'name="server"' in page and "disabled" in page.split('name="server"')[1][:200]


def test_a_device_on_another_server_than_its_user_is_refused_on_the_page(
    administrator_client, committed, branch, deviceanduser
):
    committed(user_create, extension="2001", name="Ann")
    data = form_post_data(administrator_client.get("/devices/add/?tech=pjsip"))
    data.update(id="3001", description="Desk", default_user="2001", server="branch-1")
    page = administrator_client.post("/devices/add/?tech=pjsip", data).content.decode()
    assert "a device&#x27;s users are on its server" in page
    assert not Device.objects.filter(pk="3001").exists()


def test_choosing_another_server_on_an_extension_moves_it_with_its_phone(
    administrator_client, committed, branch
):
    committed(extension_create, extension="2001", name="Ann", tech="pjsip")
    data = form_post_data(administrator_client.get("/extensions/2001/"))
    data["server"] = "branch-1"
    response = administrator_client.post("/extensions/2001/", data, follow=True)
    assert "Extension 2001 saved." in response.content.decode()
    assert PbxUser.objects.get(pk="2001").server == branch
    assert Device.objects.get(pk="2001").server == branch
    assert Entry.objects.filter(object_id="2001", changes__server=["main", "branch-1"]).count() == 2


def test_a_move_the_rule_refuses_is_shown_on_the_form_and_nothing_is_saved(
    administrator_client, committed, branch, deviceanduser
):
    from directory.devices.services import device_create

    ann = committed(user_create, extension="2001", name="Ann")
    committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", default_user=ann)
    data = form_post_data(administrator_client.get("/users/2001/"))
    data.update(server="branch-1", name="Ann B")
    page = administrator_client.post("/users/2001/", data).content.decode()
    assert "adhoc device 3001" in page
    ann.refresh_from_db()
    assert (ann.server.name, ann.name) == ("main", "Ann")
