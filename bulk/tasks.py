"""The import as a Celery task, and how to start one."""

from celery import shared_task

from asterisk.runner import run_in_background
from bulk.jobs import job_queued, job_run
from bulk.models import ImportJob


@shared_task(acks_late=False, soft_time_limit=1800, time_limit=1900)
def import_job(job_id: str) -> dict:
    """Import an uploaded, confirmed file. Not retried: an import either lands whole or reports why not."""
    job = job_run(job_id)
    return {"status": job.status, "counts": job.counts}


def job_start(*, job: ImportJob, replace: bool) -> None:
    """Queue a confirmed job for the worker (or a thread of this process without a broker)."""
    job_queued(job=job, replace=replace)
    run_in_background(import_job, str(job.pk))
