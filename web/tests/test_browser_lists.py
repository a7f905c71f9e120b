"""The lists and the banner in Debian's chromium: screenshots at 1366 px and 800 px, and Sync now's outcome."""

import pytest

from portal.mode import set_pbx_mode
from web.testing.seed import seed_extensions
from web.tests.test_browser import browser, log_in, shot  # noqa: F401 (the browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server, settings):  # noqa: F811
    settings.ALLOWED_HOSTS = ["*"]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.missing = missing
    yield page
    context.close()


def test_the_lists_hold_at_1366_and_800_pixels(page):
    seed_extensions(300, start=1000)
    log_in(page)
    for width in (1366, 800):
        page.set_viewport_size({"width": width, "height": 900})
        set_pbx_mode(mode="extensions")
        page.goto("/extensions/?per_page=25&page=3")
        assert page.locator(".pagination").is_visible()
        shot(page, f"30-extensions-{width}")
        page.select_option("select[name=tech]", "sip")
        page.wait_for_url("**tech=sip**")
        assert page.locator("tbody tr").count() == 25
        set_pbx_mode(mode="deviceanduser")
        page.goto("/users/")
        shot(page, f"31-users-{width}")
        page.goto("/devices/?devicetype=fixed")
        shot(page, f"32-devices-{width}")
        # At 800 px the menu folds behind its button, so the user name cannot run into Settings.
        assert page.locator(".navbar-toggler").is_visible() == (width < 992)
        row_height = page.locator("tbody tr").first.bounding_box()["height"]
        assert row_height < 60, "names do not wrap onto several lines"
    assert not page.missing, page.missing


def test_sync_now_shows_progress_then_the_outcome(page, settings, asterisk):
    log_in(page)
    assert "Not connected to Asterisk yet" in page.inner_text("#sync-banner")
    shot(page, "33-banner-never-connected")
    page.click("#sync-banner button:has-text('Sync now')")
    page.wait_for_selector("#sync-outcome:has-text('Sync finished')")
    assert "Connected to Asterisk" in page.inner_text("#sync-banner")
    shot(page, "34-sync-now-done")

    asterisk.stop()
    page.click("#sync-banner button:has-text('Sync now')")
    page.wait_for_selector("#sync-outcome:has-text('Sync failed')")
    assert "Asterisk unreachable" in page.inner_text("#sync-banner")
    shot(page, "35-sync-now-unreachable")
    asterisk.start()
