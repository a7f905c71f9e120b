"""The one API services record through: snapshot before, then created / changed / deleted.

    before = trail.snapshot(user)
    … change and save …
    trail.changed(before, user)

Entries are written in the caller's transaction, so a rollback records nothing.
Inside `batch()` (a bulk import) they are collected and bulk-inserted instead.
"""

import contextlib
import contextvars

from audit import actors
from audit.fields import is_secret, object_id, object_type, values_of
from audit.models import HIDDEN_CHANGE, Action, Entry, ObjectType, Via

__all__ = ["Action", "ObjectType", "batch", "changed", "created", "deleted", "record", "snapshot"]

BATCH_SIZE = 1000
_batch: contextvars.ContextVar[list[Entry] | None] = contextvars.ContextVar("audit_batch", default=None)

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
        if old == new or (old is None and new == ""):
            continue
        changes[name] = HIDDEN_CHANGE if is_secret(obj, name) else [old, new]
    return changes


def _entry(action: str, obj, changes: dict, *, kind: str = "", ref: str = "", label: str = "") -> Entry:
    via, person, detail = actors.current().who()
    return Entry(
        via=via,
        person=person,
        detail=detail,
        action=action,
        object_type=kind or object_type(obj),
        object_id=(ref if obj is None else object_id(obj))[:64],
        object_repr=(label if obj is None else str(obj))[:200],
        changes=changes,
    )


def _write(entries: list[Entry]) -> None:
    pending = _batch.get()
    if pending is None:
        Entry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        return
    pending.extend(entries)
    if len(pending) >= BATCH_SIZE:
        Entry.objects.bulk_create(pending, batch_size=BATCH_SIZE)
        pending.clear()


def created(*objs) -> None:
    _write([_entry(Action.CREATED, obj, diff(obj, {}, values_of(obj))) for obj in objs])


def deleted(*objs) -> None:
    _write([_entry(Action.DELETED, obj, diff(obj, values_of(obj), {})) for obj in objs])


def changed(before: Snapshot, *objs, action: str = Action.CHANGED) -> None:
    """Record each object whose fields differ from `before` (nothing when none do)."""
    entries = []
    for obj in objs:
        changes = diff(obj, before.get(_key(obj), {}), values_of(obj))
        if changes:
            entries.append(_entry(action, obj, changes))
    if entries:
        _write(entries)


def record(
    *, action: str, obj=None, changes: dict | None = None, kind: str = "", ref: str = "", label: str = ""
) -> None:
    """Any other action (an import, a login), on a model instance or on `kind` `ref` (`label`).

    `changes` must hold no secret value.
    """
    _write([_entry(action, obj, changes or {}, kind=kind, ref=ref, label=label)])


@contextlib.contextmanager
def batch():
    """Collect the entries made inside and insert them in bulk; an exception drops them."""
    pending: list[Entry] = []
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    Entry.objects.bulk_create(pending, batch_size=BATCH_SIZE)


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
