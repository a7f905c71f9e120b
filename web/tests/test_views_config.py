"""The Config files page agrees with the banner and rewrites a file edited by hand."""

import pytest

from asterisk.models import SyncChange
from asterisk.render.conf import parse_conf
from directory.users.extensions import extension_create, extension_update

pytestmark = pytest.mark.django_db

SIP = "sip_additional.conf"


def file_state(client, name: str) -> dict:
    return next(f for f in client.get("/config/").context["files"] if f["name"] == name)


def test_a_file_still_in_the_outbox_shows_as_waiting(administrator_client):
    # Not committed: the outbox names the files but nothing has written them yet.
    extension_create(extension="1000", name="A", tech="sip")
    assert SyncChange.objects.filter(kind="file", ref=SIP).exists()
    assert file_state(administrator_client, SIP)["state"] == "pending"
    html = administrator_client.get("/config/").content.decode()
    assert "waiting: written at the next sync" in html
    assert "config file" in administrator_client.get("/sync/status/").json()["pending"]


def test_a_written_file_is_up_to_date_and_a_hand_edit_shows_as_edited(
    administrator_client, committed, conf_dir
):
    committed(extension_create, extension="1000", name="A", tech="sip")
    assert file_state(administrator_client, SIP) == {
        "name": SIP,
        "state": "current",
        "diff": [],
        "truncated": False,
    }
    (conf_dir / SIP).write_text("; edited by hand\n[9999]\ntype=friend\n")
    edited = file_state(administrator_client, SIP)
    assert edited["state"] == "edited"
    assert "-; edited by hand" in edited["diff"] and "+[1000]" in edited["diff"]
    assert "Rewrite this file" in administrator_client.get("/config/").content.decode()


def test_rewrite_this_file_brings_back_the_database_and_queues_the_reload(
    administrator_client, committed, conf_dir, django_capture_on_commit_callbacks
):
    committed(extension_create, extension="1000", name="A", tech="sip")
    (conf_dir / SIP).write_text("[9999]\ntype=friend\n")
    other = conf_dir / "extensions_additional.conf"
    other.write_text(other.read_text() + "; a note left by hand\n")
    SyncChange.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        response = administrator_client.post("/config/rewrite/", {"name": SIP})

    assert response["Location"] == "/config/"
    parsed = parse_conf((conf_dir / SIP).read_text())
    assert "1000" in parsed.section_names() and "9999" not in parsed.section_names()
    assert other.read_text().endswith("; a note left by hand\n"), "only that file is rewritten"
    assert list(SyncChange.objects.values_list("kind", "ref")) == [("reload", "chan_sip.so")]
    assert file_state(administrator_client, SIP)["state"] == "current"


def test_a_viewer_cannot_rewrite_a_file(viewer_client, committed, conf_dir):
    committed(extension_create, extension="1000", name="A", tech="sip")
    (conf_dir / SIP).write_text("; by hand\n")
    assert viewer_client.post("/config/rewrite/", {"name": SIP}).status_code == 403
    assert (conf_dir / SIP).read_text() == "; by hand\n"
    assert "Rewrite this file" not in viewer_client.get("/config/").content.decode()


def test_rewrite_needs_a_post_and_a_file_pbxadmin_writes(administrator_client, conf_dir):
    assert administrator_client.get("/config/rewrite/?name=" + SIP).status_code == 405
    response = administrator_client.post("/config/rewrite/", {"name": "../manager.conf"}, follow=True)
    assert "does not write a file called" in response.content.decode()
    assert not (conf_dir.parent / "manager.conf").exists()


def test_a_stored_pin_is_not_searched_for_so_no_masked_number_gives_it_away(viewer_client, conf_dir):
    """With a hot-desk PIN of 2002, a viewer saw `exten => ********,hint,SIP/2002`: every
    stored PIN was masked wherever it stood as a word. Masking goes by structure alone."""
    extension_create(extension="2002", name="Bo", tech="sip")
    extension_create(extension="2001", name="Ana", tech="sip", password="2002", voicemail="default")
    dialplan = file_state(viewer_client, "extensions_additional.conf")["diff"]
    assert "+exten => 2002,hint,SIP/2002" in dialplan
    assert not any("********" in line for line in dialplan), "the dialplan holds no secret"
    devices = file_state(viewer_client, SIP)["diff"]
    assert "+[2002]" in devices and "+secret=******** (secret changed)" in devices
    mailboxes = file_state(viewer_client, "voicemail_additional.conf")["diff"]
    assert any(line.startswith("+2001 => ********,Ana,") for line in mailboxes)


@pytest.fixture
def renders(monkeypatch):
    """How many times the files were rendered from the database (the dialplan is in every render)."""
    from asterisk.render import dialplan

    count = []
    real = dialplan.render_dialplan
    monkeypatch.setattr(dialplan, "render_dialplan", lambda *a, **k: count.append(1) or real(*a, **k))
    return count


@pytest.mark.slow
def test_the_page_renders_the_files_once_until_a_file_or_the_database_changes(
    administrator_client, committed, conf_dir, renders
):
    """At 10,000 extensions every request rendered every file: 1.1 s each."""
    committed(extension_create, extension="1000", name="A", tech="sip")
    renders.clear()
    assert file_state(administrator_client, SIP)["state"] == "current"
    assert file_state(administrator_client, SIP)["state"] == "current"
    assert len(renders) == 1, "the second request did not render again"
    (conf_dir / SIP).write_text("; edited by hand\n")
    assert file_state(administrator_client, SIP)["state"] == "edited"
    assert len(renders) == 2, "a file changed on disk: rendered again"
    extension_create(extension="1001", name="B", tech="sip")  # in the database, not yet written
    assert file_state(administrator_client, SIP)["state"] == "pending"
    assert "+[1001]" in file_state(administrator_client, SIP)["diff"]
    assert len(renders) == 3, "the database changed: rendered again"


def test_a_change_that_reaches_no_file_yet_is_seen_all_the_same(administrator_client, committed, conf_dir):
    """A rename, with its outbox row already settled, still shows against the file on disk."""
    user = committed(extension_create, extension="1000", name="A", tech="sip", voicemail="default")
    assert file_state(administrator_client, "voicemail_additional.conf")["state"] == "current"
    extension_update(user=user, name="Renamed")
    SyncChange.objects.all().delete()  # as if settled without writing the file
    assert file_state(administrator_client, "voicemail_additional.conf")["state"] == "edited"
