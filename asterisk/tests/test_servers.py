"""Several Asterisk servers: each holds its own users' keys, a move converges on both, and a
server that is down or busy delays only itself (README "Several servers")."""

import io
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from asterisk.banner import banner, server_states, servers_headline
from asterisk.models import SyncChange, SyncStatus
from asterisk.outbox import IAX_FILE, servers_changed
from asterisk.render.dialplan import FILENAME as DIALPLAN_FILE
from asterisk.tasks import server_queues
from asterisk.testing.ami_server import AmiTestServer
from directory import announce
from directory.devices.models import Device
from directory.servers.current import current, default, using
from directory.servers.models import Server
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(settings, tmp_path):
    """The default server `main` on one fake Asterisk (the settings), `branch` on another (its
    own fields), each with its own folder."""
    with AmiTestServer(secret="main-secret") as main_ami, AmiTestServer(secret="branch-secret") as branch_ami:
        settings.AMI_HOST = "127.0.0.1"
        settings.AMI_PORT = main_ami.port
        settings.AMI_USERNAME = main_ami.username
        settings.AMI_SECRET = main_ami.secret
        settings.AMI_TIMEOUT = 10
        main_ami.conf_dir = settings.ASTERISK_CONF_DIR
        branch_dir = tmp_path / "branch-etc"
        branch_ami.conf_dir = branch_dir
        branch = Server.objects.create(
            name="branch",
            ami_host="127.0.0.1",
            ami_port=branch_ami.port,
            ami_username=branch_ami.username,
            ami_secret=branch_ami.secret,
            conf_dir=str(branch_dir),
        )
        yield main_ami, branch_ami, default(), branch


def _owned(ami) -> set[str]:
    return {k for k in ami.astdb() if k.split("/")[0] in ("AMPUSER", "DEVICE", "CW")}


def _move(extension: str, server: Server) -> None:
    """What moving a user does (the directory's own operation does the same): the user and its
    devices change server, announced as "anything" changed."""
    with transaction.atomic():
        PbxUser.objects.filter(pk=extension).update(server=server)
        devices = list(Device.objects.filter(user_id=extension).values_list("pk", flat=True))
        Device.objects.filter(pk__in=devices).update(server=server)
        announce.changed(users=[extension], devices=devices)


@pytest.fixture
def office(two, committed):
    _main_ami, _branch_ami, _main, branch = two
    committed(extension_create, extension="1000", name="Ann Main", tech="pjsip")
    committed(extension_create, extension="2000", name="Bob Branch", tech="pjsip")
    committed(_move, "2000", branch)
    return two


def test_each_server_holds_only_its_own_users_and_devices(office):
    main_ami, branch_ami, main, branch = office
    assert {"AMPUSER/1000/cidname", "DEVICE/1000/user", "CW/1000"} <= _owned(main_ami)
    assert {"AMPUSER/2000/cidname", "DEVICE/2000/user", "CW/2000"} <= _owned(branch_ami)
    assert not {k for k in _owned(main_ami) if "2000" in k}
    assert not {k for k in _owned(branch_ami) if "1000" in k}
    # Each wrote its files into its own folder, and nothing waits on either.
    assert (main.conf_dir or "") == ""
    with using(branch):
        assert (SyncChange.objects.count(), SyncStatus.get().last_connected_at is not None) == (0, True)
    with using(main):
        assert SyncChange.objects.count() == 0
    assert any(p.name == "extensions_additional.conf" for p in (branch_ami.conf_dir).iterdir())


def test_a_move_deletes_from_the_old_server_and_adds_to_the_new(office, committed):
    main_ami, branch_ami, main, branch = office
    committed(_move, "1000", branch)
    assert not _owned(main_ami)
    assert {"AMPUSER/1000/cidname", "DEVICE/1000/user", "AMPUSER/2000/cidname"} <= _owned(branch_ami)
    committed(_move, "1000", main)
    assert {k for k in _owned(main_ami) if k.startswith("AMPUSER/1000/")}
    assert not {k for k in _owned(branch_ami) if "1000" in k}


