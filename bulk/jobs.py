"""Import jobs: an uploaded file checked in the background, confirmed, imported in the background.

A job moves checking → previewed → queued → running → done, or to failed with
the reason, from any state. Each move is one conditional UPDATE, so two clicks
or two workers cannot both move it (a job is queued and run once). A job
records which worker took it and when: a worker that starts again fails the
jobs an earlier life of it was running (bulk.tasks.recover), and a job no
worker took within BULK_JOB_QUEUE_TIMEOUT, or still running past the task's
time limit, is failed when the page polls it or by the periodic check, instead
of being waited for forever.
"""

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from audit import actors
from bulk.csvfile import DELIMITERS
from bulk.importing import ImportRefused, Report, check_file, count_rows, import_file
from bulk.models import ImportJob
from bulk.stamps import file_fingerprint

Status = ImportJob.Status
ACTIVE = (Status.CHECKING, Status.QUEUED, Status.RUNNING)
FINISHED = (Status.PREVIEWED, Status.DONE, Status.FAILED)
NOTHING_IMPORTED = "Nothing was imported: an import lands whole or not at all."


def _progress_key(job_id) -> str:
    return f"bulk-import-progress:{job_id}"


def _set_progress(job_id, *, done: int, total: int) -> None:
    cache.set(_progress_key(job_id), {"done": done, "total": total}, 86400)


def _take(job_id, from_status: str, to_status: str, worker: str) -> bool:
    """A worker takes a waiting job (once: a second worker, or a job failed meanwhile, is not)."""
    return bool(
        ImportJob.objects.filter(pk=job_id, status=from_status, started_at__isnull=True).update(
            status=to_status, worker=worker[:200], started_at=timezone.now()
        )
    )


def job_fail(job_id, reason: str, *, only_from=ACTIVE) -> bool:
    """Move a job to failed with its reason, unless it has moved on meanwhile. Its file goes:
    it holds secrets and PINs, and a failed job is retried by uploading again."""
    return bool(
        ImportJob.objects.filter(pk=job_id, status__in=only_from).update(
            status=Status.FAILED, error=reason, finished_at=timezone.now(), text=""
        )
    )


def job_create(*, kind: str, filename: str, text: str, replace: bool, created_by) -> ImportJob:
    """Keep an uploaded file for its check, which runs in the background (bulk.tasks.job_check_start)."""
    job = ImportJob.objects.create(
        kind=kind,
        filename=filename[:255],
        text=text,
        replace=replace,
        created_by=created_by,
        status=Status.CHECKING,
        waiting_since=timezone.now(),
    )
    _set_progress(job.pk, done=0, total=0)
    return job


def job_check_run(job_id, worker: str = "") -> ImportJob:
    """The dry run of a job's file (in the worker): every row classified, nothing written."""
    if not _take(job_id, Status.CHECKING, Status.CHECKING, worker):
        # checked already (a second worker, a second click), or failed meanwhile
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.get(pk=job_id)
    rechecked = job.error  # why a confirmation asked for this check again (job_confirm)
    try:
        total = count_rows(job.text)
        _set_progress(job.pk, done=0, total=total)
        # Taken before the rows are read: a change made while they are is noticed too.
        stamp = file_fingerprint(job.kind, job.text)
        report = check_file(
            job.kind,
            job.text,
            replace=job.replace,
            progress=lambda done: _set_progress(job.pk, done=done, total=total),
        )
    except Exception as e:  # a crash, a time-out: the job says so, and the page stops waiting
        job_fail(job.pk, f"The check stopped: {e or type(e).__name__}. Nothing was imported.")
    else:
        ImportJob.objects.filter(pk=job.pk, status=Status.CHECKING).update(
            status=Status.FAILED if report.file_error else Status.PREVIEWED,
            error=report.file_error,
            counts=dict(report.counts, total=report.total),
            problems=report.problems,
            rows=report.rows,
            ignored=report.ignored,
            findings=_findings(report) | {"rechecked": rechecked},
            fingerprint=stamp,
            checked_at=timezone.now(),
            finished_at=timezone.now() if report.file_error else None,
        )
        _set_progress(job.pk, done=report.total, total=report.total)
    job.refresh_from_db()
    return job


