"""A user's dialplan changes live: no `dialplan reload` for adding, deleting or re-attaching a user,
a restart loads the same dialplan from the file, and a slow reload is waited for, never called
"unreachable". Judged by Asterisk: `dialplan show`, `core show hints`, and its log (a dialplan
reload parses extensions.conf; the debug log names every file it parses)."""

import re
import threading
import time

import pytest
from django.core.management import call_command

from asterisk.banner import banner
from asterisk.files import write_all_files
from asterisk.models import SyncStatus
from asterisk.sync import run_reloads, run_requested
from asterisk.testing.pbx import wait_for
from asterisk.tests.real.helpers import registered, wait_channel
from directory.devices.models import Device
from directory.devices.services import device_create, device_login
from directory.users.extensions import extension_create, extension_delete
from directory.users.models import PbxUser
from portal.mode import EXTENSIONS, pbx_mode

pytestmark = pytest.mark.asterisk


def _hint(pbx, number: str) -> str | None:
    match = re.search(rf"^\s*{number}@ext-local\s*:\s*(\S+)", pbx.cli("core show hints"), re.M)
    return match.group(1) if match else None


def _listed(pbx, number: str) -> bool:
    return f"'{number}' =>" in pbx.cli(f"dialplan show {number}@ext-local")


def _ext_local(pbx) -> list[str]:
    """`dialplan show ext-local` without where each line came from (the file, or pbx_config when
    added live): the lines themselves, in order."""
    lines = []
    for line in pbx.cli("dialplan show ext-local").splitlines():
        line = re.sub(r"\s*\[[^\]]*\]\s*$", "", line).rstrip()
        if line.strip() and not line.startswith(("[ Context", "-=")):
            lines.append(" ".join(line.split()))
    return lines


def _office():
    extension_create(extension="2001", name="Ana", tech="pjsip")
    extension_create(extension="2002", name="Bob", tech="sip")
    device_create(id="3001", tech="pjsip", devicetype="adhoc", description="Shared desk")
    call_command("asterisk_sync", "--full")


def test_adding_deleting_and_reattaching_users_change_the_running_dialplan_without_a_reload(pbx, phone):
    _office()
    mark = pbx.log_mark()

    extension_create(extension="2003", name="Cy New", tech="pjsip")  # syncs at its commit
    assert _listed(pbx, "2003")
    assert _hint(pbx, "2003") == "PJSIP/2003"
    device_login(device=Device.objects.get(pk="3001"), user=PbxUser.objects.get(pk="2003"))
    assert _hint(pbx, "2003") == "PJSIP/2003&PJSIP/3001"
    extension_delete(user=PbxUser.objects.get(pk="2002"))
    assert not _listed(pbx, "2002")
    assert _hint(pbx, "2002") is None

    pbx.cli("core show uptime")
    assert "dialplan" not in pbx.reloads_since(mark), "no dialplan reload for a user's change"
    assert SyncStatus.get().last_error == ""
    # And the new user is reachable at once: a call rings their phone.
    callee, caller = phone("2003"), phone("2001")
    wait_for(lambda: registered(pbx, "2003", "pjsip") and registered(pbx, "2001", "pjsip"), "both phones")
    caller.dial("2003")
    wait_channel(pbx, "PJSIP/2003-", "Ringing")
    callee.wait_event("CALL_INCOMING")
    caller.hangup()


def test_a_restart_loads_the_same_dialplan_the_live_changes_made(pbx):
    _office()
    extension_create(extension="2003", name="Cy New", tech="pjsip")
    device_login(device=Device.objects.get(pk="3001"), user=PbxUser.objects.get(pk="2001"))
    extension_delete(user=PbxUser.objects.get(pk="2002"))
    live = _ext_local(pbx)
    assert any("2003" in line for line in live) and not any("'2002'" in line for line in live)

    pbx.restart()

    assert _ext_local(pbx) == live
    assert _hint(pbx, "2001") == "PJSIP/2001&PJSIP/3001"


def test_a_dialplan_reload_slower_than_ami_timeout_ends_in_success_and_never_reads_unreachable(pbx, settings):
    from web.testing.seed import seed_extensions

    # Thousands of hints make a dialplan reload take Asterisk seconds: longer than AMI_TIMEOUT.
    seed_extensions(6000)
    write_all_files()
    call_command("asterisk_sync", "--full")  # every key and the whole dialplan, once
    settings.AMI_TIMEOUT = 1
    # A change of the static dialplan (the default ring time) is what still takes a reload.
    settings.PBXADMIN_RINGTIME_DEFAULT = 23
    write_all_files()

    seen: set[str] = set()
    done = threading.Event()

    def watch():
        from django.db import connection

        try:
            while not done.is_set():
                seen.add(banner(per_extension=pbx_mode() == EXTENSIONS).state)
                time.sleep(0.05)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    mark = pbx.log_mark()
    started = time.monotonic()
    try:
        run_requested(owner="test")  # the files: the dialplan's static part changed
        outcome = run_reloads(owner="test")  # and the reload, as the worker's reload run sends it
    finally:
        done.set()
        watcher.join(30)
    took = time.monotonic() - started

    assert outcome is not None and "dialplan" in outcome.reloads
    assert took > settings.AMI_TIMEOUT, f"the reload took {took:.1f}s: too quick to show anything"
    assert "dialplan" in pbx.reloads_since(mark)
    assert "Set(RT=23)" in pbx.cli("dialplan show s@sub-dial-user")
    print(f"reload run took {took:.1f}s; banner states seen: {sorted(seen)}")
    assert "unreachable" not in seen, seen
    status = SyncStatus.get()
    assert status.last_error == "" and status.reloading == ""
