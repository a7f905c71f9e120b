"""Each server's state on the Servers page, in /api/v1/servers/ and in /api/v1/sync/: two fake
Asterisks (asterisk/testing/ami_server.py), the branch's stopped."""

import pytest

from api.tests.conftest import client_for
from asterisk.testing.ami_server import AmiTestServer
from directory.servers.services import server_create
from directory.users.extensions import extension_create
from web.testing import personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch_down(settings, tmp_path, committed):
    with AmiTestServer(secret="main-secret") as main_ami, AmiTestServer(secret="branch-secret") as branch_ami:
        settings.AMI_HOST = "127.0.0.1"
        settings.AMI_PORT = main_ami.port
        settings.AMI_USERNAME = main_ami.username
        settings.AMI_SECRET = main_ami.secret
        settings.AMI_TIMEOUT = 10
        main_ami.conf_dir = settings.ASTERISK_CONF_DIR
        branch_ami.conf_dir = tmp_path / "branch-etc"
        committed(
            server_create,
            name="branch",
            ami_host="127.0.0.1",
            ami_port=branch_ami.port,
            ami_username=branch_ami.username,
            ami_secret=branch_ami.secret,
            conf_dir=str(branch_ami.conf_dir),
        )
        branch_ami.stop()
        committed(extension_create, extension="1000", name="Ann", tech="pjsip")  # a run on every server
        yield


def test_the_servers_page_shows_each_servers_state(branch_down, administrator_client):
    page = administrator_client.get("/servers/").content.decode()
    main_row = page.split('data-server="main"')[1].split("</tr>")[0]
    branch_row = page.split('data-server="branch"')[1].split("</tr>")[0]
    assert 'data-server-state-value="connected"' in main_row and "Connected" in main_row
    assert 'data-server-state-value="unreachable"' in branch_row and "Unreachable" in branch_row
    assert "since" in branch_row


def test_the_api_answers_each_servers_state(branch_down):
    api = client_for(personas.administrator())
    states = {s["name"]: s["state"] for s in api.get("/api/v1/servers/").json()["results"]}
    assert {name: state["state"] for name, state in states.items()} == {
        "main": "connected",
        "branch": "unreachable",
    }
    sync = api.get("/api/v1/sync/").json()
    assert {s["name"]: s["state"] for s in sync["servers"]} == {"main": "connected", "branch": "unreachable"}
    assert sync["headline"].startswith("1 server connected, 1 unreachable: branch since")


def test_the_lists_marks_are_kept_current_from_a_json_of_marks(branch_down, viewer_client):
    from directory.servers.models import Server

    response = viewer_client.get("/servers/states/")
    assert response["Cache-Control"] == "no-store"
    marks = response.json()["servers"]
    branch = Server.objects.get(name="branch")
    assert 'data-server-state-value="unreachable"' in marks[str(branch.pk)]
    # The last error is for administrators: a viewer's marks do not carry it.
    assert "font-monospace" not in marks[str(branch.pk)]
    page = viewer_client.get("/servers/").content.decode()
    assert f'data-server-state="{branch.pk}"' in page and 'data-server-states-url="/servers/states/"' in page
