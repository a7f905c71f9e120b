"""The bulk flow as the pages and the API run it: upload (the file is checked in the background),
confirm, export. Written once here; `web/bulk/views.py` and `api/views/bulk.py` are two thin
callers, and `import_extensions` runs the same import (`bulk.importing.import_file`).
"""

from collections.abc import Iterator

from django.core.exceptions import ValidationError

from bulk.exporting import EXPORT_KINDS, export_file
from bulk.importing import uploaded_text
from bulk.jobs import job_create, job_report
from bulk.models import ImportJob
from bulk.tasks import job_check_start, job_confirm_and_start

SKIP, REPLACE = "skip", "replace"
EXISTING = (SKIP, REPLACE)


class JobNotWaiting(Exception):
    """The job is not waiting for a confirmation (it was confirmed already, or failed)."""

    def __init__(self, job: ImportJob):
        super().__init__(f"Only a checked job (status previewed) can be confirmed; this one is {job.status}.")
        self.job = job


def import_upload(*, kind: str, filename: str, content: bytes, existing: str, created_by) -> ImportJob:
    """Keep an uploaded file and start its check (a dry run, in the background).

    A file that cannot be one of this kind (not CSV, not UTF-8, a required column missing) is
    refused at once: ValidationError on `file`.
    """
    from bulk.csvfile import CsvFileError

    try:
        text = uploaded_text(kind, content)
    except CsvFileError as e:
        raise ValidationError({"file": [str(e)]}) from None
    job = job_create(
        kind=kind,
        filename=filename or "upload.csv",
        text=text,
        replace=existing == REPLACE,
        created_by=created_by,
    )
    job_check_start(job=job)
    return job


def import_confirm(
    *, job: ImportJob, existing: str, weak_secrets: str = "", change_secrets: bool = False
) -> str:
    """Confirm a checked job: the import runs in the background, or, when the check no longer
    holds (another `existing` choice, expired, the rows changed since), the file is checked again.
    Returns "queued", "rechecking", or "" when a second click found it already confirmed.

    Refused: JobNotWaiting; ValidationError when rows of the file are refused, or a choice the
    import needs is missing (weak secrets: keep or regenerate; existing phones' secrets changing:
    `change_secrets`), by the same rule the import itself applies (`Report.choices_missing`).
    """
    if job.status != ImportJob.Status.PREVIEWED:
        raise JobNotWaiting(job)
    report = job_report(job)
    if not report.ok:
        raise ValidationError("Rows of this file are refused: upload a corrected file.")
    replace = existing == REPLACE
    # Another choice for existing rows is checked again first, and asked again then.
    if replace == job.replace and (
        missing := report.choices_missing(weak=weak_secrets, change_secrets=change_secrets)
    ):
        raise ValidationError({field: [message] for field, message in missing.items()})
    return job_confirm_and_start(
        job=job, replace=replace, weak_secrets=weak_secrets, change_secrets=change_secrets
    )


def export(*, kind: str, with_secrets: bool, search: str = "") -> Iterator[str]:
    """A Bulk Handler CSV file of every extension (those matching `search`), user or device,
    chunk by chunk; with secrets only when the caller may read them."""
    if kind not in EXPORT_KINDS:
        raise ValueError(f"Export one of: {', '.join(EXPORT_KINDS)}.")
    return export_file(kind=kind, with_secrets=with_secrets, search=search)
