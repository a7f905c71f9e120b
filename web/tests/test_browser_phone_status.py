"""In the browser: a phone's mark follows Asterisk while the page stays open (no reload)."""

import re

import pytest
from playwright.sync_api import expect

from asterisk.ami import AmiConfig
from asterisk.models import PhoneStatus
from asterisk.selectors import listener_link
from asterisk.testing.listener import eventually, running_listener
from asterisk.testing.phones import recorded_phones
from directory.users.extensions import extension_create
from web.tests.test_browser import browser, log_in, page, shot  # noqa: F401 (fixtures)

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


def test_when_asterisk_stops_the_marks_and_the_banner_say_unknown_since_then_and_recover(page, asterisk):  # noqa: F811
    extension_create(extension="2001", name="Ann PJSIP", tech="pjsip")
    asterisk.phones = recorded_phones()
    config = AmiConfig("127.0.0.1", asterisk.port, asterisk.username, asterisk.secret, 2)
    with running_listener(config, flush_interval=0.1, first_delay=0.1, max_delay=0.5) as listener:
        eventually(listener.connected.is_set, what="the listener to connect")
        asterisk.play("PHONES")
        eventually(lambda: PhoneStatus.objects.filter(device_id="2001", state="registered").exists())
        eventually(lambda: listener_link().current, what="a current link")
        log_in(page)
        state = page.locator('[data-phone-device="2001"] [data-phone-part=state]')
        detail = page.locator('[data-phone-device="2001"] [data-phone-part=detail]')
        expect(state).to_have_text("Registered")

        asterisk.stop()
        # Without a reload: the marks poll every second, the banner every five.
        expect(state).to_have_text(re.compile(r"^Unknown since \d\d:\d\d$"))
        expect(detail).to_contain_text("last known: Registered")
        assert "phone-unknown" in state.get_attribute("class")
        expect(page.locator("[data-banner-phones]")).to_contain_text(
            "Phone status unknown since", timeout=30_000
        )
        expect(page.locator("#sync-banner")).not_to_contain_text("up to date")
        shot(page, "phone-status-1366-link-down")

        asterisk.start()
        expect(state).to_have_text("Registered")
        expect(detail).not_to_contain_text("last known")
        expect(page.locator("[data-banner-phones]")).to_have_count(0)
