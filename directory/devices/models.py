"""The device: one phone identity, with a dial string and fixed or adhoc behaviour."""

from django.db import models
from django.utils import timezone

from directory.folding import FoldedSearch, folded_field
from directory.servers.current import default_id
from directory.techs import custom, dahdi, iax2, pjsip, sip
from directory.validators import SafeCharField, callerid_format, digits_only


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


class Device(FoldedSearch):
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
    # The description folded for searching (portal/folding.py).
    description_folded = folded_field()
    FOLDED = {"description_folded": "description"}
    # Set while the endpoint's secret is short of the strong rule: only a bulk
    # import whose administrator chose to keep a migrated office's secrets puts
    # one there. The Extensions page lists these so they can be changed later.
    weak_credential = models.BooleanField("weak credential kept", default=False, editable=False)
    # The Asterisk server the phone registers with.
    server = models.ForeignKey(
        "servers.Server",
        on_delete=models.PROTECT,
        default=default_id,
        related_name="devices",
    )
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


class HotdeskLockout(models.Model):
    """Failed hot-desk PIN attempts in a row, across calls, for one user or one device (never both).

    Counted per user (someone guessing one person's PIN from any phone) and per
    device (someone trying many people's PINs from one phone). A correct PIN
    deletes the rows of that user and that device; so does an administrator.
    """

    user = models.OneToOneField(
        "users.PbxUser", null=True, blank=True, on_delete=models.CASCADE, related_name="hotdesk_lockout"
    )
    device = models.OneToOneField(
        Device, null=True, blank=True, on_delete=models.CASCADE, related_name="hotdesk_lockout"
    )
    failures = models.PositiveIntegerField("failed attempts", default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    # The Asterisk channel of the last failure (e.g. PJSIP/3001-0000001a): which phone tried.
    last_channel = SafeCharField(max_length=80, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=True, device__isnull=False)
                | models.Q(user__isnull=False, device__isnull=True),
                name="hotdesk_lockout_user_xor_device",
            )
        ]

    def __str__(self) -> str:
        who = f"user {self.user_id}" if self.user_id else f"device {self.device_id}"
        return f"{who}: {self.failures} failed attempts"

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()
