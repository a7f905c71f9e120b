"""The check and the import as Celery tasks, and how to start them."""

from celery import shared_task

from asterisk.runner import run_in_background
from bulk.jobs import job_check_run, job_confirm, job_run
from bulk.models import ImportJob


@shared_task(acks_late=False, soft_time_limit=1800, time_limit=1900)
def check_job(job_id: str) -> dict:
    """The dry run of an uploaded file: a large one takes longer than any request may."""
    job = job_check_run(job_id)
    return {"status": job.status, "counts": job.counts}


@shared_task(acks_late=False, soft_time_limit=1800, time_limit=1900)
def import_job(job_id: str) -> dict:
    """Import an uploaded, confirmed file. Not retried: an import either lands whole or reports why not."""
    job = job_run(job_id)
    return {"status": job.status, "counts": job.counts}


def job_check_start(*, job: ImportJob) -> None:
    """Check a job's file on the worker (or a thread of this process without a broker)."""
    run_in_background(check_job, str(job.pk))


def job_start(*, job: ImportJob) -> None:
    """Import a job that job_confirm queued."""
    run_in_background(import_job, str(job.pk))


def job_confirm_and_start(*, job: ImportJob, replace: bool, weak_secrets: str, change_secrets: bool) -> str:
    """Confirm a checked job (page and API alike) and start what follows: the import, or the
    new check when the old one no longer holds. Returns job_confirm's outcome."""
    outcome = job_confirm(job=job, replace=replace, weak_secrets=weak_secrets, change_secrets=change_secrets)
    if outcome == "rechecking":
        job_check_start(job=job)
    elif outcome == "queued":
        job_start(job=job)
    return outcome
