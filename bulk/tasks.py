from celery import shared_task

from bulk.jobs import job_run


@shared_task(acks_late=False, soft_time_limit=1800, time_limit=1900)
def import_job(job_id: str) -> dict:
    """Import an uploaded, confirmed file. Not retried: an import either lands whole or reports why not."""
    job = job_run(job_id)
    return {"status": job.status, "counts": job.counts}
