"""The trunks between servers and the dialplan that uses them load into a real Asterisk 20 with no
warning about them (two real servers calling each other: `asterisk/tests/real`)."""

import pytest

from asterisk import sync
from asterisk.files import write_all_files
from asterisk.render.generate import FILE_SOURCE
from directory.servers.models import Server
from directory.users.extensions import extension_create

pytestmark = pytest.mark.asterisk


def test_a_second_servers_trunk_and_users_load_without_a_warning(pbx):
    branch = Server.objects.create(name="branch", iax_host="127.0.0.1", iax_port=4599)
    extension_create(extension="2001", name="Ana Main", tech="pjsip", voicemail="default")
    extension_create(extension="2002", name="Bob Branch", tech="iax2", voicemail="default", server=branch)
    mark = pbx.log_mark()
    write_all_files()
    sync.run_sync()
    pbx.cli("core show uptime")

    assert pbx.problems(since=mark, about=[*FILE_SOURCE, "pbx-branch", "2001", "2002"]) == []
    peer = pbx.cli("iax2 show peer pbx-branch")
    assert "Addr->IP     : 127.0.0.1 Port 4599" in peer
    assert "Trunk        : Yes" in peer
    assert "Username     : pbx-main" in peer
    assert "Secret       : <Set>" in peer
    assert "Context      : from-internal-servers" in peer
    assert "sub-dial-server" in pbx.cli("dialplan show 2002@ext-remote")
    assert "'2001' =>" in pbx.cli("dialplan show 2001@from-internal-servers")
    assert "2002" not in pbx.cli("dialplan show from-internal-servers")
    # The remote user is reached from the phones' context, after the local ones.
    assert "sub-dial-server" in pbx.cli("dialplan show 2002@from-internal-additional")