def _findings(report: Report) -> dict:
    return {
        "delimiter": DELIMITERS.get(report.delimiter, report.delimiter),
        "weak": report.weak,
        "undecided": report.undecided,
        "secret_changes": report.secret_changes,
        "weak_secret_changes": report.weak_secret_changes,
    }


def job_report(job: ImportJob) -> Report:
    """The check's report as the job stored it (the import checks every row again anyway)."""
    counts = Counter({k: v for k, v in job.counts.items() if k != "total"})
    findings = job.findings or {}
    return Report(
        job.kind,
        total=job.counts.get("total", 0),
        counts=counts,
        problems=job.problems,
        rows=job.rows,
        ignored=job.ignored,
        delimiter=findings.get("delimiter", "comma"),
        weak=findings.get("weak", 0),
        undecided=findings.get("undecided", 0),
        secret_changes=findings.get("secret_changes", 0),
        weak_secret_changes=findings.get("weak_secret_changes", 0),
    )


def check_expired(job: ImportJob) -> bool:
    return job.checked_at is None or timezone.now() - job.checked_at > timedelta(
        seconds=settings.BULK_CHECK_MAX_AGE
    )


def _expired_checks():
    """Checks waiting for a confirmation that did not come within BULK_CHECK_MAX_AGE."""
    cutoff = timezone.now() - timedelta(seconds=settings.BULK_CHECK_MAX_AGE)
    return ImportJob.objects.filter(
        Q(checked_at__lt=cutoff) | Q(checked_at__isnull=True), status=Status.PREVIEWED
    )


def _expired_reason() -> str:
    return (
        f"The check expired unconfirmed (older than {settings.BULK_CHECK_MAX_AGE // 60} minutes): its file, "
        f"which held secrets and PINs, was deleted. {NOTHING_IMPORTED} Upload the file again to check it anew."
    )


def checks_expire(job_id=None) -> int:
    """Fail each check that expired unconfirmed (or only `job_id`'s), deleting its file: an
    uploaded file holds secrets and PINs, and one nobody confirms must not be kept for ever.
    How many."""
    expired = _expired_checks()
    if job_id is not None:
        expired = expired.filter(pk=job_id)
    return expired.update(status=Status.FAILED, error=_expired_reason(), finished_at=timezone.now(), text="")


def job_confirm(*, job: ImportJob, replace: bool, weak_secrets: str, change_secrets: bool) -> str:
    """Confirm a checked job: "queued", or "rechecking" with why (the check is not valid for
    what would be imported now), "expired" (the check is too old: the job is failed and its
    file deleted), or "" when the job was no longer waiting (a second click).

    The caller starts the import or the new check (bulk.tasks).
    """
    waiting = ImportJob.objects.filter(pk=job.pk, status=Status.PREVIEWED)
    why = ""
    if replace != job.replace:
        why = "Existing rows are now to be {}: the file was checked again for that.".format(
            "replaced" if replace else "skipped"
        )
    elif check_expired(job):
        # Its file is deleted, not checked again: the administrator uploads it anew.
        return "expired" if checks_expire(job.pk) else ""
    elif file_fingerprint(job.kind, job.text) != job.fingerprint:
        why = (
            "Something this file touches changed since the check: it was checked again. "
            "Read the new result before you confirm."
        )
    again = {"waiting_since": timezone.now(), "worker": "", "started_at": None}
    if why:
        if not waiting.update(status=Status.CHECKING, replace=replace, error=why, **again):
            return ""
        _set_progress(job.pk, done=0, total=0)
        return "rechecking"
    if not waiting.update(
        status=Status.QUEUED, weak_secrets=weak_secrets, change_secrets=change_secrets, **again
    ):
        return ""
    _set_progress(job.pk, done=0, total=job.counts.get("total", 0))
    return "queued"


