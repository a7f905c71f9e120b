"""Trunks, outbound routes and DIDs in CSV: export → import is lossless, FreePBX's dids file is
read as it is, every row goes through the services (and the audit log), and refusals name
the line and the column."""

import re

import pytest

from asterisk.files import write_files
from audit.models import Action, Entry
from bulk.exporting import export_file
from bulk.importing import ImportRefused, check_file, import_file
from bulk.services import import_upload
from directory.connectivity.models import InboundRoute, OutboundRoute, Trunk
from directory.connectivity.services import (
    inbound_route_create,
    inbound_route_delete,
    outbound_route_create,
    outbound_route_delete,
    trunk_create,
    trunk_delete,
)
from directory.users.models import PbxUser
from directory.users.services import user_create

pytestmark = pytest.mark.django_db

SECRET = "Csv7Trunk5Secret"


def _text(kind: str, *, with_secrets: bool = True) -> str:
    return "".join(export_file(kind=kind, with_secrets=with_secrets))


@pytest.fixture
def office(committed):
    committed(user_create, extension="2001", name="Ann", voicemail="default", vm_pin="4321")
    carrier = committed(
        trunk_create,
        name="carrier",
        tech="pjsip",
        host="127.0.0.1",
        port=5099,
        username="office",
        secret=SECRET,
        register=True,
        outbound_cid='"Office" <5551000>',
        force_cid=True,
        max_channels=4,
        dial_rules=[
            {"prepend": "0044", "prefix": "0", "match": "NXXXXXXXX"},
            {"prepend": "9", "prefix": "", "match": ""},
        ],
    )
    backup = committed(trunk_create, name="backup", tech="iax2", host="192.0.2.7", enabled=False)
    committed(
        outbound_route_create,
        name="Emergency",
        patterns=[{"prepend": "", "prefix": "", "match": "911", "callerid": ""}],
        trunks=[carrier, backup],
        emergency=True,
    )
    committed(
        outbound_route_create,
        name="National",
        patterns=[
            {"prepend": "1", "prefix": "9", "match": "NXXNXXXXXX", "callerid": ""},
            {"prepend": "", "prefix": "", "match": "+44.", "callerid": "2XXX"},
        ],
        trunks=[backup, carrier],
        pin="8642",
        route_cid="5551999",
    )
    bo = committed(user_create, extension="2002", name="Bo")
    committed(inbound_route_create, did="5551234", destination="user", user=bo, cid_name_prefix="Sales:")
    ann = PbxUser.objects.get(pk="2001")
    committed(
        inbound_route_create,
        did="5551235",
        cid="0171234",
        destination="voicemail",
        user=ann,
        description="Night",
    )
    committed(inbound_route_create, did="", cid="", destination="hangup", description="Everything else")


def _wipe():
    for route in InboundRoute.objects.all():
        inbound_route_delete(route=route)
    for route in OutboundRoute.objects.all():
        outbound_route_delete(route=route)
    for trunk in Trunk.objects.all():
        trunk_delete(trunk=trunk)


def _state():
    trunks = list(
        Trunk.objects.order_by("name").values(
            "name", "tech", "host", "port", "username", "secret", "register", "codecs",
            "outbound_cid", "force_cid", "max_channels", "dial_rules", "enabled",
        )
    )  # fmt: skip
    routes = [
        (r.name, r.patterns, [t.name for t in r.trunk_sequence()], r.route_cid, r.pin, r.emergency)
        for r in OutboundRoute.objects.order_by("position")
    ]
    inbound = sorted(
        InboundRoute.objects.values_list(
            "did", "cid", "description", "destination", "user_id", "cid_name_prefix"
        )
    )
    return trunks, routes, inbound


