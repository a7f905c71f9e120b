"""People and the 403 page in Debian's chromium: add a viewer, log in as them, be refused with a reason."""

import pytest

from web.tests.test_browser import browser, log_in, page, shot  # noqa: F401 (the fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_a_viewer_who_is_refused_with_the_menu_and_a_reason(page):  # noqa: F811
    log_in(page)
    page.click("nav >> text=People")
    page.fill("#id_username", "pat")
    page.fill("#id_name", "Pat Jones")
    page.check("input[name=role][value=viewer]")
    page.click("#person-add button:has-text('Add')")
    password = page.input_value("#new-password")
    assert len(password) >= 16
    assert "PBX viewer" in page.inner_text("#people")
    shot(page, "50-people")

    page.click("nav button:has-text('Sign out')")
    page.goto("/login/")
    page.fill("#id_username", "pat")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/extensions/")
    page.goto("/audit/")
    assert "Viewers can read but not change: ask an administrator." in page.inner_text("#forbidden")
    assert page.locator("nav >> text=Extensions").is_visible()
    assert "pat (viewer)" in page.inner_text("nav")
    shot(page, "51-forbidden")
