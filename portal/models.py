"""Portal-wide settings an administrator changes from the Settings page."""

from django.conf import settings
from django.db import models


class PortalSettings(models.Model):
    """One row."""

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