# Where the dialplan names a trunk, a route or an inbound route by its database id.
_IDS = re.compile(
    r"(?<=outbound-trunk-)(?P<trunk>\d+)|(?P<trunk_group>\d+)(?=@outbound-trunks)"
    r"|(?<=GROUP\(outbound-trunks\)=)(?P<trunk_set>\d+)|(?<=outrt-)(?P<route>\d+)|(?<=ext-did-)(?P<did>\d+)"
)


def _renumbered(files: dict[str, bytes]) -> dict[str, str]:
    """The files with each database id numbered in the order it first appears (a trunk's the
    same wherever it is named): a re-imported trunk or route has a new id, and nothing else."""

    def renumber(text: str) -> str:
        seen: dict[tuple[str, str], str] = {}

        def number(m: re.Match) -> str:
            kind = "trunk" if m.lastgroup.startswith("trunk") else m.lastgroup
            return "#" + seen.setdefault((kind, m[0]), str(len(seen) + 1))

        return _IDS.sub(number, text)

    return {name: renumber(data.decode()) for name, data in files.items()}


@pytest.mark.slow
def test_export_then_import_into_an_empty_system_gives_the_same_trunks_routes_and_files(
    office, conf_dir, committed
):
    before = _state()
    texts = {kind: _text(kind) for kind in ("trunks", "routes", "dids")}
    write_files()
    files_before = {p.name: p.read_bytes() for p in sorted(conf_dir.glob("*.conf"))}
    committed(_wipe)
    assert not Trunk.objects.exists()
    for kind in ("trunks", "routes", "dids"):
        report = committed(import_file, kind, texts[kind], ref="job", label=f"{kind}.csv")
        assert report.ok and not report.counts["error"], report.problems
    assert _state() == before
    assert {kind: _text(kind) for kind in texts} == texts
    write_files()
    files_after = {p.name: p.read_bytes() for p in sorted(conf_dir.glob("*.conf"))}
    assert _renumbered(files_after) == _renumbered(files_before)


@pytest.mark.slow
def test_the_dids_file_has_freepbxs_columns_and_destinations(office):
    lines = _text("dids").splitlines()
    assert lines[0] == (
        "cidnum,extension,destination,privacyman,alertinfo,ringing,fanswer,mohclass,description,grppre,"
        "delay_answer,pricid,pmmaxretries,pmminlength,reversal,rvolume,indication_zone"
    )
    assert '0171234,5551235,"ext-local,vmu2001,1",0,,,,default,Night,,0,,,,,,default' in lines
    assert ',5551234,"from-did-direct,2002,1",' in lines[1] + lines[2] + lines[3]
    assert lines[-1].startswith(',,"app-blackhole,hangup,1"')


def test_a_freepbx_dids_file_is_read_as_it_is(committed):
    from pathlib import Path

    committed(user_create, extension="2001", name="Ann", voicemail="default", vm_pin="4321")
    text = (Path(__file__).parent / "data" / "freepbx-dids-sample.csv").read_text()
    report = check_file("dids", text)
    assert report.ok, report.problems
    assert report.counts["create"] == 3
    assert any(c.startswith("privacyman (") for c in report.ignored)
    assert any(c.startswith("callrecording (") for c in report.ignored)
    committed(import_file, "dids", text)
    catch_all = InboundRoute.objects.get(did="", cid="")
    assert catch_all.destination == "hangup"
    main = InboundRoute.objects.get(did="18005551234")
    assert (main.destination, main.user_id, main.cid_name_prefix, main.description) == (
        "user",
        "2001",
        "Main:",
        "Main number",
    )


def test_a_route_naming_a_trunk_that_does_not_exist_is_refused_with_its_line():
    text = "name,patterns,trunks,route_cid,pin,emergency\nOut,9|NXXNXXXXXX,nosuch,,,no\n"
    report = check_file("routes", text)
    assert report.problems == [
        {
            "line": 2,
            "key": "Out",
            "column": "trunks",
            "message": "There is no trunk nosuch: import the trunks file first.",
            "action": "error",
            "level": "error",
        }
    ]


