import uuid

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """One uploaded file, from its preview to its result."""

    class Kind(models.TextChoices):
        EXTENSIONS = "extensions", "Extensions"
        USERS = "users", "Users"
        DEVICES = "devices", "Devices"
        TRUNKS = "trunks", "Trunks"
        ROUTES = "routes", "Outbound routes"
        DIDS = "dids", "Inbound routes (DIDs)"

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking"
        PREVIEWED = "previewed", "Checked, waiting for confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Nothing imported"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    filename = models.CharField(max_length=255)
    text = models.TextField()
    replace = models.BooleanField(default=False, help_text="Update existing ones (else skip them).")
    # The administrator's choices at confirmation: weak secrets kept or regenerated, and
    # whether existing phones' secrets may change.
    weak_secrets = models.CharField(max_length=12, blank=True)
    change_secrets = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREVIEWED)
    counts = models.JSONField(default=dict)
    # [{"line": 12, "column": "secret", "message": "…"}], at most a few thousand.
    problems = models.JSONField(default=list)
    # The dry run's view of the rows (the first MAX_ROWS_SHOWN) and the columns it ignored.
    rows = models.JSONField(default=list)
    ignored = models.JSONField(default=list)
    # The check's other findings: delimiter, weak secrets, secret changes (see bulk.jobs).
    findings = models.JSONField(default=dict)
    # What the check judged: a digest of the rows the file touches as they were (bulk.stamps).
    fingerprint = models.CharField(max_length=64, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # Why a job failed as a whole (a file error, a missing choice, a crash, a time-out).
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    # Since when the job waits for a worker (checking or queued, none has taken it yet).
    waiting_since = models.DateTimeField(null=True, blank=True)
    # The worker that took it (its node name first, for bulk.tasks.recover) and when.
    worker = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.filename}"
