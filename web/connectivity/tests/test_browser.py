"""An administrator adds a trunk and an outbound route through the pages, in Debian's chromium
driven by Playwright (the fixtures are the portal's browser tests', web/tests/test_browser.py)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from asterisk.models import RegistrationState, TrunkRegistration
from directory.connectivity.models import OutboundRoute, Trunk
from web.tests.test_browser import browser, log_in, page, shot  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_a_trunk_then_an_outbound_route_over_it(page):  # noqa: F811
    log_in(page)
    page.click("text=Connectivity")
    page.click("a.dropdown-item:has-text('Trunks')")
    page.wait_for_url("**/connectivity/trunks/")
    page.click("text=Add trunk")
    page.click("text=PJSIP")
    page.fill("#id_name", "carrier")
    page.fill("#id_host", "sip.example.net")
    page.fill("#id_username", "office")
    page.click("[data-generate='#id_secret']")
    expect(page.locator("#id_secret")).not_to_have_value("")
    page.check("#id_register")
    page.fill("#id_rule_1_prefix", "0")
    page.fill("#id_rule_1_match", "NXXXXXXXX")
    page.fill("#id_rule_1_prepend", "0044")
    shot(page, "connectivity-01-trunk-form")
    page.click("button:has-text('Save')")
    expect(page.locator(".alert-success")).to_contain_text("Trunk carrier created.")
    trunk = Trunk.objects.get(name="carrier")
    assert trunk.register and len(trunk.secret) >= 12
    # Write-only: the secret saved is not in the page that follows.
    assert trunk.secret not in page.content()

    page.goto("/connectivity/trunks/")
    expect(page.locator("tr[data-trunk='carrier']")).to_contain_text("Unknown")
    # The carrier accepts the registration (as the AMI event listener records it): the open list
    # shows it without a reload, as the phones' marks do.
    now = timezone.now()
    TrunkRegistration.objects.create(
        tech="pjsip", host="sip.example.net", port=0, username="office",
        state=RegistrationState.REGISTERED, since=now, updated_at=now,
    )  # fmt: skip
    expect(page.locator("tr[data-trunk='carrier'] [data-trunk-state]")).to_have_attribute(
        "data-trunk-state", "registered"
    )
    shot(page, "connectivity-02-trunks")

    page.goto("/connectivity/outbound/add/")
    page.fill("#id_name", "National")
    page.fill("#id_pattern_1_prefix", "9")
    page.fill("#id_pattern_1_match", "NXXNXXXXXX")
    page.select_option("#id_trunk_1", label=str(trunk))
    shot(page, "connectivity-03-route-form")
    page.click("button:has-text('Save')")
    expect(page.locator(".alert-success")).to_contain_text("Outbound route National created.")
    route = OutboundRoute.objects.get(name="National")
    assert [t.name for t in route.trunk_sequence()] == ["carrier"]
    assert route.patterns == [{"prepend": "", "prefix": "9", "match": "NXXNXXXXXX", "callerid": ""}]

    page.goto("/connectivity/outbound/")
    expect(page.locator("tr[data-route='National']")).to_contain_text("carrier")
    page.click("tr[data-route='National'] >> text=National")
    page.click("text=Config preview")
    expect(page.locator("main")).to_contain_text("extensions_additional.conf")
    shot(page, "connectivity-04-route-preview")
