import uuid

from django.conf import settings
from django.db import models


class ImportJob(models.Model):
    """One uploaded file, from its preview to its result."""

    class Kind(models.TextChoices):
        EXTENSIONS = "extensions", "Extensions"
        USERS = "users", "Users"
        DEVICES = "devices", "Devices"

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Checked, waiting for confirmation"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Nothing imported"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    filename = models.CharField(max_length=255)
    text = models.TextField()
    replace = models.BooleanField(default=True, help_text="Update existing ones (else skip them).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREVIEWED)
    counts = models.JSONField(default=dict)
    # [{"line": 12, "column": "secret", "message": "…"}], at most a few thousand.
    problems = models.JSONField(default=list)
    # The dry run's view of the rows (the first MAX_ROWS_SHOWN) and the columns it ignored.
    rows = models.JSONField(default=list)
    ignored = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.filename}"
