"""The Audit page: who may see it, its filters, paging, CSV export, History links, and retention."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import Action, Entry, ObjectType, Via
from audit.tests.helpers import raw_table_text
from directory.devices.services import device_create
from directory.users.extensions import extension_create, extension_update
from directory.users.models import PbxUser
from directory.users.services import user_update
from web.listing import DEFAULT_PAGE_SIZE as PER_PAGE

pytestmark = pytest.mark.django_db

SECRET = "Corr3ct-Horse-Battery9"
PIN = "860213"


def _entry(**fields) -> Entry:
    defaults = {"via": Via.PORTAL, "person": "alice-admin", "action": Action.CHANGED, "object_type": "user"}
    return Entry.objects.create(**(defaults | fields))


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def history(committed):
    """An extension with a known secret and PIN, then both changed."""
    committed(extension_create, extension="1000", name="Ann", tech="pjsip", settings={"secret": SECRET})
    user_update(user=PbxUser.objects.get(pk="1000"), password=PIN, name="Anna")


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ("/audit/", "/audit/export/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_viewers_are_refused(viewer_client, history):
    assert viewer_client.get("/audit/").status_code == 403
    assert viewer_client.get("/audit/export/").status_code == 403


def test_administrators_see_who_changed_what(administrator_client, history):
    page = administrator_client.get("/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "name: Ann → Anna" in html
    assert "password: changed" in html


def test_no_secret_or_pin_appears_in_the_table_the_page_or_the_csv(administrator_client, history):
    assert SECRET not in raw_table_text() and PIN not in raw_table_text()
    assert SECRET not in administrator_client.get("/audit/").content.decode()
    rows = _csv(administrator_client.get("/audit/export/"))
    text = repr(rows)
    assert SECRET not in text and PIN not in text
    assert any(r["changes"] == "name: Ann → Anna; password: changed" for r in rows)


def test_filters_by_object_type_and_id(administrator_client):
    _entry(object_type="user", object_id="1000")
    _entry(object_type="device", object_id="1000")
    _entry(object_type="user", object_id="1001")
    page = administrator_client.get("/audit/?type=user&id=1000").context["page"]
    assert [(e.object_type, e.object_id) for e in page] == [("user", "1000")]
    page = administrator_client.get("/audit/?type=user&type=device&id=1000").context["page"]
    assert len(page.object_list) == 2


def test_filters_by_person_and_action(administrator_client):
    _entry(person="bob", action=Action.DELETED)
    _entry(person="bob", action=Action.CHANGED)
    _entry(person="carol", action=Action.DELETED)
    page = administrator_client.get("/audit/?person=bob&action=deleted").context["page"]
    assert [(e.person, e.action) for e in page] == [("bob", "deleted")]


def test_filters_by_date_range_including_both_days(administrator_client):
    now = timezone.now()
    for days in (10, 5, 1):
        _entry(at=now - datetime.timedelta(days=days), object_id=str(days))
    since = (now - datetime.timedelta(days=6)).date().isoformat()
    until = (now - datetime.timedelta(days=5)).date().isoformat()
    page = administrator_client.get(f"/audit/?since={since}&until={until}").context["page"]
    assert [e.object_id for e in page] == ["5"]


def test_a_reversed_date_range_says_so(administrator_client):
    response = administrator_client.get("/audit/?since=2025-02-01&until=2025-01-01")
    assert "The end date is before the start date." in response.content.decode()


def test_pages_newest_first_and_keeps_the_filter_in_the_links(administrator_client):
    Entry.objects.bulk_create(
        Entry(via=Via.SYSTEM, action=Action.CHANGED, object_type="user", object_id=str(n), person="bob")
        for n in range(PER_PAGE + 5)
    )
    first = administrator_client.get("/audit/?person=bob")
    assert first.context["page"].paginator.count == PER_PAGE + 5
    assert first.context["page"][0].object_id == str(PER_PAGE + 4)
    assert "?person=bob&amp;page=2" in first.content.decode()
    second = administrator_client.get("/audit/?person=bob&page=2").context["page"]
    assert [e.object_id for e in second] == [str(n) for n in range(4, -1, -1)]


def test_the_csv_export_holds_the_filtered_view_with_formulas_neutralised(administrator_client):
    _entry(object_id="1", object_repr="=HYPERLINK(evil)")
    _entry(object_id="2", person="bob")
    response = administrator_client.get("/audit/export/?person=alice-admin&action=changed")
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert [r["object_id"] for r in rows] == ["1"]
    assert rows[0]["object"] == "'=HYPERLINK(evil)"


@pytest.mark.slow
def test_extension_pages_link_to_their_history(administrator_client, history):
    html = administrator_client.get("/extensions/1000/").content.decode()
    link = "/audit/?type=user&amp;type=device&amp;type=endpoint&amp;id=1000"
    assert link in html
    page = administrator_client.get(link.replace("&amp;", "&")).context["page"]
    assert {part.object_type for e in page for part in e.parts} == {"user", "device", "endpoint"}


@pytest.mark.slow
def test_user_and_device_pages_link_to_their_history(administrator_client, deviceanduser):
    extension_create(extension="1000", name="Ann", tech="pjsip")
    device_create(id="3001", tech="pjsip", devicetype="adhoc")
    assert "/audit/?type=user&amp;id=1000" in administrator_client.get("/users/1000/").content.decode()
    assert (
        "/audit/?type=device&amp;type=endpoint&amp;id=3001"
        in administrator_client.get("/devices/3001/").content.decode()
    )


def test_viewers_get_no_history_link(viewer_client, history):
    assert "/audit/" not in viewer_client.get("/extensions/1000/").content.decode()


def test_audit_prune_deletes_entries_older_than_the_retention(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    old = _entry(at=now - datetime.timedelta(days=31))
    kept = _entry(at=now - datetime.timedelta(days=29))
    out = io.StringIO()
    call_command("audit_prune", stdout=out)
    assert "Deleted 1 audit entries." in out.getvalue()
    assert not Entry.objects.filter(pk=old.pk).exists()
    assert Entry.objects.filter(pk=kept.pk).exists()
    (pruned,) = Entry.objects.filter(action=Action.PRUNED)
    assert (pruned.object_type, pruned.changes["deleted"], pruned.via) == (ObjectType.AUDIT, 1, Via.COMMAND)


def test_audit_prune_takes_a_number_of_days(settings):
    _entry(at=timezone.now() - datetime.timedelta(days=8))
    call_command("audit_prune", "--days", "7", stdout=io.StringIO())
    assert not Entry.objects.exclude(action=Action.PRUNED).exists()


# --- One entry per operation, with every object it touched ---------------------------------


def test_one_extension_created_is_one_entry_that_lists_its_user_device_and_settings(administrator_client):
    extension_create(extension="1000", name="Ann", tech="pjsip")
    response = administrator_client.get("/audit/?id=1000")
    page = response.context["page"]
    assert page.paginator.count == 1
    assert [(p.object_type, p.object_id) for p in page[0].parts] == [
        ("user", "1000"),
        ("device", "1000"),
        ("endpoint", "1000"),
    ]
    html = response.content.decode()
    for kind in ("user", "device", "endpoint"):
        assert f'href="?type={kind}&amp;id=1000"' in html
    # Each object's fields are folded under its name, so the entry stays a few lines long.
    assert html.count('<details class="audit-part">') == 3


def test_an_operation_is_found_by_any_object_it_touched(administrator_client):
    extension_create(extension="1000", name="Ann", tech="pjsip")
    extension_create(extension="1001", name="Bob", tech="pjsip")
    for query in ("type=endpoint&id=1000", "id=1000", "type=device&type=user&id=1000"):
        page = administrator_client.get(f"/audit/?{query}").context["page"]
        assert [[p.object_type for p in e.parts] for e in page] == [["user", "device", "endpoint"]], query
        assert page[0].object_id == "1000"


def test_every_field_of_an_extension_is_shown_by_its_form_label(administrator_client):
    extension_create(extension="1000", name="Ann", tech="pjsip", voicemail="default")
    extension_update(user=PbxUser.objects.get(pk="1000"), settings={"trustrpid": "no", "sendrpid": "both"})
    html = administrator_client.get("/audit/").content.decode()
    assert "Trust RPID/PAI: yes → no" in html and "Send RPID/PAI: pai → both" in html
    for key in ("trustrpid:", "sendrpid:", "ringtimer:", "vm_options:", "dtmf_mode:", "default_user:"):
        assert key not in html


def test_the_csv_export_has_one_row_per_operation_naming_each_object(administrator_client):
    extension_create(extension="1000", name="Ann", tech="pjsip")
    user_update(user=PbxUser.objects.get(pk="1000"), name="Anna")
    changed, created = _csv(administrator_client.get("/audit/export/?id=1000"))
    assert created["objects"] == "user 1000 created; device 1000 created; endpoint 1000 created"
    assert "device 1000: dial: PJSIP/1000" in created["changes"]
    assert (created["object_type"], created["object_id"]) == ("user", "1000")
    # An operation of one object reads as before.
    assert (changed["objects"], changed["changes"]) == ("user 1000 changed", "name: Ann → Anna")
