"""The Audit page words recorded values as an administrator reads them; the CSV keeps them as stored."""

import csv
import datetime
import html
import io
import re
from zoneinfo import ZoneInfo

import pytest

from directory.devices.models import Device
from directory.devices.services import device_create, device_login
from directory.users.extensions import extension_create, extension_update
from directory.users.models import PbxUser
from directory.users.services import user_create, user_update
from web.audit.display import readable

pytestmark = pytest.mark.django_db

SECRET = "Corr3ct-Horse-Battery9"
NEW_SECRET = "Tr0ub4dor-and-3-horses"


def _page_text(client) -> str:
    """The Changes cells as the browser shows them (escaping undone, tags out)."""
    page = client.get("/audit/").content.decode()
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def test_a_boolean_change_reads_yes_and_no(administrator_client):
    user_update(user=user_create(extension="1000", name="Ann"), callwaiting=False)
    text = _page_text(administrator_client)
    assert "Call waiting: yes → no" in text
    assert "True" not in text and "False" not in text


@pytest.mark.slow
def test_a_choice_change_reads_its_labels_with_the_code_a_label_hides(administrator_client):
    user = user_create(extension="1000", name="Ann", recording_in_external="dontcare")
    user_update(user=user, recording_in_external="force")
    assert "Record inbound external calls: Don't care (dontcare) → Force" in _page_text(administrator_client)


def test_an_emptied_value_reads_empty(administrator_client):
    user = user_create(extension="1000", name="Ann", outboundcid='"Sales" <5551234>')
    user_update(user=user, outboundcid="")
    text = _page_text(administrator_client)
    assert 'Outbound CID: "Sales" <5551234> → (empty)' in text
    assert "''" not in text
    # Reworded, still escaped: a caller ID's angle brackets are text, not markup.
    assert (
        "&quot;Sales&quot; &lt;5551234&gt; → (empty)" in administrator_client.get("/audit/").content.decode()
    )


def test_a_time_reads_in_the_site_time_zone_and_format(administrator_client, deviceanduser, settings):
    settings.TIME_ZONE = "America/New_York"
    user = user_create(extension="1000", name="Ann")
    device_login(device=device_create(id="3001", tech="pjsip", devicetype="adhoc"), user=user)
    since = Device.objects.get(pk="3001").user_since
    local = since.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M:%S")
    text = _page_text(administrator_client)
    assert f"User since: {local}" in text
    assert str(since) not in text and since.isoformat() not in text


def test_a_secret_change_still_reads_changed_and_never_its_value(administrator_client):
    extension_create(extension="1000", name="Ann", tech="pjsip", settings={"secret": SECRET}, password="4711")
    user = PbxUser.objects.get(pk="1000")
    extension_update(user=user, settings={"secret": NEW_SECRET})
    user_update(user=user, password="860213")
    text = _page_text(administrator_client)
    assert "Secret: changed" in text and "Hot-desk password: changed" in text
    for value in (SECRET, NEW_SECRET, "4711", "860213"):
        assert value not in text


def test_the_csv_export_keeps_the_values_as_stored(administrator_client):
    user_update(user=user_create(extension="1000", name="Ann"), callwaiting=False)
    response = administrator_client.get("/audit/export/?action=changed")
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert row["changes"] == "callwaiting: True → False"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "(none)"), ([], "(none)"), (["admins", "staff"], "admins, staff"), (0, "0"), (True, "yes")],
)
def test_values_with_no_field_to_ask_are_worded_alike(value, shown):
    assert readable(value) == shown


def test_a_time_field_value_is_read_back_whichever_iso_separator(settings):
    settings.TIME_ZONE = "UTC"
    field = Device._meta.get_field("user_since")
    moment = datetime.datetime(2026, 11, 26, 12, 58, 22, 123456, tzinfo=datetime.UTC)
    assert readable(moment.isoformat(), field) == readable(str(moment), field) == "2026-11-26 12:58:22"
