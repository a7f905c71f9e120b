"""The Voicemail section and the SIP settings page, in Debian's chromium driven by Playwright."""

import pytest

from asterisk.render.conf import parse_conf
from directory.endpoints.models import SipSettings
from directory.users.models import PbxUser
from web.tests.test_browser import browser, log_in, page, shot  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_extension_with_a_mailbox_from_the_extensions_page(page, conf_dir):  # noqa: F811
    log_in(page)
    page.click("text=Add extension")
    page.click("text=PJSIP")
    page.fill("#id_extension", "2001")
    page.fill("#id_name", "Ana Müller")
    page.click("summary:has-text('Voicemail')")
    page.check("#id_voicemail_enabled")
    page.fill("#id_vm_pin", "482913")
    page.fill("#id_vm_email", "ana@example.com")
    page.select_option("#id_vm_attach", "yes")
    page.select_option("#id_vm_saycid", "no")
    page.fill("#id_vm_options", "tz=european")
    shot(page, "20-voicemail-section")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/extensions/")

    mailboxes = parse_conf((conf_dir / "voicemail_additional.conf").read_text())
    assert mailboxes.get("default") == [
        ("2001", "482913,Ana Müller,ana@example.com,,attach=yes|saycid=no|tz=european")
    ]
    endpoint = parse_conf((conf_dir / "pjsip.endpoint.conf").read_text())
    assert dict(endpoint.get("2001"))["mailboxes"] == "2001@default"

    page.goto("/extensions/2001/")
    page.click("summary:has-text('Voicemail')")
    assert page.input_value("#id_vm_pin") == "", "the PIN is never sent back"
    assert "482913" not in page.content()
    assert (page.input_value("#id_vm_attach"), page.input_value("#id_vm_envelope")) == ("yes", "")
    page.fill("#id_vm_email", "ana,evil@example.com")
    page.click("button:has-text('Save')")
    assert page.locator("#id_vm_email.is-invalid").is_visible()
    shot(page, "21-voicemail-refused")
    assert PbxUser.objects.get(pk="2001").vm_email == "ana@example.com"


def test_a_pin_made_for_a_new_mailbox_is_shown_once_to_note(page, conf_dir):  # noqa: F811
    log_in(page)
    page.click("text=Add extension")
    page.click("text=PJSIP")
    page.fill("#id_extension", "2003")
    page.fill("#id_name", "Cy")
    page.click("summary:has-text('Voicemail')")
    page.check("#id_voicemail_enabled")
    page.fill("#id_vm_pin", "")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/extensions/2003/")
    pin = PbxUser.objects.get(pk="2003").vm_pin
    assert page.locator("#new-vm-pin").inner_text().startswith(f"Voicemail PIN made for 2003: {pin}.")
    shot(page, "22-voicemail-pin-made")
    page.reload()
    assert page.locator("#new-vm-pin").count() == 0


def test_the_sip_settings_page_changes_what_devices_are_written_with(page, conf_dir):  # noqa: F811
    log_in(page)
    page.click("text=Add extension")
    page.click("text=SIP (chan_sip)")
    page.fill("#id_extension", "2002")
    page.fill("#id_name", "Bruno")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/extensions/")
    sip = parse_conf((conf_dir / "sip_additional.conf").read_text())
    assert dict(sip.get("2002"))["transport"] == "udp", "TCP and TLS are off by default"

    page.click("text=SIP settings")
    shot(page, "22-sip-settings")
    page.click("summary:has-text('chan_sip')")
    page.check("#id_sip_tcp")
    page.fill("#id_external_address", "203.0.113.7")
    page.fill("#id_local_networks", "192.168.0.0/16\n10.0.0.0/8")
    page.click("button:has-text('Save')")
    assert page.locator("text=SIP settings saved").is_visible()
    shot(page, "23-sip-settings-saved")

    sip = parse_conf((conf_dir / "sip_additional.conf").read_text())
    assert dict(sip.get("2002"))["transport"] == "udp,tcp"
    general = parse_conf((conf_dir / "sip_general_additional.conf").read_text()).get("")
    assert ("tcpenable", "yes") in general and ("externip", "203.0.113.7") in general
    assert SipSettings.get().local_networks == "192.168.0.0/16 10.0.0.0/8"
