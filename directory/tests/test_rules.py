"""One rule, one place (directory/rules.py): the page, a CSV file and the API refuse the same bad
input with the same words, because all three reach the rule only through the services."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from bulk.importing import check_file
from directory import rules
from directory.users.extensions import extension_create
from directory.users.services import user_create
from web.testing.forms import form_post_data

pytestmark = pytest.mark.django_db

HEADER = "extension,name,tech,dial,channel,voicemail,voicemail_enable"


def by_page(client, tech: str, **fields) -> set[str]:
    """The messages the Extensions page's add form shows for these fields."""
    data = form_post_data(client.get(f"/extensions/add/?tech={tech}"))
    data.update(fields)
    response = client.post(f"/extensions/add/?tech={tech}", data)
    assert response.status_code == 200, "refused: the form comes back"
    return {m for errors in response.context["form"].errors.values() for m in errors}


def by_file(**cells) -> set[str]:
    """The messages the import's check gives the one row of a file with these cells."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(
        [HEADER.split(","), [cells.get(c, "") for c in HEADER.split(",")]]
    )
    report = check_file("extensions", text.getvalue())
    assert report.counts["error"] == 1
    return {p["message"] for p in report.problems}


def by_api(api, **body) -> set[str]:
    response = api.post("/api/v1/extensions/", body, format="json")
    assert response.status_code in (400, 409), response.content
    return {m for messages in response.json().values() for m in messages}


@pytest.fixture
def channel_3(committed):
    committed(extension_create, extension="2001", name="Door", tech="dahdi", settings={"channel": "3"})


@pytest.mark.slow
def test_a_dahdi_channel_in_use_is_refused_alike_everywhere(channel_3, administrator_client, admin_api):
    said = "DAHDI channel 3 is already used by device 2001."
    assert said in by_page(administrator_client, "dahdi", extension="2002", name="Fax", channel="3")
    assert said in by_file(extension="2002", name="Fax", tech="dahdi", channel="3")
    assert said in by_api(admin_api, extension="2002", name="Fax", tech="dahdi", settings={"channel": "3"})


def test_two_rows_of_one_file_on_one_channel_are_refused_as_the_database_would(committed):
    """Inside the import's batch the second row counts the first one's channel as taken."""
    text = f"{HEADER}\n2002,Fax,dahdi,,3,,\n2003,Modem,dahdi,,3,,\n"
    report = check_file("extensions", text)
    assert [(p["key"], p["message"]) for p in report.problems] == [
        ("2003", "DAHDI channel 3 is already used by device 2002.")
    ]


@pytest.mark.slow
def test_a_bad_custom_dial_string_is_refused_alike_everywhere(administrator_client, admin_api):
    bad = "SIP/joe,evil"
    said = by_page(administrator_client, "custom", extension="2002", name="Joe", dial=bad)
    assert said & by_file(extension="2002", name="Joe", tech="custom", dial=bad)
    assert said & by_api(admin_api, extension="2002", name="Joe", tech="custom", dial=bad)
    assert any(m.startswith("Type a dial string such as") for m in said)


def test_a_dial_string_for_a_technology_that_makes_its_own_is_refused_by_file_and_api(admin_api):
    """The page offers no dial string but for custom devices; a file and the API may send one."""
    said = "Only custom devices take a dial string: a PJSIP device is dialled as PJSIP/2002."
    assert said in by_file(extension="2002", name="Joe", tech="pjsip", dial="SIP/elsewhere")
    assert said in by_api(admin_api, extension="2002", name="Joe", tech="pjsip", dial="SIP/elsewhere")


def test_the_dial_string_a_freepbx_export_writes_is_the_one_it_would_get(committed):
    """FreePBX writes every device's dial string: the one its technology makes is no error."""
    text = f"{HEADER}\n2002,Joe,sip,SIP/2002,,,\n"
    assert check_file("extensions", text).counts["create"] == 1


@pytest.mark.slow
def test_a_number_in_use_is_refused_alike_by_page_and_api(channel_3, administrator_client, admin_api):
    """A file's row for an existing number updates it or is skipped: it is not a refusal there."""
    said = "Extension 2001 is already in use by Door."
    assert by_page(administrator_client, "pjsip", extension="2001", name="Again") == {said}
    response = admin_api.post(
        "/api/v1/extensions/", {"extension": "2001", "name": "Again", "tech": "pjsip"}, format="json"
    )
    assert response.status_code == 409 and response.json() == {"extension": [said]}


@pytest.mark.slow
def test_a_bad_voicemail_context_is_refused_alike_everywhere(administrator_client, admin_api):
    bad = "sales desk"
    said = by_page(
        administrator_client, "pjsip", extension="2002", name="Joe", voicemail_enabled="on", voicemail=bad
    )
    assert said == by_file(extension="2002", name="Joe", tech="pjsip", voicemail=bad, voicemail_enable="yes")
    assert said == by_api(admin_api, extension="2002", name="Joe", tech="pjsip", voicemail=bad)


def test_a_user_on_too_many_devices_is_refused_by_the_rule_inside_a_batch_too(committed):
    """The rule counts the batch's own claims: no device list grows past one AMI header."""
    alice = committed(user_create, extension="1000", name="Alice")
    ids = [f"1{n:018}" for n in range(60)]
    fitted = 0
    with rules.batch():
        for device_id in ids:
            try:
                rules.device_list_fits(alice, device_id)
            except ValidationError as e:
                assert "too many devices" in e.messages[0]
                break
            fitted += 1
    assert 0 < fitted < len(ids)
    assert len("&".join(ids[:fitted])) <= rules.DEVICE_LIST_MAX < len("&".join(ids[: fitted + 1]))
