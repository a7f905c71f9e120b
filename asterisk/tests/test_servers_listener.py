"""`ami_events` with several servers: one link per server, each with its own state; a server
whose Asterisk goes away makes only its own phones' states stale."""

import pytest

from asterisk.ami import AmiConfig
from asterisk.banner import server_states
from asterisk.models import ListenerState, ListenerStatus
from asterisk.selectors import device_states
from asterisk.testing.ami_server import AmiTestServer
from asterisk.testing.listener import eventually, running_listener
from directory.devices.models import Device
from directory.servers.current import default
from directory.servers.models import Server

pytestmark = pytest.mark.django_db(transaction=True)


def _link(server: Server) -> str:
    row = ListenerStatus.objects.filter(server=server).first()
    return row.state if row else ""


def test_each_server_has_its_own_link_and_one_down_stales_only_its_phones(settings):
    with AmiTestServer(secret="main-secret") as main_ami, AmiTestServer(secret="branch-secret") as branch_ami:
        settings.AMI_HOST, settings.AMI_PORT = "127.0.0.1", main_ami.port
        settings.AMI_USERNAME, settings.AMI_SECRET = main_ami.username, main_ami.secret
        main = default()
        branch = Server.objects.create(
            name="branch",
            ami_host="127.0.0.1",
            ami_port=branch_ami.port,
            ami_username=branch_ami.username,
            ami_secret=branch_ami.secret,
        )
        Device.objects.create(id="1000", tech="pjsip", dial="PJSIP/1000", server=main)
        Device.objects.create(id="2000", tech="pjsip", dial="PJSIP/2000", server=branch)
        options = {"flush_interval": 0.05, "first_delay": 0.05, "max_delay": 0.2}
        with (
            running_listener(AmiConfig.for_server(main), server=main, **options),
            running_listener(AmiConfig.for_server(branch), server=branch, **options),
        ):
            eventually(lambda: _link(main) == _link(branch) == ListenerState.CONNECTED, what="both links")
            branch_ami.stop()
            eventually(lambda: _link(branch) == ListenerState.DOWN, what="the branch's link to drop")
            assert _link(main) == ListenerState.CONNECTED
            states = device_states(["1000", "2000"])
            assert (states["1000"].stale, states["2000"].stale) == (False, True)
            assert {one.name: one.state for one in server_states()}["branch"] == "unreachable"
