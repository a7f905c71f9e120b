"""The flows an administrator walks through, in Debian's chromium driven by Playwright.

Screenshots of every page land in test-artifacts/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from asterisk.astdb import desired_keys
from asterisk.render.conf import parse_conf
from directory.devices.models import Device
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from web.testing.personas import administrator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
PATIENCE_MS = 60_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"no {CHROMIUM}; CI installs it")
    # Playwright's sync API runs an event loop in this thread; the test's own
    # ORM calls are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    # Generous: a busy machine is slow, not wrong; every wait ends when its condition holds.
    page.set_default_timeout(PATIENCE_MS)
    expect.set_options(timeout=PATIENCE_MS)
    # The Content-Security-Policy must never have to block anything the portal itself sends.
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert not refused, "\n".join(refused)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page) -> None:
    user = administrator()
    user.set_password("Browser-test-pass-91")
    user.save()
    page.goto("/")
    assert "/login/" in page.url
    shot(page, "01-login")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "Browser-test-pass-91")
    page.click("button[type=submit]")
    page.wait_for_url("**/extensions/")


def add_extension(page, tech_label: str, number: str, name: str, shot_prefix: str) -> None:
    page.click("text=Add extension")
    shot(page, f"{shot_prefix}-tech-choice")
    page.click(f"text={tech_label}")
    page.fill("#id_extension", number)
    page.fill("#id_name", name)
    page.click("button[data-reveal]")
    assert page.input_value("#id_secret"), "a generated secret is filled in"
    shot(page, f"{shot_prefix}-form")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/extensions/")
    expect(page.locator(f"text=Extension {number} ({name}) created.")).to_be_visible()


def test_adding_pjsip_and_sip_extensions_writes_them_with_the_device_callerid(page, conf_dir):
    log_in(page)
    add_extension(page, "PJSIP", "2001", "Anna Alvarez", "02-pjsip")
    add_extension(page, "SIP (chan_sip)", "2002", "Bruno Bauer", "03-sip")
    shot(page, "04-extension-list")

    endpoint = parse_conf((conf_dir / "pjsip.endpoint.conf").read_text())
    assert dict(endpoint.get("2001"))["callerid"] == "device <2001>"
    sip = parse_conf((conf_dir / "sip_additional.conf").read_text())
    assert dict(sip.get("2002"))["callerid"] == "device <2002>"

    page.fill("input[name=q]", "Bruno")
    page.click("button:has-text('Show')")
    expect(page.locator("tbody tr")).to_have_count(1)
    page.click("text=2002")
    shot(page, "05-extension-edit")
    page.fill("#id_name", "Bruno B. Bauer")
    page.click("button:has-text('Save')")
    expect(page.locator("text=Extension 2002 saved.")).to_be_visible()
    page.click("text=Config preview")
    assert "callerid=device <2002>" in page.inner_text("pre")
    shot(page, "06-config-preview")
    page.goto("/config/")
    assert page.locator(".badge:has-text('up to date')").count() >= 4
    shot(page, "07-config-files")
    page.goto("/extensions/2002/delete/")
    shot(page, "08-delete-confirm")
    page.click("button:has-text('Delete')")
    expect(page.locator("text=Extension 2002 deleted.")).to_be_visible()
    assert "2002" not in parse_conf((conf_dir / "sip_additional.conf").read_text()).section_names()


def test_hot_desking_in_deviceanduser_mode(page):
    log_in(page)
    page.goto("/settings/")
    page.check("input[value=deviceanduser]")
    shot(page, "10-settings")
    page.click("button:has-text('Save')")
    page.click("nav >> text=Users")

    page.click("text=Add user")
    page.fill("#id_extension", "1000")
    page.fill("#id_name", "Dana Diaz")
    page.fill("#id_password", "4711")
    shot(page, "11-user-add")
    page.click("button:has-text('Save')")
    expect(page.locator("text=User 1000 (Dana Diaz) created.")).to_be_visible()

    for device_id, kind, default_user in (("2001", "fixed", "1000"), ("3001", "adhoc", "")):
        page.goto("/devices/add/")
        page.click("text=PJSIP")
        page.fill("#id_id", device_id)
        page.fill("#id_description", f"Desk {device_id}")
        page.select_option("#id_devicetype", kind)
        if default_user:
            page.fill("#id_default_user", default_user)
        shot(page, f"12-device-add-{kind}")
        page.click("button:has-text('Save')")
        expect(page.locator(f"text=Device {device_id} created.")).to_be_visible()

    page.goto("/devices/")
    shot(page, "13-device-list")
    page.goto("/devices/3001/")
    page.fill("#hotdesk input[name=extension]", "1000")
    page.click("#hotdesk button:has-text('Log in')")
    expect(page.locator("text=logged into device 3001")).to_be_visible()
    shot(page, "14-device-hotdesk")
    assert desired_keys(users=["1000"])["AMPUSER/1000/device"] == "2001&3001"

    page.goto("/users/1000/")
    devices_now = page.inner_text("#devices-now")
    assert "2001" in devices_now and "3001" in devices_now
    shot(page, "15-user-page")
    page.click("#devices-now button:has-text('Log off this phone')")
    expect(page.locator("text=Device 3001 logged out")).to_be_visible()
    assert desired_keys(users=["1000"])["AMPUSER/1000/device"] == "2001"
    page.goto("/users/")
    shot(page, "16-user-list")


def test_bulk_import_with_a_correction_and_live_progress(page, settings, asterisk):

    log_in(page)
    rows = [f"{5000 + n},Person {n},{'sip' if n % 3 else 'pjsip'}" for n in range(400)]
    broken = "\n".join(["extension,name,tech", *rows, "50x1,Typo,sip"]) + "\n"
    page.click("nav >> text=Bulk import")
    shot(page, "20-bulk-upload")
    page.set_input_files(
        "#id_file", files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": broken.encode()}]
    )
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("#counts")  # the check ran in the background, then its result
    assert page.locator("#problems").inner_text().count("Use digits only") == 1
    expect(page.locator("text=cannot be imported")).to_be_visible()
    shot(page, "21-bulk-preview-error")

    page.click("text=Upload a corrected file")
    fixed = broken.replace("50x1,Typo,sip", "5401,Typo Fixed,sip")
    page.set_input_files(
        "#id_file", files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": fixed.encode()}]
    )
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("#counts")
    assert page.inner_text("#counts").startswith("401 create")
    shot(page, "22-bulk-preview-ok")
    page.click("button:has-text('Import')")
    # A locator, not wait_for_function: a string predicate is eval'd, which the CSP refuses.
    page.locator("#import-progress[aria-valuenow='100'], #result").first.wait_for()
    shot(page, "23-bulk-progress")
    page.wait_for_url("**/result/")
    assert "401 created" in page.inner_text("#result")
    shot(page, "24-bulk-result")
    assert PbxUser.objects.count() == 401


def test_a_stale_check_is_checked_again_before_anything_is_written(page, settings):
    """Issue 13, finding 2: a check left unconfirmed while the same extensions were made another way."""
    log_in(page)
    text = "extension,name,tech,secret\n1000,Ana,sip,REGEN\n1001,Ben,sip,REGEN\n"
    page.click("nav >> text=Bulk import")
    page.set_input_files(
        "#id_file", files=[{"name": "office.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("#counts")
    assert page.inner_text("#counts").startswith("2 create")
    shot(page, "30-stale-check-first-check")

    # Meanwhile the same extensions are made another way.
    for number, name in (("1000", "Ana by hand"), ("1001", "Ben by hand")):
        extension_create(extension=number, name=name, tech="sip")
    secrets = {d.pk: d.endpoint.settings["secret"] for d in Device.objects.select_related("endpoint")}

    page.click("nav >> text=Bulk import")
    page.click("#recent >> text=office.csv")
    assert "Checked" in page.inner_text("#check-age")
    assert page.is_checked("input[value=skip]"), "skip existing is the default"
    shot(page, "31-stale-check-waiting")
    page.click("button:has-text('Import')")
    page.wait_for_selector("#rechecked")
    assert "changed since the check" in page.inner_text("#rechecked")
    assert page.inner_text("#counts").startswith("0 create")
    assert "2 skip" in page.inner_text("#counts")
    shot(page, "32-stale-check-checked-again")
    assert {d.pk: d.endpoint.settings["secret"] for d in Device.objects.select_related("endpoint")} == secrets
    assert set(PbxUser.objects.values_list("name", flat=True)) == {"Ana by hand", "Ben by hand"}
