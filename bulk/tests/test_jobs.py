"""Import jobs that end and checks that are only confirmed for the database they saw
(issue 13's findings 2 to 5), and saves that go on during an import (finding 3)."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from asterisk import prompts
from asterisk.testing import hotdesk
from asterisk.testing.fastagi import FakeAsterisk, played
from bulk import jobs
from bulk.importing import import_file
from bulk.jobs import job_check_run, job_confirm, job_progress, job_run
from bulk.models import ImportJob
from bulk.tasks import expire_stale_jobs
from directory.devices.models import Device
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from web.testing.forms import form_post_data

agi_port, office = hotdesk.agi_port, hotdesk.office  # the hot-desk service and its office, as fixtures

REGEN_FILE = "extension,name,tech,secret\n1000,Ana,sip,REGEN\n1001,Ben,sip,REGEN\n"


def upload(client, text: str, **fields):
    data = {"file": SimpleUploadedFile("office.csv", text.encode(), "text/csv"), "kind": "extensions"}
    client.post("/bulk/", data | fields)
    return ImportJob.objects.latest("created_at")


@pytest.mark.django_db
def test_a_check_confirmed_after_the_database_changed_is_checked_again_and_writes_nothing(
    administrator_client, committed
):
    job = upload(administrator_client, REGEN_FILE)
    assert job.counts["create"] == 2
    # The same extensions made another way, before the administrator comes back.
    secrets = {}
    for number in ("1000", "1001"):
        committed(extension_create, extension=number, name="Made by hand", tech="sip")
        secrets[number] = Device.objects.get(pk=number).endpoint.settings["secret"]
    response = administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "skip"})
    assert response["Location"] == f"/bulk/{job.pk}/progress/"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED, "checked again, waiting for a new confirmation"
    page = administrator_client.get(f"/bulk/{job.pk}/").content.decode()
    assert "changed since the check" in page
    assert job.counts == {"skip": 2, "total": 2}
    assert {d.pk: d.endpoint.settings["secret"] for d in Device.objects.all()} == secrets
    assert set(PbxUser.objects.values_list("name", flat=True)) == {"Made by hand"}


@pytest.mark.slow
@pytest.mark.django_db
def test_replacing_existing_regenerated_secrets_needs_the_confirmation(administrator_client, committed):
    for number in ("1000", "1001"):
        committed(extension_create, extension=number, name="Old", tech="sip")
    secrets = {d.pk: d.endpoint.settings["secret"] for d in Device.objects.all()}
    job = upload(administrator_client, REGEN_FILE, existing="replace")
    page = administrator_client.get(f"/bulk/{job.pk}/").content.decode()
    assert "2 secrets will change: those phones must be re-provisioned." in page
    refused = administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "replace"})
    assert refused.status_code == 400 and "Tick this to go on" in refused.content.decode()
    assert {d.pk: d.endpoint.settings["secret"] for d in Device.objects.all()} == secrets
    administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "replace", "change_secrets": "on"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert all(d.endpoint.settings["secret"] != secrets[d.pk] for d in Device.objects.all())


@pytest.mark.django_db
def test_skip_existing_is_the_default(administrator_client):
    job = upload(administrator_client, REGEN_FILE)
    assert job.replace is False
    html = administrator_client.get(f"/bulk/{job.pk}/").content.decode()
    assert 'name="existing" value="skip"  id="id_existing_0" required checked>' in html


SECRET_FILE = "extension,name,tech,secret,password,voicemail,voicemail_enable,voicemail_vmpwd\n" + (
    "1000,Ana,sip,Kept7secret88,58204719,default,yes,69130245\n"
)
KEPT = ("Kept7secret88", "58204719", "69130245")


def _age(job, seconds: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(checked_at=timezone.now() - timedelta(seconds=seconds))


def _stored(job) -> str:
    return str(list(ImportJob.objects.filter(pk=job.pk).values_list()))


@pytest.mark.django_db
def test_a_check_left_unconfirmed_past_its_age_loses_its_file(administrator_client, settings):
    """The file of a check nobody confirmed held its secrets and PINs forever."""
    job = upload(administrator_client, SECRET_FILE)
    assert job.status == ImportJob.Status.PREVIEWED and all(value in job.text for value in KEPT)
    _age(job, settings.BULK_CHECK_MAX_AGE + 1)
    assert expire_stale_jobs() == 1  # the worker's periodic check (beat)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.text == ""
    assert "The check expired unconfirmed" in job.error and "Upload the file again" in job.error
    assert not any(value in _stored(job) for value in KEPT)


@pytest.mark.django_db
def test_a_check_still_fresh_keeps_its_file(administrator_client, settings):
    job = upload(administrator_client, SECRET_FILE)
    _age(job, settings.BULK_CHECK_MAX_AGE - 60)
    assert expire_stale_jobs() == 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED and job.text


@pytest.mark.django_db
def test_an_expired_check_cannot_be_confirmed_and_says_to_upload_again(administrator_client, settings):
    job = upload(administrator_client, REGEN_FILE)
    _age(job, 3 * 3600)
    assert "expired: upload the file again" in administrator_client.get("/bulk/").content.decode()
    page = administrator_client.get(f"/bulk/{job.pk}/", follow=True).content.decode()
    assert "The check expired unconfirmed" in page, "the preview shows what became of it"
    administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "skip"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.text == "" and not PbxUser.objects.exists()


@pytest.mark.django_db
def test_an_old_check_shows_its_age(administrator_client, settings):
    settings.BULK_CHECK_MAX_AGE = 6 * 3600
    job = upload(administrator_client, REGEN_FILE)
    _age(job, 3 * 3600)
    page = administrator_client.get(f"/bulk/{job.pk}/").content.decode()
    assert ">3\xa0hours ago</time>" in page


@pytest.mark.django_db
def test_a_job_is_queued_and_run_once(administrator_client, monkeypatch):
    started = []
    monkeypatch.setattr("bulk.tasks.job_start", lambda *, job: started.append(job.pk))
    job = upload(administrator_client, REGEN_FILE)
    for _ in range(2):  # a double submit
        administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "skip"})
    assert started == [job.pk]
    job_run(job.pk)
    # As if confirmed again and queued anew:
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED, started_at=None)
    PbxUser.objects.all().delete()
    job_run(job.pk)  # the worker takes it once more: the fingerprint no longer matches
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "changed between the check and the import" in job.error


@pytest.mark.django_db
def test_a_job_running_past_its_time_limit_is_failed_with_the_reason_and_the_page_stops(
    administrator_client, settings
):
    job = upload(administrator_client, REGEN_FILE)
    # Taken by a worker long ago, and never finished: it was killed mid-way and never came back.
    taken = timezone.now() - timedelta(seconds=settings.BULK_JOB_TIME_LIMIT + 1)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, worker="celery@gone/1/x", started_at=taken
    )
    state = administrator_client.get(f"/bulk/{job.pk}/progress/?format=json").json()
    assert state["finished"] and state["failed"] and state["next"] == f"/bulk/{job.pk}/result/"
    assert "did not finish within" in state["error"] and "Nothing was imported" in state["error"]
    page = administrator_client.get(f"/bulk/{job.pk}/progress/").content.decode()
    assert 'id="import-failed" role="alert">The import did not finish within' in page
    result = administrator_client.get(f"/bulk/{job.pk}/result/").content.decode()
    assert "did not finish within" in result and "0 row" not in result


@pytest.mark.django_db
def test_a_worker_that_starts_again_fails_the_jobs_its_earlier_life_held(administrator_client):
    from bulk.tasks import recover

    mine = upload(administrator_client, REGEN_FILE)
    theirs = upload(administrator_client, REGEN_FILE)
    now = timezone.now()
    ImportJob.objects.filter(pk=mine.pk).update(
        status=ImportJob.Status.RUNNING, worker="celery@pbx1/4242/abc", started_at=now
    )
    ImportJob.objects.filter(pk=theirs.pk).update(
        status=ImportJob.Status.RUNNING, worker="celery@pbx10/77/def", started_at=now
    )
    recover(node="celery@pbx1")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == ImportJob.Status.FAILED and "worker was stopped or killed" in mine.error
    assert theirs.status == ImportJob.Status.RUNNING, "another worker's job is left alone"


@pytest.mark.django_db
def test_a_job_no_worker_takes_fails_after_the_queue_timeout(administrator_client, settings):
    job = upload(administrator_client, REGEN_FILE)
    long_ago = timezone.now() - timedelta(seconds=settings.BULK_JOB_QUEUE_TIMEOUT + 1)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.QUEUED, waiting_since=long_ago, started_at=None
    )
    assert "No worker took this job" in job_progress(ImportJob.objects.get(pk=job.pk))["error"]


@pytest.mark.django_db
def test_the_periodic_check_fails_what_no_worker_took(administrator_client, settings):
    from bulk.tasks import expire_stale_jobs

    job = upload(administrator_client, REGEN_FILE)
    long_ago = timezone.now() - timedelta(seconds=settings.BULK_JOB_QUEUE_TIMEOUT + 1)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.QUEUED, waiting_since=long_ago, started_at=None
    )
    assert expire_stale_jobs() == 1
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.FAILED


@pytest.mark.django_db
def test_a_crash_or_time_out_fails_the_job_with_the_reason(administrator_client, monkeypatch):
    job = upload(administrator_client, REGEN_FILE)
    job_confirm(job=job, replace=False, weak_secrets="", change_secrets=False)

    def out_of_time(*args, **kwargs):
        raise TimeoutError("soft time limit exceeded")

    monkeypatch.setattr(jobs, "import_file", out_of_time)
    job = job_run(job.pk)
    assert job.status == ImportJob.Status.FAILED
    assert (
        job.error
        == "The import stopped: soft time limit exceeded. Nothing was imported: an import lands whole or not at all."
    )


@pytest.mark.django_db
def test_the_check_runs_in_the_background_not_in_the_upload_request(administrator_client, monkeypatch):
    queued = []
    monkeypatch.setattr("bulk.services.job_check_start", lambda *, job: queued.append(job.pk))
    response = administrator_client.post(
        "/bulk/",
        {"file": SimpleUploadedFile("big.csv", REGEN_FILE.encode(), "text/csv"), "kind": "extensions"},
    )
    job = ImportJob.objects.get()
    assert response["Location"] == f"/bulk/{job.pk}/progress/" and queued == [job.pk]
    assert job.status == ImportJob.Status.CHECKING and job.counts == {}
    assert administrator_client.get(f"/bulk/{job.pk}/").status_code == 302, "no preview before the check"
    state = administrator_client.get(f"/bulk/{job.pk}/progress/?format=json").json()
    assert (state["phase"], state["finished"]) == ("check", False)
    job_check_run(job.pk)
    assert (
        administrator_client.get(f"/bulk/{job.pk}/progress/?format=json").json()["next"] == f"/bulk/{job.pk}/"
    )


@pytest.mark.django_db
def test_the_result_says_nothing_changed_and_the_bar_reaches_100(administrator_client, committed):
    committed(extension_create, extension="1000", name="Ana", tech="sip")
    job = upload(administrator_client, "extension,name,tech\n1000,Ana,sip\n")
    assert "Nothing would change" in administrator_client.get(f"/bulk/{job.pk}/").content.decode()
    administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "skip"})
    state = administrator_client.get(f"/bulk/{job.pk}/progress/?format=json").json()
    assert (state["done"], state["total"], state["percent"]) == (1, 1, 100)
    result = administrator_client.get(f"/bulk/{job.pk}/result/").content.decode()
    assert "Nothing changed" in result and "config files were written" not in result


@pytest.mark.django_db
def test_the_check_lists_rows_by_kind_with_their_names(administrator_client, committed):
    committed(extension_create, extension="1000", name="Ana", tech="sip")
    job = upload(
        administrator_client,
        "extension,name,tech\n1000,Ana Maria,sip\n1001,Ben,sip\n10x2,Typo,sip\n",
        existing="replace",
    )
    for show, names in (("error", ["Typo"]), ("create", ["Ben"]), ("update", ["Ana Maria"])):
        rows = administrator_client.get(f"/bulk/{job.pk}/?show={show}").context["rows"]
        assert [r["name"] for r in rows] == names
    html = administrator_client.get(f"/bulk/{job.pk}/?show=update").content.decode()
    assert "<code>name</code>: Ana → Ana Maria" in html
    assert "1 row cannot be imported" in html and "= <strong>3 rows</strong>" in html


@pytest.mark.django_db
def test_the_extensions_page_lists_the_weak_secrets_kept(administrator_client, committed):
    job = upload(
        administrator_client, "extension,name,tech,secret\n146,Weak,sip,terces\n147,Strong,sip,Strong123\n"
    )
    administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "skip", "weak_secrets": "keep"})
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE
    listed = administrator_client.get("/extensions/?secret=weak").content.decode()
    assert ">146</a>" in listed and ">147</a>" not in listed and "weak secret</span>" in listed


@pytest.mark.django_db
def test_a_weak_secret_needs_a_choice_on_the_page(administrator_client):
    job = upload(administrator_client, "extension,name,tech,secret\n146,Weak,sip,terces\n")
    refused = administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "skip"})
    assert refused.status_code == 400 and "1 row has a secret too weak" in refused.content.decode()
    assert not PbxUser.objects.exists()


def _hold_an_import(rows: int):
    """A real import in a thread of its own, held inside its transaction until released."""
    inside, release = threading.Event(), threading.Event()
    text = "extension,name,tech\n" + "".join(f"{5000 + n},Person {n},pjsip\n" for n in range(rows))

    def progress(done):
        inside.set()
        release.wait(30)

    def run():
        try:
            import_file("extensions", text, progress=progress)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert inside.wait(30), "the import started"
    return thread, release


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_save_during_an_import_gets_a_clear_message_not_a_500(administrator_client, settings):
    settings.PBXADMIN_SQLITE_REQUEST_WAIT = 0.3
    extension_create(extension="1000", name="John Doe", tech="sip")
    data = form_post_data(administrator_client.get("/extensions/1000/")) | {
        "name": "John Smith",
        "secret": "",
    }
    thread, release = _hold_an_import(3)
    try:
        response = administrator_client.post("/extensions/1000/", data)
    finally:
        release.set()
        thread.join()
    if connection.vendor != "sqlite":
        # PostgreSQL locks rows, not the database: another extension saves while the import runs.
        assert response.status_code == 302 and PbxUser.objects.get(pk="1000").name == "John Smith"
        assert PbxUser.objects.filter(pk="5000").exists(), "the import went on"
        return
    assert response.status_code == 503
    html = response.content.decode()
    assert "The database is busy" in html and "nothing was saved" in html
    assert 'name="name" value="John Smith"' in html, "what was typed is offered again"
    assert PbxUser.objects.get(pk="1000").name == "John Doe"
    assert PbxUser.objects.filter(pk="5000").exists(), "the import went on"
    retried = administrator_client.post("/extensions/1000/", data)
    assert retried.status_code == 302 and PbxUser.objects.get(pk="1000").name == "John Smith"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_save_waits_for_an_import_that_ends_within_the_wait(administrator_client, settings):
    settings.PBXADMIN_SQLITE_REQUEST_WAIT = 20
    extension_create(extension="1000", name="John Doe", tech="sip")
    data = form_post_data(administrator_client.get("/extensions/1000/")) | {
        "name": "John Smith",
        "secret": "",
    }
    thread, release = _hold_an_import(3)
    threading.Timer(0.5, release.set).start()
    try:
        response = administrator_client.post("/extensions/1000/", data)
    finally:
        release.set()
        thread.join()
    assert response.status_code == 302
    assert PbxUser.objects.get(pk="1000").name == "John Smith" and PbxUser.objects.filter(pk="5002").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_hot_desking_during_an_import_hears_try_later_then_works(agi_port, office, settings):
    settings.PBXADMIN_SQLITE_REQUEST_WAIT = 0.3
    thread, release = _hold_an_import(3)
    try:
        commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="1000", digits=["4711"]).run()
    finally:
        release.set()
        thread.join()
    if connection.vendor != "sqlite":
        # PostgreSQL: the phone is not held up by the import at all.
        assert played(commands) == [prompts.LOGGED_IN]
        assert Device.objects.get(pk="3001").user_id == "1000"
        return
    assert played(commands)[-3:] == [prompts.SORRY, prompts.TRY_LATER, prompts.GOODBYE]
    assert Device.objects.get(pk="3001").user_id == "1001"
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="1000", digits=["4711"]).run()
    assert played(commands) == [prompts.LOGGED_IN]
    assert Device.objects.get(pk="3001").user_id == "1000"


@pytest.mark.django_db
def test_an_ended_job_keeps_its_report_but_not_the_file_with_its_secrets(administrator_client):
    job = upload(
        administrator_client, "extension,name,tech,secret,password\n1000,Ana,sip,Keep9Me9Safe,4711\n"
    )
    assert "Keep9Me9Safe" in ImportJob.objects.get(pk=job.pk).text, "kept while it waits for confirmation"
    administrator_client.post(f"/bulk/{job.pk}/start/", {"existing": "skip"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.counts["create"] == 1
    assert job.text == ""
    assert "Keep9Me9Safe" not in str(ImportJob.objects.filter(pk=job.pk).values().get())
