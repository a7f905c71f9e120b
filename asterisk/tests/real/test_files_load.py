"""Every technology's generated files load into a real Asterisk 20 with no warning about them.

Judged by Asterisk itself: its log (no WARNING or ERROR naming one of our files
or sections) and its CLI (each device is there, as the technology's module
read it). DAHDI is parsed only (chan_dahdi is not built here): Asterisk's own
config parser reads chan_dahdi.conf with our file included, over AMI GetConfig.
"""

import pytest

from asterisk import ami, sync
from asterisk.files import write_all_files
from asterisk.render.generate import FILE_SOURCE
from directory.devices.services import device_create
from directory.users.extensions import extension_create
from directory.users.services import user_create

pytestmark = pytest.mark.asterisk


def _office():
    """One extension of each technology, an adhoc phone of each SIP stack, voicemail, a virtual user."""
    extension_create(extension="2001", name="Ana Pjsip", tech="pjsip", voicemail="default")
    extension_create(extension="2002", name="Bob Sip", tech="sip", voicemail="default")
    extension_create(extension="2003", name="Cy Iax", tech="iax2")
    extension_create(extension="2004", name="Di Dahdi", tech="dahdi", settings={"channel": "4"})
    extension_create(extension="2005", name="Ed Custom", tech="custom", dial="Local/2005@from-internal")
    user_create(extension="2099", name="Vic Virtual")
    device_create(id="3001", tech="pjsip", devicetype="adhoc", description="Shared desk")
    device_create(id="3002", tech="sip", devicetype="adhoc", description="Shared sip desk")


def _names_to_watch(pbx) -> list[str]:
    return [*FILE_SOURCE, "2001", "2002", "2003", "2004", "3001", "3002"]


def _load(pbx) -> int:
    mark = pbx.log_mark()
    write_all_files()
    sync.run_sync()
    # The reloads are done once the last one answered; give the log a moment to be flushed.
    pbx.cli("core show uptime")
    return mark


def test_every_technology_loads_without_a_warning_about_our_files(pbx):
    _office()
    mark = _load(pbx)

    assert pbx.problems(since=mark, about=_names_to_watch(pbx)) == []
    assert "2001" in pbx.cli("pjsip show endpoint 2001")
    assert "3001" in pbx.cli("pjsip show endpoints")
    peer = pbx.cli("sip show peer 2002")
    assert "Secret       : <Set>" in peer
    assert '"device" <2002>' in peer
    assert "2003" in pbx.cli("iax2 show peer 2003")
    assert "'2001' =>" in pbx.cli("dialplan show 2001@ext-local")
    assert "2099" in pbx.cli("dialplan show 2099@ext-local")
    mailboxes = pbx.cli("voicemail show users")
    assert "2001" in mailboxes and "2002" in mailboxes


def test_a_restart_loads_the_same_files_with_no_warning(pbx):
    _office()
    _load(pbx)
    mark = pbx.log_mark()
    pbx.restart()

    assert pbx.problems(since=mark, about=_names_to_watch(pbx)) == []
    assert "2001" in pbx.cli("pjsip show endpoint 2001")
    assert "2002" in pbx.cli("sip show peer 2002")


def test_dahdi_file_is_read_by_asterisk_config_parser(pbx):
    _office()
    _load(pbx)
    (pbx.etc / "chan_dahdi.conf").write_text("[channels]\n#include chan_dahdi_additional.conf\n")

    async def get(session):
        return await session.send_one({"Action": "GetConfig", "Filename": "chan_dahdi.conf"})

    reply = ami.run(get)
    assert reply.success, reply
    lines = [v for k, v in reply.items() if k.startswith("Line-")]
    # GetConfig writes `channel=>4` back as a plain key and value.
    assert "channel=4" in lines
    assert "callerid=device <2004>" in lines
