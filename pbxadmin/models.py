"""Portal-wide settings, and the bookkeeping for keeping Asterisk in step with the database."""

from django.conf import settings
from django.db import models


class PortalSettings(models.Model):
    """One row: settings an administrator changes from the Settings page."""

    class Mode(models.TextChoices):
        EXTENSIONS = "extensions", "Extensions (a user and a fixed device per number)"
        DEVICE_AND_USER = "deviceanduser", "Device and user (separate Users and Devices pages)"

    mode = models.CharField(max_length=16, choices=Mode.choices, default="")

    class Meta:
        verbose_name_plural = "portal settings"

    def __str__(self) -> str:
        return "Portal settings"

    @classmethod
    def get(cls) -> "PortalSettings":
        return cls.objects.get_or_create(pk=1, defaults={"mode": settings.PBX_MODE})[0]


class AstdbEntry(models.Model):
    """The AstDB keys of one object (`AMPUSER/1000`, `DEVICE/2001`, `CW/1000`) as Asterisk
    holds them after pbxadmin's last successful push.

    The incremental sync compares the keys the database implies with these and
    sends only the difference; `asterisk_sync --full` rebuilds them from what
    Asterisk really holds. One row per object, not per key: a full sync of
    10,000 extensions writes 20,000 rows instead of 300,000.
    """

    owner_key = models.CharField(max_length=64, primary_key=True)
    keys = models.JSONField(default=dict)

    def __str__(self) -> str:
        return self.owner_key


class SyncChange(models.Model):
    """Work the next sync must do, written in the same transaction as the change itself."""

    class Kind(models.TextChoices):
        USER = "user"
        DEVICE = "device"
        RELOAD = "reload"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    ref = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"


class SyncStatus(models.Model):
    """One row: what the pages show about the link to Asterisk."""

    # A run has been asked for (by a save, an import or "sync now") and not finished yet.
    queued = models.BooleanField(default=False)
    queued_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_actions = models.PositiveIntegerField(default=0)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "sync status"

    def __str__(self) -> str:
        return "Asterisk sync status"

    @classmethod
    def get(cls) -> "SyncStatus":
        return cls.objects.get_or_create(pk=1)[0]
