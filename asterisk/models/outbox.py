"""The outbox and what Asterisk holds as of pbxadmin's last push (AstDB keys, live dialplan entries).

Every row belongs to one server. `objects` reads and writes the rows of the server in use
(`directory.servers.current.current()`: the one a task entered with `using()`, else the default
one), so the sync, the files and the reloads, which run for one server at a time, never see
another server's; a new row takes that server unless told another. `every_server` reads them all.
"""

from django.db import connections, models, router

from directory.servers.current import current_id


class _OfCurrentServer(models.Manager):
    """The rows of the server in use (`directory.servers.current.current()`)."""

    def get_queryset(self):
        return super().get_queryset().filter(server_id=current_id())


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
        owner_column = self.model._meta.get_field("owner_key").column
        server_column = self.model._meta.get_field("server").column
        quote = connection.ops.quote_name
        # Only quoted table and column names go into the text; the values are parameters.
        sql = (
            f"INSERT INTO {quote(self.model._meta.db_table)} "  # noqa: S608
            f"({quote(server_column)}, {quote(owner_column)}, {quote(field.column)}) VALUES (%s, %s, %s)"
        )
        server = current_id()
        rows = [
            (server, owner, field.get_db_prep_save(keys, connection)) for owner, keys in keys_by_owner.items()
        ]
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

    server = models.ForeignKey(
        "servers.Server", on_delete=models.CASCADE, default=current_id, related_name="astdb_entries"
    )
    owner_key = models.CharField(max_length=64)
    keys = models.JSONField(default=dict)

    objects = _OfCurrentServer.from_queryset(AstdbEntryQuerySet)()
    every_server = models.Manager()  # noqa: DJ012 (objects, first, is the default manager)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["server", "owner_key"], name="astdb_entry_once")]

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

    # The server whose files, keys or reloads the row asks for.
    server = models.ForeignKey(
        "servers.Server", on_delete=models.CASCADE, default=current_id, related_name="sync_changes"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    ref = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = _OfCurrentServer()
    every_server = models.Manager()  # noqa: DJ012 (objects, first, is the default manager)

    class Meta:
        indexes = [models.Index(fields=["server", "kind", "id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"


class DialplanEntry(models.Model):
    """A user's per-user dialplan entries (`asterisk.render.dialplan.user_entries`) as the running
    Asterisk holds them after pbxadmin's last push: what the next change is compared with, so
    only what differs is sent (DialplanExtensionAdd / Remove) and no dialplan reload is needed."""

    server = models.ForeignKey(
        "servers.Server", on_delete=models.CASCADE, default=current_id, related_name="dialplan_entries"
    )
    number = models.CharField(max_length=40)
    # [[context, exten, priority, app, data], …]
    entries = models.JSONField(default=list)

    objects = _OfCurrentServer()
    every_server = models.Manager()  # noqa: DJ012 (objects, first, is the default manager)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["server", "number"], name="dialplan_entry_once")]

    def __str__(self) -> str:
        return f"dialplan of {self.number}"
