"""The Audit page and the edit pages in a narrow window (Debian's chromium): nothing runs off the right edge."""

import pytest

from directory.devices.models import Device
from directory.devices.services import device_create, device_login
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_update
from portal.mode import DEVICE_AND_USER, set_pbx_mode
from web.tests.test_browser import browser, log_in, page, shot  # noqa: F401 (the fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The page as wide as the window; every visible button (folded sections opened) inside it,
# its label on one line ("Config preview" broken in two reads as two buttons).
MEASURE = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const width = window.innerWidth;
  const buttons = [...document.querySelectorAll('main .btn')].filter(b => b.getClientRects().length);
  const lines = b => {
    const range = document.createRange();
    range.selectNodeContents(b);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  };
  return {
    page: document.documentElement.scrollWidth,
    width,
    outside: buttons.filter(b => { const r = b.getBoundingClientRect(); return r.left < 0 || r.right > width; })
      .map(b => b.textContent.trim()),
    broken: buttons.filter(b => lines(b) > 1).map(b => b.textContent.trim()),
  };
}"""


def _fits(tab, width: int, url: str, name: str) -> None:
    tab.set_viewport_size({"width": width, "height": 900})
    tab.goto(url)
    measured = tab.evaluate(MEASURE)
    shot(tab, f"{name}-{width}")
    assert measured["page"] <= measured["width"], f"{url} is {measured['page']} px wide at {width}"
    assert measured["outside"] == [], f"buttons outside the window at {width}: {measured['outside']}"
    assert measured["broken"] == [], f"button labels on two lines at {width}: {measured['broken']}"


def _extension_with_history() -> None:
    """An extension whose log holds long lines: every endpoint setting, vm_options, a long choice label."""
    extension_create(extension="1000", name="Anna Alvarez", tech="pjsip")
    user_update(
        user=PbxUser.objects.get(pk="1000"),
        name="Anna B. Alvarez",
        callwaiting=False,
        outboundcid='"Sales department" <5551234>',
        recording_in_external="dontcare",
    )


def test_the_audit_page_fits_800_pixels_with_its_columns_whole(page):  # noqa: F811
    _extension_with_history()
    log_in(page)
    set_pbx_mode(mode=DEVICE_AND_USER)  # "Device and user (separate Users and Devices pages)": a long line
    _fits(page, 800, "/audit/", "40-audit")
    # The table itself fits too: no column hidden behind a scroll bar of its own.
    box = page.locator("#audit-entries").evaluate(
        "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]"
    )
    assert box[0] <= box[1]
    assert "Call waiting: yes → no" in page.inner_text("#audit-entries")
    _fits(page, 1280, "/audit/", "40-audit")


@pytest.mark.parametrize("width", [800, 400])
def test_the_extension_page_keeps_its_buttons_in_the_window(page, width):  # noqa: F811
    _extension_with_history()
    # The longest title there is: the import's weak-secret mark beside the number.
    Device.objects.filter(pk="1000").update(weak_credential=True)
    log_in(page)
    _fits(page, width, "/extensions/1000/", "41-extension-edit")


@pytest.mark.parametrize("width", [800, 400])
def test_the_user_page_keeps_its_buttons_in_the_window(page, width):  # noqa: F811
    _extension_with_history()
    log_in(page)
    set_pbx_mode(mode=DEVICE_AND_USER)
    hot_desk = device_create(id="3001", tech="pjsip", devicetype="adhoc", description="Hot desk")
    device_login(device=hot_desk, user=PbxUser.objects.get(pk="1000"))  # "Log off this phone"
    _fits(page, width, "/users/1000/", "42-user-edit")


def test_the_extensions_list_shows_every_column_it_keeps_at_800_pixels(page):  # noqa: F811
    """Type and dial string step aside below 992 px; what stays fits, Delete included."""
    _extension_with_history()
    log_in(page)
    _fits(page, 800, "/extensions/", "43-extension-list")
    box = page.locator(".list-table").evaluate(
        "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]"
    )
    assert box[0] <= box[1], "no column behind the table's own scroll bar"
    assert page.locator("text=Delete").first.is_visible()
