"""One portal, three real Asterisks: each holds only its own users and devices, a call crosses the
generated IAX2 trunk to the user's server, a moved user is reached on their new server, and a
server that was away catches up when it returns.

Each server has its own Celery worker on its own queue (`pbx.<name>`), as a PBX host runs one
(`asterisk.testing.servers`): saves here go through the broker to those workers, never eagerly.
Everything is judged by what each Asterisk reports (CLI, AstDB, its files), never by what the
portal believes it wrote. One set of Asterisks and workers serves the whole module; each test
starts from an empty portal, and every Asterisk emptied of what the portal owns.
"""

import os
import re

import pytest

from asterisk.testing.baresip import Phone
from asterisk.testing.pbx import wait_for
from asterisk.testing.servers import Servers, missing, publishing_to
from asterisk.tests.real.helpers import (
    channel_details,
    channels,
    no_channels,
    pjsip_contact_registered,
    wait_channel,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.worker]

MAIN, B, C = "main", "branch-b", "branch-c"
# How long a change may take to show on a server that is up (a busy two-core machine).
SHOWS_WITHIN = 60.0


def _need_servers() -> None:
    if reason := missing():
        if os.environ.get("CI"):
            pytest.fail(f"three real Asterisks are required in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def farm(django_db_setup, django_db_blocker):
    """Three Asterisks, a Redis and three workers, for the whole module."""
    _need_servers()
    from asterisk.testing.services import database_url

    with django_db_blocker.unblock():
        url = database_url()
    servers = Servers((MAIN, B, C), database_url=url)
    try:
        servers.start()
        yield servers
    finally:
        servers.close()


def users_held(host) -> set[str]:
    """The users whose keys this Asterisk's AstDB holds (AMPUSER/<number>/…)."""
    return {key.split("/")[1] for key in host.ast.database("AMPUSER")}


def devices_held(host) -> set[str]:
    return {key.split("/")[1] for key in host.ast.database("DEVICE")}


def endpoints(host) -> set[str]:
    """The PJSIP endpoints this Asterisk loaded (`pjsip show endpoints`)."""
    return set(re.findall(r"^\s*Endpoint:\s+(\d+)", host.ast.cli("pjsip show endpoints"), re.M))


def file_sections(host, name: str = "pjsip.endpoint.conf") -> set[str]:
    """The numbered sections of one of its generated files."""
    return set(re.findall(r"^\[(\d+)\]", (host.ast.etc / name).read_text(), re.M))


def iax_peers(host) -> set[str]:
    return set(re.findall(r"^(pbx-[a-z0-9-]+)", host.ast.cli("iax2 show peers"), re.M))


def mailboxes(host) -> set[str]:
    """The mailboxes this Asterisk's app_voicemail loaded (`voicemail show users for default`)."""
    found = set()
    for line in host.ast.cli("voicemail show users for default").splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0] == "default" and fields[1].isdigit():
            found.add(fields[1])
    return found


def remote_entries(host) -> dict[str, str]:
    """`dialplan show ext-remote`: each number there and the trunk (`pbx-<server>`) it dials."""
    entries: dict[str, str] = {}
    number = None
    for line in host.ast.cli("dialplan show ext-remote").splitlines():
        if match := re.search(r"'(\d+)' =>", line):
            number = match.group(1)
        if number and (trunk := re.search(r"\b(pbx-[a-z0-9-]+)", line)):
            entries.setdefault(number, trunk.group(1))
    return entries


def shows(host, what: str, predicate, timeout: float = SHOWS_WITHIN):
    return wait_for(predicate, f"Asterisk {host.name} to show {what}", timeout)


def phone_on(host, device_id: str) -> Phone:
    """A baresip phone registered as `device_id` at this server's Asterisk, with its generated secret."""
    from directory.devices.models import Device

    device = Device.objects.select_related("endpoint").get(pk=device_id)
    phone = Phone(
        user=device_id, secret=device.endpoint.settings["secret"], registrar_port=host.ast.ports.pjsip_udp
    )
    phone.start()
    try:
        shows(host, f"{device_id} registered", lambda: pjsip_contact_registered(host.ast, device_id))
    except BaseException:
        phone.close()
        raise
    return phone


