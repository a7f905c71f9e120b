"""The state of the link to Asterisk as the pages show it, and who runs the sync now."""

from datetime import timedelta

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from directory.servers.current import current_id

# A request older than this with no run to show for it (a message the broker lost,
# a worker killed before it began) no longer blocks new requests.
STALE_REQUEST = timedelta(minutes=2)


# Where a request for a run is kept until a run takes it up.
_REQUEST = {"sync": ("queued", "queued_at"), "files": ("files_queued", "files_queued_at")}

# The kinds of run and where each keeps its lease. "files" is the config folder's writer: one at
# a time on any host (a lease in the database, not a lock on one machine's file system).
_LEASE = {
    "sync": ("running_by", "lease_until"),
    "reload": ("reload_by", "reload_until"),
    "files": ("files_by", "files_until"),
}


class ErrorKind(models.TextChoices):
    """The kinds of failure the banner tells apart (set from the AMI error class)."""

    UNREACHABLE = "unreachable", "Asterisk unreachable"
    BUSY = "busy", "Asterisk busy"
    LOGIN = "login", "Login refused"
    ACTION = "action", "Action refused"
    FILES = "files", "Config files not written"
    WARNING = "warning", "Warning"


class SyncStatus(models.Model):
    """One row per server: the state of the link to its Asterisk, as the pages show it, and who
    runs its sync. The methods below work on the row of the server in use
    (`directory.servers.current.current()`); each server's runs, leases and errors are its own.

    Every change of state goes through the methods below; each is one conditional
    UPDATE, so the web process, the workers and the commands can call them at once,
    on any host (the database is the one place they all see).

    - `queued`: a run is asked for and none has begun since (`request`). A save that
      finds it set asks for nothing more: the run to come reads everything committed
      before it begins.
    - `running_by` / `lease_until`: the run under way and how long its claim holds
      (`acquire`, `renew`, `finish`). A worker that dies mid-run leaves a lease that
      its restart lifts at once (`release_node`) or that simply expires; it never
      blocks the next run for long.
    - `reload_by` / `reload_until`: the same for the reloads, which run apart (`kind="reload"`):
      one reload in flight at a time, and none of them in the way of AstDB.
    """

    server = models.OneToOneField(
        "servers.Server", on_delete=models.CASCADE, default=current_id, related_name="sync_status"
    )
    # A run has been asked for (by a save, an import or "sync now") and none has begun since.
    queued = models.BooleanField(default=False)
    queued_at = models.DateTimeField(null=True, blank=True)
    # The run under way: who (a worker's node name, or a command's host and pid) and until when.
    running_by = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The reloads under way (their own run: a slow reload never holds up the next AstDB push).
    reload_by = models.CharField(max_length=200, blank=True)
    reload_until = models.DateTimeField(null=True, blank=True)
    # The config files' writer (`asterisk.locks.files_lease`): files are written and their reloads
    # read by one holder at a time, whichever process and host it runs in.
    files_by = models.CharField(max_length=200, blank=True)
    files_until = models.DateTimeField(null=True, blank=True)
    # A files run is asked for and no writer has taken the lease since: saves meanwhile ask for
    # nothing more (the writer to come reads every row committed before it takes the lease), so
    # a burst of saves never leaves workers' threads queued up behind one writer.
    files_queued = models.BooleanField(default=False)
    files_queued_at = models.DateTimeField(null=True, blank=True)
    # What Asterisk is reloading for the run under way, and since when (a big dialplan takes
    # seconds to tens of seconds: the banner says "busy", not "unreachable").
    reloading = models.CharField(max_length=40, blank=True)
    reloading_since = models.DateTimeField(null=True, blank=True)
    # A long run's progress, for the banner: {"what": …, "done": n, "total": n} (a first full sync).
    progress = models.JSONField(default=dict, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    # How long the last successful run took, and whether it was a full one.
    last_duration_s = models.FloatField(null=True, blank=True)
    last_full = models.BooleanField(default=False)
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
        """The row of the server in use (made on first use)."""
        return cls.objects.get_or_create(server_id=current_id())[0]

    @classmethod
    def _row(cls) -> models.QuerySet:
        row = cls.get()
        return cls.objects.filter(pk=row.pk)

    # --- asking for a run, and running it ---------------------------------------------

    @classmethod
    def request(cls, *, force: bool = False, kind: str = "sync") -> bool:
        """Mark a run (`kind` "sync" or "files") as asked for; True when the caller must queue it
        (none is asked for yet, or the last request is stale: its message was lost), or when forced."""
        flag, at = _REQUEST[kind]
        now = timezone.now()
        row = cls._row()
        if not force:
            row = row.filter(Q(**{flag: False}) | Q(**{f"{at}__lt": now - STALE_REQUEST}))
        return bool(row.update(**{flag: True, at: now}))

    @classmethod
    def unrequest(cls, *, kind: str = "sync") -> None:
        """The request could not be queued (the broker is down): the next save, or the periodic
        check once the broker is back, asks again."""
        flag, at = _REQUEST[kind]
        cls._row().update(**{flag: False, at: None})

    @classmethod
    def acquire(cls, owner: str, lease: timedelta, *, kind: str = "sync") -> bool:
        """Begin a run (`kind` "sync" or "reload") as `owner` unless another holds an unexpired
        lease. A sync run that begins takes the request with it: what is committed from now on
        asks for a run of its own."""
        by, until = _LEASE[kind]
        now = timezone.now()
        free = Q(**{by: ""}) | Q(**{f"{until}__lt": now}) | Q(**{by: owner})
        values = {by: owner, until: now + lease}
        if kind == "sync":
            values |= {"queued": False, "queued_at": None, "progress": {}}
        elif kind == "reload":
            values |= {"reloading": "", "reloading_since": None}
        else:
            # Whoever holds the files next reads the rows after this: a later save asks again.
            values |= {"files_queued": False, "files_queued_at": None}
        return bool(cls._row().filter(free).update(**values))

    @classmethod
    def renew(cls, owner: str, lease: timedelta, *, kind: str = "sync") -> bool:
        """Keep a long run's claim; False when it was lost (expired and taken)."""
        by, until = _LEASE[kind]
        return bool(cls._row().filter(**{by: owner}).update(**{until: timezone.now() + lease}))

    @classmethod
    def finish(cls, owner: str, *, kind: str = "sync") -> bool:
        """End `owner`'s run; for a sync run, return whether a run was asked for meanwhile (the
        caller queues it: a request made while this run held the lease found it taken)."""
        by, until = _LEASE[kind]
        values = {by: "", until: None}
        if kind == "sync":
            values |= {"progress": {}}
        elif kind == "reload":
            values |= {"reloading": "", "reloading_since": None}
        cls._row().filter(**{by: owner}).update(**values)
        return kind == "sync" and cls._row().filter(queued=True).exists()

    @classmethod
    def release_node(cls, node: str) -> int:
        """A worker starting as `node` lifts what a killed earlier life of it held."""
        lifted = (
            cls._row()
            .filter(running_by__startswith=f"{node}/")
            .update(running_by="", lease_until=None, progress={})
        )
        lifted += (
            cls._row()
            .filter(reload_by__startswith=f"{node}/")
            .update(reload_by="", reload_until=None, reloading="", reloading_since=None)
        )
        lifted += cls._row().filter(files_by__startswith=f"{node}/").update(files_by="", files_until=None)
        return lifted

    @classmethod
    def reloading_now(cls, what: str) -> None:
        """The run asks Asterisk to reload `what` (empty: the reloads are over)."""
        cls._row().update(reloading=what, reloading_since=timezone.now() if what else None)

    @classmethod
    def progressed(cls, what: str, done: int, total: int) -> None:
        cls._row().update(progress={"what": what, "done": done, "total": total})

    # --- what a run found ----------------------------------------------------------------

    @classmethod
    def connected(cls) -> None:
        """A run logged in to Asterisk: the link works, whatever comes next."""
        cls._row().update(last_connected_at=timezone.now())

    @classmethod
    def succeed(
        cls,
        *,
        actions: int,
        warnings: list[str],
        sent: dict | None = None,
        keep_error: bool = False,
        duration_s: float | None = None,
        full: bool = False,
        files_checked: bool = True,
    ) -> None:
        """A run reached Asterisk; `keep_error`: a problem of its own (the files) still stands.
        A run that left the files to their own writer (`files_checked` False) leaves their error
        to it (`files_written`)."""
        now = timezone.now()
        done = {
            "last_success_at": now,
            "last_actions": actions,
            "last_sent": sent or {},
            "last_duration_s": duration_s,
            "last_full": full,
            "runs": F("runs") + 1,
        }
        cls._row().update(**done)
        if not keep_error:
            # A reload's news (busy, a warning) is the reloads' own to clear (reloads_done).
            kept = [ErrorKind.WARNING, ErrorKind.BUSY, *([] if files_checked else [ErrorKind.FILES])]
            cls._row().exclude(last_error_kind__in=kept).update(
                last_error="; ".join(warnings)[:2000],
                last_error_at=now if warnings else None,
                last_error_kind=ErrorKind.WARNING if warnings else "",
            )

    @classmethod
    def files_written(cls, count: int) -> None:
        """The files the outbox named are written (`count` of them changed): their earlier
        failure no longer stands, and the last run's news counts them."""
        row = cls._row()
        row.filter(last_error_kind=ErrorKind.FILES).update(
            last_error="", last_error_at=None, last_error_kind=""
        )
        if count:
            # The sync run that asked for this write has recorded its counts; the files join them.
            sent = row.values_list("last_sent", flat=True).get() or {}
            row.update(last_sent={**sent, "files": count})

    @classmethod
    def reloads_done(cls, warnings: list[str]) -> None:
        """The reloads a run sent are answered: their warnings (a module not loaded) replace an
        earlier warning or busy state; a real error of a sync run stays."""
        now = timezone.now()
        row = cls._row()
        if warnings:
            row.filter(
                Q(last_error_kind="") | Q(last_error_kind__in=[ErrorKind.WARNING, ErrorKind.BUSY])
            ).update(
                last_error="; ".join(warnings)[:2000], last_error_at=now, last_error_kind=ErrorKind.WARNING
            )
        else:
            row.filter(last_error_kind__in=[ErrorKind.WARNING, ErrorKind.BUSY]).update(
                last_error="", last_error_at=None, last_error_kind=""
            )
        row.update(last_connected_at=now)

    @classmethod
    def fail(cls, error: str, *, kind: str) -> None:
        cls._row().update(last_error=error[:2000], last_error_at=timezone.now(), last_error_kind=kind)