def test_a_change_of_some_fields_goes_to_the_users_own_server_only(office, committed, worker_away):
    _main_ami, branch_ami, main, branch = office
    committed(user_update, user=PbxUser.objects.get(pk="2000"), name="Bob Renamed")
    with using(branch):
        assert set(SyncChange.objects.filter(kind="user").values_list("ref", flat=True)) == {"2000"}
    with using(main):
        assert not SyncChange.objects.exists()
    worker_away.come_back()
    from asterisk.tasks import request_sync

    request_sync(force=True)
    assert branch_ami.astdb()["AMPUSER/2000/cidname"] == "Bob Renamed"


def test_a_creation_or_deletion_is_recorded_on_every_server(two, committed, worker_away):
    committed(extension_create, extension="3000", name="Cy", tech="pjsip")
    for server in Server.objects.all():
        with using(server):
            assert set(SyncChange.objects.filter(kind="user").values_list("ref", flat=True)) == {"3000"}


def test_servers_changed_rewrites_the_iax_file_and_the_dialplan_everywhere(two, worker_away):
    with transaction.atomic():
        servers_changed()
    for server in Server.objects.all():
        with using(server):
            assert set(SyncChange.objects.values_list("ref", flat=True)) == {IAX_FILE, DIALPLAN_FILE}


def test_a_server_that_does_not_answer_delays_no_other(office, committed, settings):
    main_ami, branch_ami, main, branch = office
    settings.AMI_TIMEOUT = 2
    branch_ami.stall = True
    # A run of the branch's is under way (stuck on its silent Asterisk): its lease is its own.
    with using(branch):
        assert SyncStatus.acquire("stuck-worker/1/1", timedelta(minutes=5))
    started = time.monotonic()
    committed(user_update, user=PbxUser.objects.get(pk="1000"), name="Ann Quick")
    assert main_ami.astdb()["AMPUSER/1000/cidname"] == "Ann Quick"
    assert time.monotonic() - started < 2
    # A change on every server: the main one is synced; the branch's waits for its own run.
    committed(extension_create, extension="3000", name="Cy", tech="pjsip")
    assert "AMPUSER/3000/cidname" in main_ami.astdb()
    with using(branch):
        assert SyncChange.objects.filter(kind="user", ref="3000").exists()
    with using(main):
        assert not SyncChange.objects.exists()


def test_a_server_down_is_its_own_line_in_the_banner(office, committed):
    main_ami, branch_ami, _main, branch = office
    branch_ami.stop()
    committed(extension_create, extension="3000", name="Cy", tech="pjsip")
    assert "AMPUSER/3000/cidname" in main_ami.astdb()
    states = {one.name: one.state for one in server_states()}
    assert states == {"main": "connected", "branch": "unreachable"}
    shown = banner(per_extension=True)
    since = timezone.localtime(branch.sync_status.last_error_at).strftime("%H:%M")
    assert shown.headline == f"1 server connected, 1 unreachable: branch since {since}"
    assert shown.state == "unreachable"
    assert shown.detail.startswith("branch: Asterisk unreachable.")


def test_one_server_keeps_todays_banner(two):
    Server.objects.filter(name="branch").delete()
    assert banner(per_extension=True).headline == "Not connected to Asterisk yet"


def test_the_headline_counts_servers_by_state():
    from asterisk.banner import ServerState

    at = timezone.now().replace(hour=10, minute=42)
    states = [
        ServerState("main", "connected", at),
        ServerState("branch-1", "connected", at),
        ServerState("branch-3", "connected", at),
        ServerState("branch-2", "unreachable", timezone.localtime(at)),
    ]
    assert servers_headline(states) == "3 servers connected, 1 unreachable: branch-2 since 10:42"


def test_each_server_has_its_queue_and_current_is_the_default_outside_a_run(two):
    assert server_queues() == ["pbx.main", "pbx.branch"]
    assert current().name == "main"


def test_writeconf_and_asterisk_sync_take_a_server(office):
    _main_ami, _branch_ami, _main, branch = office
    out = io.StringIO()
    call_command("writeconf", "--server", "branch", stdout=out)
    assert "(branch)" in out.getvalue() and str(branch.conf_dir) in out.getvalue()
    out = io.StringIO()
    call_command("asterisk_sync", stdout=out)
    assert out.getvalue().startswith("main:") and "branch:" in out.getvalue()
    with pytest.raises(Exception, match="no server called 'nowhere'"):
        call_command("asterisk_sync", "--server", "nowhere")


