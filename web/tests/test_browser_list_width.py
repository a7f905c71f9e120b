"""The three lists in Debian's chromium with phones that report an address and a model: Delete in view."""

from datetime import UTC, datetime

import pytest

from asterisk.models import PhoneStatus
from directory.devices.services import device_create, device_login
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from portal.mode import DEVICE_AND_USER, EXTENSIONS, set_pbx_mode
from web.tests.test_browser import browser, log_in, page, shot  # noqa: F401 (the fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AT = datetime(2025, 11, 26, 10, 0, tzinfo=UTC)

# Every Delete button inside the window, and the table no wider than the box that holds it
# (a table wider than its box hides its last columns behind a scroll bar of its own).
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const table = document.querySelector('.list-table');
  const deletes = [...table.querySelectorAll('tbody a.btn')].filter(b => b.textContent.trim() === 'Delete');
  return {
    width,
    page: document.documentElement.scrollWidth,
    deletes: deletes.length,
    outside: deletes.filter(b => { const r = b.getBoundingClientRect(); return r.left < 0 || r.right > width; }).length,
    table: table.parentElement.scrollWidth,
    box: table.parentElement.clientWidth,
  };
}"""


def _phones_with_long_details() -> None:
    """Phones as a real office reports them: IPv6 contacts, long models, long names and caller IDs."""
    for n, tech in enumerate(("pjsip", "sip", "iax2", "pjsip")):
        number = str(2001 + n)
        extension_create(
            extension=number,
            name=f"Maximiliane Josefine Oberhuber-Schwarzenbach {n}",
            tech=tech,
            outboundcid=f'"Customer Service Department" <+4989123456{n}>',
            voicemail="default",
        )
        PhoneStatus.objects.create(
            device_id=number,
            state="registered",
            usage="in_use",
            address=f"2001:db8:85a3:8d3:1319:8a2e:370:73{n}4",
            port=5060 + n,
            user_agent="Yealink SIP-T54W 96.86.0.100 (Firmware build 2025-01-01, Enterprise)",
            since=AT,
            updated_at=AT,
        )


def _fits(tab, width: int, url: str, name: str) -> None:
    tab.set_viewport_size({"width": width, "height": 900})
    tab.goto(url)
    measured = tab.evaluate(MEASURE)
    shot(tab, f"{name}-{width}")
    assert measured["deletes"] > 0
    assert measured["outside"] == 0, f"{url}: Delete outside the window at {width} px: {measured}"
    assert measured["table"] <= measured["box"], (
        f"{url}: the table overflows its box at {width} px: {measured}"
    )
    assert measured["page"] <= measured["width"], f"{url}: the page is wider than the window at {width} px"


@pytest.mark.parametrize("width", [1280, 800])
def test_the_extensions_list_keeps_delete_in_view_with_phone_details(page, width):  # noqa: F811
    _phones_with_long_details()
    log_in(page)
    set_pbx_mode(mode=EXTENSIONS)
    _fits(page, width, "/extensions/", "44-extensions-phones")


@pytest.mark.parametrize("width", [1280, 800])
def test_the_users_and_devices_lists_keep_delete_in_view_with_phone_details(page, width):  # noqa: F811
    _phones_with_long_details()
    hot_desk = device_create(
        id="3001", tech="pjsip", devicetype="adhoc", description="Shared desk by the door"
    )
    device_login(device=hot_desk, user=PbxUser.objects.get(pk="2001"))
    PhoneStatus.objects.create(
        device_id="3001", state="registered", address="2001:db8:85a3:8d3:1319:8a2e:370:7399", port=5062,
        user_agent="Grandstream GXP2170 1.0.11.23 (Hot desk, reception area)", since=AT, updated_at=AT,
    )  # fmt: skip
    log_in(page)
    set_pbx_mode(mode=DEVICE_AND_USER)
    _fits(page, width, "/users/", "45-users-phones")
    _fits(page, width, "/devices/", "46-devices-phones")
