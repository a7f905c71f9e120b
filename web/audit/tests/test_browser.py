"""The Audit page in Debian's chromium after a change made on the Extensions page (screenshot saved)."""

import pytest

from web.tests.test_browser import add_extension, log_in, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_audit_page_shows_a_change_made_on_the_extensions_page(page):
    log_in(page)
    add_extension(page, "PJSIP", "2001", "Anna Alvarez", "30-audit")
    page.goto("/extensions/2001/")
    page.fill("#id_name", "Anna B. Alvarez")
    page.click("button:has-text('Save')")
    assert page.locator("text=Extension 2001 saved.").is_visible()
    page.click("text=History")
    table = page.inner_text("#audit-entries")
    assert "name: Anna Alvarez → Anna B. Alvarez" in table and "alice-admin" in table
    # The creation is one entry; each object's fields are folded under its name.
    assert "Secret: changed" not in table
    page.click("#audit-entries summary:has-text('Endpoint settings 2001')")
    assert "Secret: changed" in page.inner_text("#audit-entries")
    shot(page, "31-audit-history")
    page.click("nav >> text=Audit")
    page.select_option("#id_action", "created")
    page.click("#audit-filters button:has-text('Filter')")
    assert "Changed" not in page.inner_text("#audit-entries")
    shot(page, "32-audit-filtered")
