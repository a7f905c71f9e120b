"""The endpoint: the technology settings of one device, written into Asterisk's files."""

from django.db import models


class Endpoint(models.Model):
    device = models.OneToOneField(
        "devices.Device",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="endpoint",
    )
    # key -> value strings, checked against the technology's SETTINGS by the
    # services (see endpoints.techs.clean_settings). Kept as strings, like
    # FreePBX's sip/iax/dahdi tables, so Bulk Handler columns map one to one.
    settings = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"endpoint of {self.device_id}"