def test_a_servers_runs_go_to_its_own_queue(two):
    """Published for real (kombu's in-memory broker): the branch's run waits on pbx.branch with
    the branch's id, and nothing reaches the main server's queue."""
    from kombu import Connection

    from asterisk import tasks
    from pbxadmin.celery import app as celery_app

    _main_ami, _branch_ami, _main, branch = two
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)

    def point_at(url: str, eager: bool) -> None:
        celery_app.conf.update(broker_url=url, task_always_eager=eager)
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    point_at("memory://", False)
    try:
        with using(branch):
            assert tasks._enqueue()
    finally:
        point_at(*saved)
    with Connection("memory://") as connection:
        queue = connection.SimpleQueue("pbx.branch")
        message = queue.get(timeout=2)
        assert message.headers["task"] == "asterisk.tasks.sync_asterisk"
        assert message.decode()[0] == [branch.pk]
        message.ack()
        queue.close()
        empty = connection.SimpleQueue("pbx.main")
        with pytest.raises(empty.Empty):
            empty.get(timeout=0.2)
        empty.close()


def test_a_run_queued_for_a_server_deleted_since_does_nothing(two):
    from asterisk.tasks import reload_asterisk, sync_asterisk, write_config_files

    gone = Server.objects.create(name="gone")
    pk = gone.pk
    gone.delete()
    assert sync_asterisk.apply(args=(pk,)).get() == {"ran": False}
    assert reload_asterisk.apply(args=(pk,)).get() == {"ran": False}
    assert write_config_files.apply(args=(pk,)).get() == {"written": []}


def test_the_config_files_page_reads_the_server_in_use(two, committed):
    from asterisk.config_files import config_files, rewrite_file

    _main_ami, _branch_ami, main, branch = two
    committed(extension_create, extension="1000", name="Ann", tech="pjsip")
    with using(branch):
        names = {f["name"]: f["state"] for f in config_files(viewer=False)}
        assert names["extensions_additional.conf"] == "current"
        committed(rewrite_file, name="extensions_additional.conf")
        assert not SyncChange.objects.exists()
    with using(main):
        assert {f["name"] for f in config_files(viewer=False)} == set(names)


@pytest.mark.django_db
def test_with_the_servers_table_emptied_the_default_server_is_made_again_everywhere(settings):
    """A test's flush empties every table: the banner, the requests and the outbox still find
    the default server (made again), as a single PBX always had."""
    Server.objects.all().delete()
    assert banner(per_extension=True).headline == "Not connected to Asterisk yet"
    assert server_queues() == ["pbx.main"]
    Server.objects.all().delete()
    with transaction.atomic():
        servers_changed()
    assert set(SyncChange.every_server.values_list("ref", flat=True)) == {IAX_FILE, DIALPLAN_FILE}


def test_a_server_with_a_host_of_its_own_never_gets_the_settings_secret(settings):
    from asterisk.ami import AmiConfig

    settings.AMI_HOST, settings.AMI_SECRET = "127.0.0.1", "settings-secret"
    main = default()
    assert AmiConfig.for_server(main).secret == "settings-secret"
    elsewhere = Server.objects.create(name="far", ami_host="192.0.2.7", ami_secret="")
    config = AmiConfig.for_server(elsewhere)
    assert (config.host, config.secret) == ("192.0.2.7", "")
    assert "secret" not in repr(config)


def test_a_worker_with_no_queue_named_takes_the_default_servers_queue_only(settings):
    """Never every server's unless told (--all-servers): a host would write another PBX's files."""
    from types import SimpleNamespace

    from asterisk.tasks import default_server_queue
    from pbxadmin.celery import _which_queues

    def mode(**options):
        worker = SimpleNamespace()
        _which_queues(sender=None, instance=worker, options=options)
        return worker.servers_queues

    assert mode() == "default"
    assert mode(queues=["pbx.far"]) is None
    assert mode(queues=["pbx.far"], all_servers=True) == "all"
    Server.objects.create(name="far", ami_host="192.0.2.7")
    assert default_server_queue() == default().queue
    assert set(server_queues()) == {default().queue, Server.objects.get(name="far").queue}
