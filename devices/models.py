"""The device: one phone identity, with a dial string and fixed or adhoc behaviour."""

from django.db import models

from endpoints.techs import custom, dahdi, iax2, pjsip, sip
from portal.validators import SafeCharField, callerid_format, digits_only


class Tech(models.TextChoices):
    """The technologies, labelled by their modules in endpoints/techs (the one source of the name)."""

    PJSIP = "pjsip", pjsip.LABEL
    SIP = "sip", sip.LABEL
    IAX2 = "iax2", iax2.LABEL
    DAHDI = "dahdi", dahdi.LABEL
    CUSTOM = "custom", custom.LABEL


class DeviceType(models.TextChoices):
    FIXED = "fixed", "Fixed"
    ADHOC = "adhoc", "Adhoc (hot desk)"


# The order a user's devices are listed in AMPUSER/<ext>/device: as they arrived.
# Explicit about NULLs, which SQLite sorts first and PostgreSQL last.
ARRIVAL_ORDER = (models.F("user_since").asc(nulls_first=True), "id")


class Device(models.Model):
    id = SafeCharField("device ID", primary_key=True, max_length=20, validators=[digits_only])
    tech = SafeCharField("technology", max_length=8, choices=Tech.choices)
    dial = SafeCharField(
        "dial string",
        max_length=120,
        help_text="How Asterisk reaches the device, e.g. PJSIP/1000. Typed only for custom devices.",
    )
    devicetype = SafeCharField(
        "device type",
        max_length=8,
        choices=DeviceType.choices,
        default=DeviceType.FIXED,
    )
    user = models.ForeignKey(
        "users.PbxUser",
        verbose_name="current user",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
    )
    default_user = models.ForeignKey(
        "users.PbxUser",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="default_devices",
    )
    # When the current user arrived: keeps AMPUSER/<ext>/device in login order.
    user_since = models.DateTimeField(null=True, blank=True)
    emergency_cid = SafeCharField("emergency CID", max_length=80, blank=True, validators=[callerid_format])
    description = SafeCharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tech"])]

    def __str__(self) -> str:
        return f"{self.id} ({self.dial})"

    @property
    def is_adhoc(self) -> bool:
        return self.devicetype == DeviceType.ADHOC
