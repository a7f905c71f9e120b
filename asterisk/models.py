"""What the boundary keeps in the database: the outbox, the AstDB mirror and the link's status."""

from datetime import timedelta

from django.db import connections, models, router
from django.db.models import F, Q
from django.utils import timezone

# A request older than this with no run to show for it (a worker restarted,
# a process died) no longer blocks new requests.
STALE_REQUEST = timedelta(minutes=10)


class AstdbEntryQuerySet(models.QuerySet):
    def replace_all(self, keys_by_owner: dict[str, dict[str, str]]) -> None:
        """Make the mirror exactly these rows (call inside a transaction).

        A full sync records 30,000 rows; bulk_create spends most of its time
        compiling each value into SQL. This inserts them with one prepared
        statement, the JSON adapted by the field itself for the database in use.
        """
        self.all().delete()
        connection = connections[router.db_for_write(self.model)]
        field = self.model._meta.get_field("keys")
        quote = connection.ops.quote_name
        # Only quoted table and column names go into the text; the values are parameters.
        sql = (
            f"INSERT INTO {quote(self.model._meta.db_table)} "  # noqa: S608
            f"({quote(self.model._meta.pk.column)}, {quote(field.column)}) VALUES (%s, %s)"
        )
        rows = [(owner, field.get_db_prep_save(keys, connection)) for owner, keys in keys_by_owner.items()]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


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

    objects = AstdbEntryQuerySet.as_manager()

    def __str__(self) -> str:
        return self.owner_key


class SyncChange(models.Model):
    """The outbox: work that follows a committed change, written in the same transaction.

    `file` rows name a config file to regenerate; `user` and `device` rows name
    objects whose AstDB keys to push; `reload` rows name a module whose file
    changed on disk. A row is deleted only once its work is done, so a crash at
    any point leaves it for the next run.
    """

    class Kind(models.TextChoices):
        USER = "user"
        DEVICE = "device"
        FILE = "file"
        RELOAD = "reload"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    ref = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"


class ErrorKind(models.TextChoices):
    """The kinds of failure the banner tells apart (set from the AMI error class)."""

    UNREACHABLE = "unreachable", "Asterisk unreachable"
    LOGIN = "login", "Login refused"
    ACTION = "action", "Action refused"
    FILES = "files", "Config files not written"
    WARNING = "warning", "Warning"


class SyncStatus(models.Model):
    """One row: the state of the link to Asterisk, as the pages show it.

    Every change of state goes through the methods below; each is one UPDATE,
    so the web process, the worker and the commands can call them at once.
    """

    # A run has been asked for (by a save, an import or "sync now") and not finished yet.
    queued = models.BooleanField(default=False)
    queued_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_actions = models.PositiveIntegerField(default=0)
    # What the last successful run brought to Asterisk, in the administrator's terms (not AstDB
    # keys): {"extensions", "users", "devices", "files", "reloads"}: counts (sync.sent_counts).
    last_sent = models.JSONField(default=dict, blank=True)
    runs = models.PositiveIntegerField(default=0)
    # When a run last logged in to Asterisk: None means no sync has ever reached it.
    last_connected_at = models.DateTimeField(null=True, blank=True)
    # What the last error was, so the banner can say what to check.
    last_error_kind = models.CharField(max_length=12, choices=ErrorKind.choices, blank=True)

    class Meta:
        verbose_name_plural = "sync status"

    def __str__(self) -> str:
        return "Asterisk sync status"

    @classmethod
    def get(cls) -> "SyncStatus":
        return cls.objects.get_or_create(pk=1)[0]

    @classmethod
    def _row(cls) -> models.QuerySet:
        cls.get()
        return cls.objects.filter(pk=1)

    @classmethod
    def claim(cls, *, force: bool = False) -> bool:
        """Mark a run as asked for; False when one already is (and is not stale), unless forced."""
        now = timezone.now()
        row = cls._row()
        if not force:
            row = row.filter(Q(queued=False) | Q(queued_at__lt=now - STALE_REQUEST))
        return bool(row.update(queued=True, queued_at=now))

    @classmethod
    def started(cls) -> None:
        """A run begins: its request is fresh again for as long as it works."""
        cls._row().update(queued_at=timezone.now())

    @classmethod
    def release(cls) -> None:
        """No run is asked for any more (the last one ended, or gave up for good)."""
        cls._row().update(queued=False, queued_at=None)

    @classmethod
    def connected(cls) -> None:
        """A run logged in to Asterisk: the link works, whatever comes next."""
        cls._row().update(last_connected_at=timezone.now())

    @classmethod
    def succeed(
        cls, *, actions: int, warnings: list[str], sent: dict | None = None, keep_error: bool = False
    ) -> None:
        """A run reached Asterisk; `keep_error`: a problem of its own (the files) still stands."""
        now = timezone.now()
        done = {
            "last_success_at": now,
            "last_actions": actions,
            "last_sent": sent or {},
            "runs": F("runs") + 1,
        }
        if not keep_error:
            done |= {
                "last_error": "; ".join(warnings)[:2000],
                "last_error_at": now if warnings else None,
                "last_error_kind": ErrorKind.WARNING if warnings else "",
            }
        cls._row().update(**done)

    @classmethod
    def fail(cls, error: str, *, kind: str) -> None:
        cls._row().update(last_error=error[:2000], last_error_at=timezone.now(), last_error_kind=kind)


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
    """One row: whether the AMI event listener follows Asterisk now, as it last said.

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
        cls.objects.get_or_create(pk=1)
        row = cls.objects.filter(pk=1)
        up = Q(state=ListenerState.CONNECTED)
        went = up if state != ListenerState.CONNECTED else ~up
        values = {"state": state, "error": error[:2000], "heartbeat_at": now}
        if not row.filter(went | Q(since__isnull=True)).update(since=now, **values):
            row.update(**values)

    @classmethod
    def beat(cls) -> None:
        cls.objects.filter(pk=1).update(heartbeat_at=timezone.now())