def test_a_destination_pbxadmin_does_not_have_is_refused():
    text = 'extension,cidnum,destination\n5551234,,"ext-group,600,1"\n'
    report = check_file("dids", text)
    assert report.counts["error"] == 1
    assert report.problems[0]["column"] == "destination"
    assert "ext-group,600,1 is none of these" in report.problems[0]["message"]


def test_an_import_is_all_or_nothing_and_on_the_record(committed):
    text = "name,tech,host,secret\nfirst,sip,192.0.2.1,Abc12345xy\nsecond,sip,bad host,\n"
    with pytest.raises(ImportRefused):
        committed(import_file, "trunks", text)
    assert not Trunk.objects.exists()
    text = "name,tech,host,secret\nfirst,sip,192.0.2.1,Abc12345xy\nsecond,iax2,192.0.2.2,\n"
    committed(import_file, "trunks", text, ref="job-1", label="trunks.csv")
    assert set(Trunk.objects.values_list("name", flat=True)) == {"first", "second"}
    assert Entry.objects.filter(action=Action.IMPORTED).count() == 1
    assert Entry.objects.filter(object_type="trunk", action=Action.CREATED).count() == 2


@pytest.mark.slow
def test_replace_updates_a_trunk_and_masks_its_secret_in_the_check(office):
    text = "name,tech,host,secret\ncarrier,pjsip,10.9.9.9,New7Secret55x\n"
    report = check_file("trunks", text, replace=True)
    [row] = report.rows
    assert row["action"] == "update"
    assert ["host", "127.0.0.1", "10.9.9.9"] in row["changes"]
    assert ["secret", "********", "******** (new)"] in row["changes"]
    assert SECRET not in str(report.rows) and "New7Secret55x" not in str(report.rows)


@pytest.mark.slow
def test_an_export_without_secrets_leaves_the_secret_and_pin_columns_out(office):
    trunks, routes = _text("trunks", with_secrets=False), _text("routes", with_secrets=False)
    assert "secret" not in trunks.splitlines()[0] and SECRET not in trunks
    assert "pin" not in routes.splitlines()[0].split(",") and "8642" not in routes


def test_an_uploaded_dids_file_needs_its_columns(administrator_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        import_upload(
            kind="dids",
            filename="d.csv",
            content=b"did,dest\n1,2\n",
            existing="skip",
            created_by=administrator_user,
        )
    assert "extension" in str(refused.value)


@pytest.mark.slow
def test_the_commands_import_and_export_each_kind(office, tmp_path, committed):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("export_extensions", "--kind", "dids", stdout=out)
    assert out.getvalue() == _text("dids")
    bad = tmp_path / "routes.csv"
    bad.write_text("name,patterns,trunks\nOut,NXX;X,carrier\n")
    with pytest.raises(CommandError, match="1 row refused"):
        call_command("import_extensions", str(bad), "--kind", "routes", stdout=io.StringIO())
    good = tmp_path / "trunks.csv"
    good.write_text("name,tech,host\nthird,iax2,192.0.2.3\n")
    out = io.StringIO()
    committed(call_command, "import_extensions", str(good), "--kind", "trunks", stdout=out)
    assert "1 create" in out.getvalue()
    assert Trunk.objects.filter(name="third", tech="iax2").exists()


def test_the_trunks_file_has_a_server_column_only_while_there_are_several(committed):
    from directory.servers.models import Server

    committed(trunk_create, name="carrier", tech="pjsip", host="sip.example.net")
    assert "server" not in _text("trunks").splitlines()[0].split(",")
    Server.objects.create(name="branch", ami_host="10.0.0.2")
    text = _text("trunks")
    assert text.splitlines()[0].split(",")[-1] == "server"
    assert text.splitlines()[1].endswith(",main")
    import_file("trunks", text.replace(",main\n", ",branch\n"), replace=True)
    assert Trunk.objects.get(name="carrier").server.name == "branch"
