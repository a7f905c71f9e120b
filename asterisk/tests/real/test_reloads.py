"""A change reloads only what its files need, as Asterisk's own log shows ("Reloading module …",
and the config files a dialplan or voicemail reload parses); a change to AstDB alone reloads nothing."""

import os
import time

import pytest
from django.core.management import call_command

from asterisk import sync
from asterisk.files import write_all_files
from asterisk.models import SyncChange
from directory.devices.models import Device
from directory.devices.services import device_update
from directory.users.extensions import extension_create, extension_update
from directory.users.models import PbxUser

pytestmark = pytest.mark.asterisk


def _office():
    extension_create(extension="2001", name="Ana Müller", tech="pjsip")
    extension_create(extension="2002", name="Bob O'Brien", tech="sip")
    extension_create(extension="2003", name="Cy", tech="iax2")
    call_command("asterisk_sync", "--full")


def _reloads(pbx, change) -> list[str]:
    mark = pbx.log_mark()
    change()
    sync.run_sync()
    pbx.cli("core show uptime")  # a round trip: whatever the reloads logged is in the log now
    return pbx.reloads_since(mark)


def test_a_change_to_astdb_alone_reloads_nothing(pbx):
    _office()

    reloads = _reloads(pbx, lambda: extension_update(user=PbxUser.objects.get(pk="2002"), ringtimer=25))

    assert reloads == []
    assert pbx.database("AMPUSER/2002")["AMPUSER/2002/ringtimer"] == "25"


@pytest.mark.parametrize(
    "device_id, setting, module, shown",
    [
        ("2001", "dtmfmode", "res_pjsip.so", ("pjsip show endpoint 2001", "dtmf_mode", "info")),
        ("2002", "dtmfmode", "chan_sip.so", ("sip show peer 2002", "DTMFmode", "info")),
        ("2003", "qualify", "chan_iax2.so", None),
    ],
)
def test_a_device_setting_reloads_only_its_module(pbx, device_id, setting, module, shown):
    _office()
    device = Device.objects.select_related("endpoint").get(pk=device_id)
    value = {"dtmfmode": "info", "qualify": "no"}[setting]
    if setting not in device.endpoint.settings:
        pytest.fail(f"{device_id} has no setting {setting}: {sorted(device.endpoint.settings)}")

    reloads = _reloads(pbx, lambda: device_update(device=device, settings={setting: value}))

    assert reloads == [module]
    if shown:
        command, label, expected = shown
        line = next(line for line in pbx.cli(command).splitlines() if label in line)
        assert expected in line


def test_after_a_restart_a_full_sync_reloads_nothing_asterisk_read_at_its_start(pbx):
    _office()
    call_command("writeconf")  # every file as it should be; nothing of it reloaded yet
    write_all_files()
    long_ago = time.time() - 120
    for path in pbx.etc.iterdir():
        if path.is_file():
            os.utime(path, (long_ago, long_ago))
    SyncChange.objects.create(kind=SyncChange.Kind.RELOAD, ref="res_pjsip.so")  # queued before the restart
    pbx.restart()

    mark = pbx.log_mark()
    call_command("asterisk_sync", "--full")
    pbx.cli("core show uptime")
    assert pbx.reloads_since(mark) == [], "Asterisk read these files when it started"
    assert not SyncChange.objects.exists()

    # A file written after the start is reloaded.
    device = Device.objects.get(pk="2001")
    assert _reloads(pbx, lambda: device_update(device=device, settings={"dtmfmode": "info"})) == [
        "res_pjsip.so"
    ]
