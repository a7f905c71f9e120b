"""The check and the import as Celery tasks, how to start them, and what a starting worker
and the periodic check take up."""

import logging
import os
import socket

from celery import shared_task
from django.conf import settings

from bulk.jobs import job_check_run, job_confirm, job_fail, job_run, jobs_expire, jobs_recover
from bulk.models import ImportJob

log = logging.getLogger(__name__)


def _worker(request) -> str:
    node = request.hostname or f"local@{socket.gethostname()}"
    return f"{node}/{os.getpid()}/{request.id or '-'}"


@shared_task(
    bind=True,
    acks_late=False,
    soft_time_limit=settings.BULK_JOB_TIME_LIMIT - 60,
    time_limit=settings.BULK_JOB_TIME_LIMIT,
)
def check_job(self, job_id: str) -> dict:
    """The dry run of an uploaded file: a large one takes longer than any request may."""
    job = job_check_run(job_id, worker=_worker(self.request))
    return {"status": job.status, "counts": job.counts}


@shared_task(
    bind=True,
    acks_late=False,
    soft_time_limit=settings.BULK_JOB_TIME_LIMIT - 60,
    time_limit=settings.BULK_JOB_TIME_LIMIT,
)
def import_job(self, job_id: str) -> dict:
    """Import an uploaded, confirmed file. Not retried: an import either lands whole or reports why not."""
    job = job_run(job_id, worker=_worker(self.request))
    return {"status": job.status, "counts": job.counts}


@shared_task
def expire_stale_jobs() -> int:
    """The periodic check (celery beat): jobs no worker took, or that outlived their time limit."""
    return jobs_expire()


def _start(task, job: ImportJob) -> None:
    try:
        task.apply_async((str(job.pk),))
    except Exception as e:  # the broker is down: the job says so at once, nothing is lost
        log.warning("could not hand import job %s to a worker: %s", job.pk, e)
        job_fail(job.pk, f"No worker could be asked to run this job ({e}). Nothing was imported: try again.")


def job_check_start(*, job: ImportJob) -> None:
    """Check a job's file on a worker."""
    _start(check_job, job)


def job_start(*, job: ImportJob) -> None:
    """Import a job that job_confirm queued."""
    _start(import_job, job)


def job_confirm_and_start(*, job: ImportJob, replace: bool, weak_secrets: str, change_secrets: bool) -> str:
    """Confirm a checked job (page and API alike) and start what follows: the import, or the
    new check when the old one no longer holds. Returns job_confirm's outcome."""
    outcome = job_confirm(job=job, replace=replace, weak_secrets=weak_secrets, change_secrets=change_secrets)
    if outcome == "rechecking":
        job_check_start(job=job)
    elif outcome == "queued":
        job_start(job=job)
    return outcome


def recover(*, node: str) -> None:
    """A worker starts as `node`: the jobs an earlier life of it held are failed, with why."""
    if failed := jobs_recover(node=node):
        log.warning("%s import job(s) of an earlier %s were failed: their worker was killed", failed, node)