def _status(row):
    """The sync status of one server, as its worker leaves it."""
    from asterisk.models import SyncStatus
    from directory.servers.current import using

    with using(row):
        return SyncStatus.get()


def _sync_error(row) -> str:
    return _status(row).last_error


def _settled(row) -> bool:
    """Nothing waits for this server and no run of its is asked for or under way."""
    from asterisk.models import SyncChange, SyncStatus
    from directory.servers.current import using

    with using(row):
        status = SyncStatus.get()
        return not SyncChange.objects.exists() and not status.queued and status.running_by == ""


def settled(host, timeout: float = SHOWS_WITHIN) -> None:
    row = host.row()
    wait_for(lambda: _settled(row), f"server {host.name}'s runs to end", timeout)


def _reset(host, row) -> None:
    """Nothing of the portal's left in this Asterisk: its AstDB families emptied, every file
    written anew from the (empty) database and loaded, the run that follows done here."""
    from asterisk import sync
    from asterisk.astdb import FAMILIES
    from asterisk.files import write_all_files
    from directory.servers.current import using

    for family in FAMILIES:
        host.ast.cli(f"database deltree {family}")
    with using(row):
        write_all_files()
        sync.run_sync()
    for reload in ("dialplan reload", "iax2 reload", "module reload res_pjsip.so"):
        host.ast.cli(reload)


@pytest.fixture
def servers(farm, transactional_db, settings):
    """The module's three servers, reset: the portal's rows point at them (the first is the
    default server), each Asterisk emptied of what the portal owns and given every file anew,
    and this process sends its tasks to their workers (not eagerly)."""
    from directory.endpoints.services import sip_settings_update

    for host in farm:
        if not host.ast.running():
            host.ast.start()
    settings.CELERY_BROKER_URL = farm.broker.url
    settings.AMI_TIMEOUT = 15
    with publishing_to(farm.broker.url):
        farm.rows()
        rows = farm.row
        sip_settings_update(**farm[MAIN].ast.sip_settings())
        for host in farm:
            _reset(host, rows[host.name])
        for host in farm:
            settled(host)
        yield farm
        for host in farm:
            if host.ast.running():
                settled(host)
    print(farm.logs())


def _office(rows) -> dict[str, str]:
    """One user with a PJSIP phone on each server: {server name: their number}."""
    from directory.users.extensions import extension_create

    extension_create(extension="1001", name="Ana Main", tech="pjsip", voicemail="default", server=rows[MAIN])
    extension_create(extension="2001", name="Bob Branch", tech="pjsip", voicemail="default", server=rows[B])
    extension_create(extension="3001", name="Cy West", tech="pjsip", voicemail="default", server=rows[C])
    return {MAIN: "1001", B: "2001", C: "3001"}


def _holds_only(host, number: str) -> bool:
    return users_held(host) == devices_held(host) == endpoints(host) == mailboxes(host) == {number}


def _call_rings(caller: Phone, callee: Phone, at, number: str) -> None:
    """`caller` dials `number`: the callee's phone rings at server `at` with Ana's name and number,
    the call arriving there over the trunk from `main`; answered, then hung up."""
    caller.dial(number)
    ringing = wait_channel(at.ast, f"PJSIP/{number}-", "Ringing")
    seen = channel_details(at.ast, ringing["channel"])
    assert seen["Connected Line ID"] == "1001"
    assert seen["Connected Line ID Name"] == "Ana Main"
    assert any(row["channel"].startswith("IAX2/pbx-main-") for row in channels(at.ast)), channels(at.ast)
    incoming = callee.wait_event("CALL_INCOMING", since=0)
    assert incoming["peerdisplayname"] == "Ana Main"
    assert "1001" in incoming["peeruri"]
    callee.accept()
    wait_channel(at.ast, f"PJSIP/{number}-", "Up")
    caller.hangup()
    wait_for(lambda: no_channels(at.ast), f"the call to end on {at.name}")


