"""An administrator adds a second server on the Servers page, puts a new extension on it and
filters the Extensions list by server, in Debian's chromium driven by Playwright (the fixtures are
the portal's browser tests', web/tests/test_browser.py)."""

import pytest
from playwright.sync_api import expect

from directory.devices.models import Device
from directory.servers.models import Server
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from web.tests.test_browser import browser, log_in, page, shot  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AMI_SECRET = "Browser-Ami-Secret-31"


def test_an_administrator_adds_a_server_and_filters_the_extensions_by_it(page):  # noqa: F811
    extension_create(extension="2001", name="Ann Main", tech="pjsip")
    log_in(page)
    # With one server the Extensions page says nothing of servers.
    page.goto("/extensions/")
    expect(page.locator("select[name='server']")).to_have_count(0)

    page.click("nav >> text=Servers")
    page.wait_for_url("**/servers/")
    expect(page.locator("tr[data-server='main']")).to_contain_text("Default")
    page.click("text=Add server")
    page.fill("#id_name", "branch-1")
    page.fill("#id_ami_host", "10.0.0.2")
    page.fill("#id_ami_port", "5038")
    page.fill("#id_ami_username", "pbxadmin")
    page.fill("#id_ami_secret", AMI_SECRET)
    page.fill("#id_iax_host", "10.0.0.2")
    shot(page, "servers-01-add")
    page.click("button:has-text('Save')")
    expect(page.locator(".alert-success")).to_contain_text("Server branch-1 added")
    expect(page.locator("tr[data-server='branch-1']")).to_contain_text("pbxadmin@10.0.0.2:5038")
    expect(page.locator("tr[data-server='branch-1']")).to_contain_text("pbx.branch-1")
    assert AMI_SECRET not in page.content()
    assert Server.objects.get(name="branch-1").ami_secret == AMI_SECRET
    shot(page, "servers-02-list")

    # Now the extension form offers the server.
    page.goto("/extensions/add/?tech=pjsip")
    page.fill("#id_extension", "2002")
    page.fill("#id_name", "Bob Branch")
    page.select_option("#id_server", "branch-1")
    page.click("button:has-text('Save')")
    expect(page.locator(".alert-success")).to_contain_text("Extension 2002")
    assert PbxUser.objects.get(pk="2002").server.name == "branch-1"
    assert Device.objects.get(pk="2002").server.name == "branch-1"

    page.goto("/extensions/")
    expect(page.locator("main table")).to_contain_text("Ann Main")
    page.select_option("select[name='server']", "branch-1")  # applies itself (data-autosubmit)
    page.wait_for_url("**server=branch-1**")
    expect(page.locator("main table")).to_contain_text("Bob Branch")
    expect(page.locator("main table")).not_to_contain_text("Ann Main")
    expect(page.locator("td[data-server='branch-1']")).to_have_count(1)
    shot(page, "servers-03-filtered")
