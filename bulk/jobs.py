"""Import jobs: an uploaded file checked, confirmed, imported in the background, with progress."""

from collections import Counter

from django.core.cache import cache
from django.utils import timezone

from audit import actors
from bulk.importing import ImportRefused, Report, check_file, count_rows, import_file
from bulk.models import ImportJob


def _progress_key(job_id) -> str:
    return f"bulk-import-progress:{job_id}"


def job_create(*, kind: str, filename: str, text: str, replace: bool, created_by) -> tuple[ImportJob, object]:
    """Check the file (the dry run) and keep it for confirmation; return the job and its report."""
    report = check_file(kind, text, replace=replace)
    job = ImportJob.objects.create(
        kind=kind,
        filename=filename[:255],
        text=text,
        replace=replace,
        counts=dict(report.counts, total=report.total),
        problems=report.problems,
        rows=report.rows,
        ignored=report.ignored,
        created_by=created_by,
        status=ImportJob.Status.PREVIEWED if report.ok else ImportJob.Status.FAILED,
    )
    return job, report


def job_report(job: ImportJob) -> Report:
    """The dry run's report as the upload stored it (the import checks every row again anyway)."""
    counts = Counter({k: v for k, v in job.counts.items() if k != "total"})
    return Report(
        job.kind,
        total=job.counts.get("total", 0),
        counts=counts,
        problems=job.problems,
        rows=job.rows,
        ignored=job.ignored,
    )


def job_queued(*, job: ImportJob, replace: bool) -> None:
    """The job is confirmed and waits for a worker."""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED, replace=replace)
    cache.set(_progress_key(job.pk), {"done": 0, "total": count_rows(job.text)}, 3600)


def job_run(job_id: str) -> ImportJob:
    """Import the job's file now (in the worker); all or nothing."""
    job = ImportJob.objects.get(pk=job_id)
    total = count_rows(job.text)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)

    def progress(done: int) -> None:
        cache.set(_progress_key(job.pk), {"done": done, "total": total}, 3600)

    try:
        with actors.acting(actors.import_job(job)):
            report = import_file(
                job.kind,
                job.text,
                replace=job.replace,
                progress=progress,
                ref=str(job.pk),
                label=job.filename,
            )
        status = ImportJob.Status.DONE
    except ImportRefused as refused:
        report = refused.report
        status = ImportJob.Status.FAILED
    problems = report.problems
    if report.file_error:
        problems = [{"line": 0, "key": "", "column": "", "message": report.file_error, "action": "error"}]
    ImportJob.objects.filter(pk=job.pk).update(
        status=status,
        counts=dict(report.counts, total=report.total),
        problems=problems,
        finished_at=timezone.now(),
    )
    progress(total)
    job.refresh_from_db()
    return job


def job_progress(job: ImportJob) -> dict:
    state = cache.get(_progress_key(job.pk)) or {"done": 0, "total": job.counts.get("total", 0)}
    total = state["total"] or 1
    finished = job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)
    percent = 100 if finished else min(99, int(state["done"] * 100 / total))
    return {
        "status": job.status,
        "done": state["done"],
        "total": state["total"],
        "percent": percent,
        "finished": finished,
    }