def test_each_server_holds_only_its_own_and_a_call_crosses_the_trunk_with_the_callers_identity(servers):
    own = _office(servers.row)

    for host in servers:
        shows(host, f"only {own[host.name]}'s keys and endpoint", lambda h=host: _holds_only(h, own[h.name]))
        assert file_sections(host) == {own[host.name]}
        assert file_sections(host, "pjsip.aor.conf") == {own[host.name]}
        assert iax_peers(host) == {f"pbx-{other}" for other in servers.names if other != host.name}
        # The other servers' users are reached over the trunk to their own server.
        elsewhere = {number: f"pbx-{name}" for name, number in own.items() if name != host.name}
        shows(host, f"the entries of {sorted(elsewhere)}", lambda h=host, e=elsewhere: remote_entries(h) == e)

    caller, callee = phone_on(servers[MAIN], "1001"), phone_on(servers[B], "2001")
    try:
        _call_rings(caller, callee, servers[B], "2001")
    finally:
        caller.close()
        callee.close()


def test_a_moved_user_takes_their_keys_and_sections_to_the_new_server_and_is_reached_there(servers):
    from directory.servers.moves import move_user

    _office(servers.row)
    b, c = servers[B], servers[C]
    shows(b, "2001's keys", lambda: "2001" in users_held(b))

    move_user(extension="2001", server=servers.row[C])

    shows(b, "2001 gone", lambda: "2001" not in users_held(b) | devices_held(b) | endpoints(b) | mailboxes(b))
    shows(
        c,
        "2001's keys, endpoint and mailbox",
        lambda: {"2001", "3001"} == users_held(c) == devices_held(c) == endpoints(c) == mailboxes(c),
    )
    assert file_sections(b) == set() and file_sections(c) == {"2001", "3001"}
    assert "AMPUSER/2001/cidname" not in b.ast.database("AMPUSER")
    assert c.ast.database("AMPUSER")["AMPUSER/2001/cidname"] == "Bob Branch"
    for host in (servers[MAIN], b):
        shows(
            host,
            "2001 reached over the trunk to branch-c",
            lambda h=host: remote_entries(h).get("2001") == "pbx-branch-c",
        )
    assert "2001" not in remote_entries(c)

    caller, callee = phone_on(servers[MAIN], "1001"), phone_on(c, "2001")
    try:
        _call_rings(caller, callee, c, "2001")
    finally:
        caller.close()
        callee.close()


def test_with_one_server_away_the_others_get_their_changes_and_it_catches_up_when_back(servers):
    from directory.users.extensions import extension_create
    from directory.users.models import PbxUser
    from directory.users.services import user_update

    _office(servers.row)
    main, b, c = servers[MAIN], servers[B], servers[C]
    shows(c, "3001's keys", lambda: "3001" in users_held(c))
    c.ast.stop()

    user_update(user=PbxUser.objects.get(pk="1001"), name="Ana Renamed")
    extension_create(extension="2002", name="Dee New", tech="pjsip", server=servers.row[B])
    user_update(user=PbxUser.objects.get(pk="3001"), name="Cy While Away")

    shows(
        main,
        "1001's new name",
        lambda: main.ast.database("AMPUSER").get("AMPUSER/1001/cidname") == "Ana Renamed",
    )
    shows(b, "2002's keys", lambda: b.ast.database("AMPUSER").get("AMPUSER/2002/cidname") == "Dee New")
    shows(main, "2002 over the trunk", lambda: remote_entries(main).get("2002") == "pbx-branch-b")
    wait_for(lambda: _sync_error(servers.row[C]), "branch-c's status to say it cannot be reached")
    assert not _sync_error(servers.row[MAIN]) and not _sync_error(servers.row[B])

    c.ast.start()

    shows(
        c,
        "3001's name changed while it was away",
        lambda: c.ast.database("AMPUSER").get("AMPUSER/3001/cidname") == "Cy While Away",
    )
    shows(c, "2002 over the trunk", lambda: remote_entries(c).get("2002") == "pbx-branch-b")
    wait_for(lambda: not _sync_error(servers.row[C]), "branch-c's error to clear")
    assert users_held(c) == {"3001"}
