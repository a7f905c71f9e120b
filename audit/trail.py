"""The one API services record through: snapshot before, then created / changed / deleted.

    before = trail.snapshot(user)
    … change and save …
    trail.changed(before, user)

Entries are written in the caller's transaction, so a rollback records nothing.
Inside `batch()` (a bulk import) they are collected and inserted a thousand at a time.

A service is one `operation()` (a decorator): what it records, and what the services
it calls record, is one entry on the page, listing every object touched. Outside one,
each call here is an operation of its own.
"""

import contextlib
import contextvars
import uuid
from dataclasses import dataclass

from django.db import connections, router
from django.utils import timezone

from audit import actors
from audit.fields import is_secret, object_id, object_type, values_of
from audit.models import HIDDEN_CHANGE, Action, Entry, ObjectType, Via

__all__ = [
    "Action",
    "ObjectType",
    "batch",
    "changed",
    "created",
    "deleted",
    "operation",
    "record",
    "snapshot",
]

BATCH_SIZE = 1000
# An entry as inserted:
# (via, person, detail, action, object_type, object_id, object_repr, operation, lead, changes).
Row = tuple[str, str, str, str, str, str, str, uuid.UUID, bool, dict]
_batch: contextvars.ContextVar[list[Row] | None] = contextvars.ContextVar("audit_batch", default=None)


@dataclass
class _Operation:
    key: uuid.UUID
    led: bool = False  # its first row (the lead) is written

    def mark(self) -> tuple[uuid.UUID, bool]:
        """This operation's key, and whether the row about to be written leads it."""
        lead, self.led = not self.led, True
        return self.key, lead


_operation: contextvars.ContextVar[_Operation | None] = contextvars.ContextVar(
    "audit_operation", default=None
)


@contextlib.contextmanager
def operation():
    """Everything recorded inside, by this service and the services it calls, is one operation.

    Nested operations join the outermost one. As a decorator: `@trail.operation()`.
    """
    if _operation.get() is not None:
        yield
        return
    token = _operation.set(_Operation(uuid.uuid4()))
    try:
        yield
    finally:
        _operation.reset(token)


Snapshot = dict[tuple[str, str], dict[str, object]]


def _key(obj) -> tuple[str, str]:
    return object_type(obj), object_id(obj)


def snapshot(*objs) -> Snapshot:
    """The recorded fields of these objects now, to compare with after the change."""
    return {_key(obj): values_of(obj) for obj in objs if obj is not None}


def diff(obj, before: dict, after: dict) -> dict[str, object]:
    """{field: [before, after]} for each field that differs; a secret only as "changed"."""
    changes: dict[str, object] = {}
    for name in [*after, *(n for n in before if n not in after)]:
        old, new = before.get(name), after.get(name)
        if old == new or (old is None and new in ("", [])) or (new is None and old in ("", [])):
            continue
        changes[name] = HIDDEN_CHANGE if is_secret(obj, name) else [old, new]
    return changes


def _row(
    op: _Operation, action: str, obj, changes: dict, *, kind: str = "", ref: str = "", label: str = ""
) -> Row:
    via, person, detail = actors.current().who()
    if obj is not None:
        kind, ref, label = object_type(obj), object_id(obj), str(obj)
    return (via, person, detail, action, kind, ref[:64], label[:200], *op.mark(), changes)


def _current() -> _Operation:
    """The operation under way, or a new one for this call alone."""
    return _operation.get() or _Operation(uuid.uuid4())


def _write(rows: list[Row]) -> None:
    pending = _batch.get()
    if pending is None:
        _insert(rows)
        return
    pending.extend(rows)
    if len(pending) >= BATCH_SIZE:
        _insert(pending)
        pending.clear()


_COLUMNS = (
    "at",
    "via",
    "person",
    "detail",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "operation",
    "lead",
    "changes",
)


def _insert(rows: list[Row]) -> None:
    """One executemany: a bulk import records an entry per object, and bulk_create's
    per-field preparation of 30,000 model instances would cost more than the import's own
    inserts. The values are adapted by the backend's own operations (JSON, time zone)."""
    if not rows:
        return
    connection = connections[router.db_for_write(Entry)]
    ops = connection.ops
    columns = ", ".join(ops.quote_name(Entry._meta.get_field(c).column) for c in _COLUMNS)
    # Only names from the model and placeholders: the values travel as parameters.
    table = ops.quote_name(Entry._meta.db_table)
    placeholders = ", ".join(["%s"] * len(_COLUMNS))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    at = ops.adapt_datetimefield_value(timezone.now())
    key = Entry._meta.get_field("operation").get_db_prep_value  # a native uuid or its hex text
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (at, *row[:7], key(row[7], connection), row[8], ops.adapt_json_value(row[9], None))
                for row in rows
            ],
        )


def created(*objs) -> None:
    op = _current()
    _write([_row(op, Action.CREATED, obj, diff(obj, {}, values_of(obj))) for obj in objs])


def deleted(*objs) -> None:
    op = _current()
    _write([_row(op, Action.DELETED, obj, diff(obj, values_of(obj), {})) for obj in objs])


def changed(before: Snapshot, *objs, action: str = Action.CHANGED) -> None:
    """Record each object whose fields differ from `before` (nothing when none do)."""
    op = _current()
    rows = []
    for obj in objs:
        changes = diff(obj, before.get(_key(obj), {}), values_of(obj))
        if changes:
            rows.append(_row(op, action, obj, changes))
    if rows:
        _write(rows)


def record(
    *, action: str, obj=None, changes: dict | None = None, kind: str = "", ref: str = "", label: str = ""
) -> None:
    """Any other action (an import, a login), on a model instance or on `kind` `ref` (`label`).

    `changes` must hold no secret value.
    """
    _write([_row(_current(), action, obj, changes or {}, kind=kind, ref=ref, label=label)])


def file_rewritten(*, name: str) -> None:
    """An administrator had a generated config file rewritten from the database."""
    record(action=Action.REWROTE, kind=ObjectType.FILE, ref=name, label=name)


@contextlib.contextmanager
def batch():
    """Collect the entries made inside and insert them in bulk; an exception drops them."""
    pending: list[Row] = []
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    _insert(pending)


# Portal logins and logouts (Django's auth signals).


def _person_acting(user):
    return actors.acting(actors.Actor(Via.PORTAL, person=user.get_username()))


def portal_logged_in(sender, request, user, **kwargs) -> None:
    with _person_acting(user):
        record(action=Action.LOGGED_IN, obj=user)


def portal_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        with _person_acting(user):
            record(action=Action.LOGGED_OUT, obj=user)
