"""In the browser: a phone's mark follows Asterisk while the page stays open (no reload)."""

import pytest
from playwright.sync_api import expect

from asterisk.ami import AmiConfig
from asterisk.testing.listener import eventually, running_listener
from asterisk.testing.phones import recorded_phones
from portal.tests.test_browser import browser, log_in, page, shot  # noqa: F401 (fixtures)
from users.extensions import extension_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_mark_turns_from_unregistered_to_registered_when_the_recorded_phones_register(page, asterisk):  # noqa: F811
    extension_create(extension="2001", name="Ann PJSIP", tech="pjsip")
    extension_create(extension="2002", name="Bob chan_sip", tech="sip")
    asterisk.phones = recorded_phones()
    config = AmiConfig("127.0.0.1", asterisk.port, asterisk.username, asterisk.secret, 2)
    with running_listener(config, flush_interval=0.1) as listener:
        eventually(listener.connected.is_set, what="the listener to connect")
        log_in(page)
        mark = page.locator('[data-phone-device="2001"] [data-phone-part=state]')
        sip_mark = page.locator('[data-phone-device="2002"] [data-phone-part=state]')
        assert mark.inner_text() == "Unregistered"
        assert sip_mark.inner_text() == "Unregistered"
        shot(page, "phone-status-1366-unregistered")

        asterisk.play("PHONES")
        # Without a reload: the listener writes, the page's script polls every second.
        # (How fast is the poll's design; the wait is generous so a busy machine passes.)
        expect(page.locator('[data-phone-device="2001"] [data-phone-part=state]')).to_have_text("Registered")
        expect(page.locator('[data-phone-device="2002"] [data-phone-part=detail]')).to_contain_text(
            "127.0.0.1:5182"
        )
        assert "phone-registered" in mark.get_attribute("class")
        assert (
            "127.0.0.1:5180"
            in page.locator('[data-phone-device="2001"] [data-phone-part=detail]').inner_text()
        )
        shot(page, "phone-status-1366-registered")
        page.set_viewport_size({"width": 800, "height": 900})
        shot(page, "phone-status-800-registered")

        asterisk.play("pjsip")
        expect(page.locator('[data-phone-device="2001"] [data-phone-part=state]')).to_have_text("Unreachable")
        page.goto("/extensions/?state=down")
        assert page.locator("[data-phone-device]").count() == 1
        shot(page, "phone-status-800-down-filter")
