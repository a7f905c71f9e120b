"""What Asterisk last said about each phone, and whether the listener that hears it is connected."""

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from directory.servers.current import current_id


class PhoneState(models.TextChoices):
    REGISTERED = "registered", "Registered"
    UNREGISTERED = "unregistered", "Unregistered"
    UNREACHABLE = "unreachable", "Unreachable"
    UNKNOWN = "unknown", "Unknown"


class PhoneUsage(models.TextChoices):
    IDLE = "idle", "Idle"
    IN_USE = "in_use", "In use"
    RINGING = "ringing", "Ringing"
    BUSY = "busy", "Busy"
    ON_HOLD = "on_hold", "On hold"
    UNAVAILABLE = "unavailable", "Unavailable"
    UNKNOWN = "unknown", "Unknown"


class PhoneStatus(models.Model):
    """What Asterisk last said about one device's phone, as the AMI event listener keeps it.

    Keyed by device id with no database constraint: the listener writes what
    Asterisk reports in bulk without asking which devices the portal knows (a
    row for a device the portal does not have is never shown), and deleting a
    device deletes its row through Django's cascade.
    """

    device = models.OneToOneField(
        "devices.Device",
        primary_key=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="phone_status",
    )
    state = models.CharField(max_length=12, choices=PhoneState.choices, default=PhoneState.UNKNOWN)
    usage = models.CharField(max_length=12, choices=PhoneUsage.choices, default=PhoneUsage.UNKNOWN)
    address = models.CharField(max_length=64, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    user_agent = models.CharField(max_length=120, blank=True)
    rtt_ms = models.FloatField("round-trip ms", null=True, blank=True)
    # When the state (registered, unreachable, …) last changed.
    since = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "phone status"
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.device_id}: {self.state}"


class PhoneStatusChange(models.Model):
    """A short history of each device's state changes (the last HISTORY_KEPT), for the device page."""

    HISTORY_KEPT = 10

    device = models.ForeignKey(
        "devices.Device", on_delete=models.CASCADE, db_constraint=False, related_name="phone_changes"
    )
    at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=PhoneState.choices)
    address = models.CharField(max_length=64, blank=True)
    port = models.PositiveIntegerField(null=True, blank=True)
    user_agent = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [models.Index(fields=["device", "-id"])]

    def __str__(self) -> str:
        return f"{self.device_id} {self.state} at {self.at:%Y-%m-%d %H:%M:%S}"


class ListenerState(models.TextChoices):
    CONNECTED = "connected", "Following Asterisk's events"
    DOWN = "down", "The link to Asterisk is down"
    LOGIN = "login", "Asterisk refused the listener's login"
    STOPPED = "stopped", "The listener is stopped"


class ListenerStatus(models.Model):
    """One row per server: whether the AMI event listener follows that server's Asterisk now, as
    it last said (the methods work on the row of the server in use, `current()`).

    The phone states are only as current as this link: while it is down (or the
    listener is not running) they are what Asterisk said last, not what is true
    now. `since` is when the link last went up or down; moves between the ways
    of being down (refused, dropped, stopped) keep it. The listener writes
    `heartbeat_at` every few seconds while it runs, so a listener that was
    killed (and could not say so) is noticed by its silence.
    """

    # How often the running listener writes a sign of life, and after how long without one
    # it is taken for dead. Generous: a busy database may delay a write by a few seconds.
    HEARTBEAT = timedelta(seconds=5)
    SILENT_AFTER = timedelta(seconds=20)

    server = models.OneToOneField(
        "servers.Server", on_delete=models.CASCADE, default=current_id, related_name="listener_status"
    )
    state = models.CharField(max_length=12, choices=ListenerState.choices, default=ListenerState.STOPPED)
    since = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "listener status"

    def __str__(self) -> str:
        return f"AMI event listener: {self.state}"

    @classmethod
    def record(cls, state: str, error: str = "") -> None:
        """The listener's link is now `state`; one or two UPDATEs, no read."""
        now = timezone.now()
        server = current_id()
        cls.objects.get_or_create(server_id=server)
        row = cls.objects.filter(server_id=server)
        up = Q(state=ListenerState.CONNECTED)
        went = up if state != ListenerState.CONNECTED else ~up
        values = {"state": state, "error": error[:2000], "heartbeat_at": now}
        if not row.filter(went | Q(since__isnull=True)).update(since=now, **values):
            row.update(**values)

    @classmethod
    def beat(cls) -> None:
        cls.objects.filter(server_id=current_id()).update(heartbeat_at=timezone.now())