def job_run(job_id, worker: str = "") -> ImportJob:
    """Import the job's file now (in the worker); all or nothing. Runs once: a job already
    taken (or failed meanwhile) is left alone."""
    if not _take(job_id, Status.QUEUED, Status.RUNNING, worker):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    total = job.counts.get("total", 0)

    def progress(done: int) -> None:
        _set_progress(job.pk, done=done, total=total)

    def unchanged_since_check() -> str:
        if file_fingerprint(job.kind, job.text) == job.fingerprint:
            return ""
        return (
            "Something this file touches changed between the check and the import, so nothing was "
            "imported. Upload the file again to check it against the database as it is now."
        )

    try:
        with actors.acting(actors.import_job(job)):
            report = import_file(
                job.kind,
                job.text,
                replace=job.replace,
                weak=job.weak_secrets,
                change_secrets=job.change_secrets,
                progress=progress,
                guard=unchanged_since_check,
                ref=str(job.pk),
                label=job.filename,
            )
    except ImportRefused as refused:
        report = refused.report
        reason = report.file_error or report.refusal
        if not reason:
            reason = f"{report.counts['error']} {'row' if report.counts['error'] == 1 else 'rows'} refused."
        _finish(job, Status.FAILED, report, reason)
    except Exception as e:  # a crash, a time-out (Celery's soft limit): say so, nothing landed
        job_fail(job.pk, f"The import stopped: {e or type(e).__name__}. {NOTHING_IMPORTED}")
    else:
        # Unconditional: if a poll took this job for dead meanwhile, the commit says otherwise.
        _finish(job, Status.DONE, report, "")
    job.refresh_from_db()
    return job


def _finish(job: ImportJob, status: str, report: Report, reason: str) -> None:
    """The job has ended; the uploaded file, which holds secrets and PINs, is not kept."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        text="",
        error=reason,
        counts=dict(report.counts, total=report.total),
        problems=report.problems,
        finished_at=timezone.now(),
    )
    _set_progress(job.pk, done=report.total, total=report.total)


def job_progress(job: ImportJob) -> dict:
    """Where a job is, for the progress page; a job whose worker stopped answering, or whose
    check expired unconfirmed, is failed here."""
    if job.status in ACTIVE:
        reason = _stalled(job)
        if reason and job_fail(job.pk, reason, only_from=(job.status,)):
            job.refresh_from_db()
    elif job.status == Status.PREVIEWED and check_expired(job) and checks_expire(job.pk):
        job.refresh_from_db()
    state = cache.get(_progress_key(job.pk)) or {"done": 0, "total": job.counts.get("total", 0)}
    finished = job.status in FINISHED
    total = state["total"]
    percent = min(100, state["done"] * 100 // total) if total else 0
    if finished:
        percent = 100
    return {
        "status": job.status,
        # A checked job waiting for confirmation has finished its check, not its import.
        "phase": "check"
        if job.status in (Status.CHECKING, Status.PREVIEWED) or job.checked_at is None
        else "import",
        "done": state["done"],
        "total": total,
        "percent": percent,
        "finished": finished,
        "failed": job.status == Status.FAILED,
        "error": job.error if job.status == Status.FAILED else "",
    }


def _stalled(job: ImportJob) -> str:
    """Why a job no worker is on any more is over: never taken, or running past its time limit."""
    now = timezone.now()
    if job.started_at is None:
        since = job.waiting_since or job.created_at
        if (now - since).total_seconds() <= settings.BULK_JOB_QUEUE_TIMEOUT:
            return ""
        return (
            f"No worker took this job within {settings.BULK_JOB_QUEUE_TIMEOUT // 60} minutes: "
            f"is the worker running? {NOTHING_IMPORTED}"
        )
    if (now - job.started_at).total_seconds() <= settings.BULK_JOB_TIME_LIMIT:
        return ""
    what = "check" if job.status == Status.CHECKING else "import"
    return (
        f"The {what} did not finish within {settings.BULK_JOB_TIME_LIMIT // 60} minutes: its worker "
        f"was stopped or killed. {NOTHING_IMPORTED} Upload the file again to retry."
    )


def jobs_expire() -> int:
    """Fail every active job that `_stalled` gives up on, and every check that expired
    unconfirmed (the periodic check); how many."""
    failed = checks_expire()
    for job in ImportJob.objects.filter(status__in=ACTIVE):
        reason = _stalled(job)
        if reason and job_fail(job.pk, reason):
            failed += 1
    return failed


def jobs_recover(*, node: str) -> int:
    """A worker starts as `node`: the jobs an earlier life of it had taken died with it."""
    failed = 0
    for job in ImportJob.objects.filter(status__in=ACTIVE, worker__startswith=f"{node}/"):
        what = "check" if job.status == Status.CHECKING else "import"
        if job_fail(
            job.pk,
            f"The {what}'s worker was stopped or killed (it has started again). "
            f"{NOTHING_IMPORTED} Upload the file again to retry.",
        ):
            failed += 1
    return failed
