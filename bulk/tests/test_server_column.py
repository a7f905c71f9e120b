"""The `server` column of the extensions, users and devices files (bulk/server_column.py): a new
row lands on the server it names (empty: the default), an unknown name is the row's error, an
export writes the column only while there are several servers, and a file round-trips."""

import pytest

from bulk.exporting import export_file
from bulk.importing import ImportRefused, check_file, import_file
from bulk.tests.helpers import csv_text
from directory.devices.models import Device
from directory.servers.services import create_on, server_create
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_create

pytestmark = pytest.mark.django_db

HEADER = "extension,name,tech,server"


@pytest.fixture
def branch():
    return server_create(name="branch-1", ami_host="192.0.2.10")


def test_new_extensions_land_on_the_server_each_row_names(branch):
    text = csv_text(
        "2001,Ann,pjsip,branch-1",
        "2002,Bob,pjsip,",
        "2003,Cy,virtual,branch-1",
        "2004,Di,pjsip,main",
        header=HEADER,
    )
    report = import_file("extensions", text)
    assert report.counts["create"] == 4, report.problems
    servers = dict(PbxUser.objects.values_list("extension", "server__name"))
    assert servers == {"2001": "branch-1", "2002": "main", "2003": "branch-1", "2004": "main"}
    assert Device.objects.get(pk="2001").server == branch


def test_an_unknown_server_is_a_clear_row_error_and_nothing_is_imported(branch):
    text = csv_text("2001,Ann,pjsip,branch-1", "2002,Bob,pjsip,nowhere", header=HEADER)
    report = check_file("extensions", text)
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (3, "server", "No server named nowhere. Servers: branch-1, main.")
    ]
    with pytest.raises(ImportRefused):
        import_file("extensions", text)
    assert not PbxUser.objects.exists()


def test_the_column_is_known_even_with_one_server():
    report = check_file("extensions", csv_text("2001,Ann,pjsip,main", header=HEADER))
    assert report.ok and "server" not in " ".join(report.ignored)


def test_a_users_file_and_a_devices_file_take_the_column(branch, deviceanduser):
    import_file("users", csv_text("2001,Ann,branch-1", "2002,Bob,", header="extension,name,server"))
    assert PbxUser.objects.get(pk="2001").server == branch
    report = import_file(
        "devices",
        csv_text("3001,pjsip,2001,", "3002,pjsip,,branch-1", "3003,pjsip,,", header="id,tech,user,server"),
    )
    assert report.ok, report.problems
    servers = dict(Device.objects.values_list("id", "server__name"))
    # 3001 goes where its default user lives; 3002 where the row says; 3003 on the default.
    assert servers == {"3001": "branch-1", "3002": "branch-1", "3003": "main"}


def test_a_device_row_naming_another_server_than_its_own_is_refused(branch, deviceanduser):
    import_file("devices", csv_text("3001,pjsip,Desk", header="id,tech,description"))
    report = check_file(
        "devices", csv_text("3001,pjsip,Desk,branch-1", header="id,tech,description,server"), replace=True
    )
    assert report.problems[0]["column"] == "server"
    assert "a device moves with its user" in report.problems[0]["message"]


def test_exports_write_the_column_only_with_several_servers(committed):
    committed(extension_create, extension="2001", name="Ann", tech="pjsip")
    for kind in ("extensions", "users", "devices"):
        header = "".join(export_file(kind=kind, with_secrets=False)).splitlines()[0]
        assert "server" not in header.split(","), kind
    server_create(name="branch-1", ami_host="192.0.2.10")
    committed(
        create_on,
        create=extension_create,
        server="branch-1",
        extension="2002",
        name="Bob",
        tech="pjsip",
    )
    for kind in ("extensions", "users", "devices"):
        lines = "".join(export_file(kind=kind, with_secrets=False)).splitlines()
        assert lines[0].split(",")[-1] == "server", kind
        assert [line.split(",")[-1] for line in lines[1:]] == ["main", "branch-1"], kind


def test_an_export_imports_back_onto_the_same_servers(committed, branch):
    committed(
        create_on,
        create=extension_create,
        server="branch-1",
        extension="2001",
        name="Ann",
        tech="pjsip",
    )
    committed(create_on, create=user_create, extension="2002", name="Bob")
    text = "".join(export_file(kind="extensions", with_secrets=True))
    PbxUser.objects.all().delete()
    Device.objects.all().delete()
    report = import_file("extensions", text)
    assert report.ok, report.problems
    assert dict(PbxUser.objects.values_list("extension", "server__name")) == {
        "2001": "branch-1",
        "2002": "main",
    }
    assert Device.objects.get(pk="2001").server == branch


def test_replacing_with_another_server_moves_the_user_and_shows_it_in_the_check(committed, branch):
    committed(extension_create, extension="2001", name="Ann", tech="pjsip")
    text = csv_text("2001,Ann,pjsip,branch-1", header=HEADER)
    report = check_file("extensions", text, replace=True)
    assert report.rows[0]["action"] == "update"
    assert ["server", "main", "branch-1"] in report.rows[0]["changes"]
    import_file("extensions", text, replace=True)
    assert PbxUser.objects.get(pk="2001").server == branch
    assert Device.objects.get(pk="2001").server == branch


def test_a_move_the_rules_refuse_is_the_rows_error_in_the_check(committed, branch, deviceanduser):
    """A user logged into a shared (adhoc) phone cannot move without it: the check says so on
    the row, before any confirm, and nothing moves."""
    from directory.devices.services import device_create, device_login

    user = committed(user_create, extension="2001", name="Ann")
    device = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    committed(device_login, device=device, user=user)
    text = csv_text("2001,Ann,branch-1", header="extension,name,server")
    report = check_file("users", text, replace=True)
    assert [(p["column"], "adhoc device 3001" in p["message"]) for p in report.problems] == [("server", True)]
    with pytest.raises(ImportRefused):
        import_file("users", text, replace=True)
    assert PbxUser.objects.get(pk="2001").server.name == "main"
