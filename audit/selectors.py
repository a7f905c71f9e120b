"""Reading the audit log: the filtered list the page, the CSV export and the API share.

They list operations, each by its lead entry (audit/models.py), with `parts`: every
object the operation touched, as `with_parts` attaches them.
"""

import datetime
import itertools
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from audit.models import Entry, ObjectType

CSV_COLUMNS = [
    "at",
    "via",
    "person",
    "detail",
    "action",
    "object_type",
    "object_id",
    "object",
    "objects",
    "changes",
]

# The order an operation's objects are shown in: the person's number, the phone, its settings.
_SHOWN_FIRST = [ObjectType.USER, ObjectType.DEVICE, ObjectType.ENDPOINT]


def entry_list(
    *,
    types: Iterable[str] = (),
    object_id: str = "",
    person: str = "",
    action: str = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[Entry]:
    """Operations newest first (their lead entries). An operation is found by any object it
    touched; the other filters are the lead's, which its operation shares (`until` excluded)."""
    entries = Entry.objects.filter(lead=True)
    if types or object_id:
        touched = Entry.objects.all()
        if types:
            touched = touched.filter(object_type__in=list(types))
        if object_id:
            touched = touched.filter(object_id=object_id)
        entries = entries.filter(operation__in=touched.values("operation"))
    if person:
        entries = entries.filter(person=person)
    if action:
        entries = entries.filter(action=action)
    if since:
        entries = entries.filter(at__gte=since)
    if until:
        entries = entries.filter(at__lt=until)
    return entries


def _rank(entry: Entry) -> tuple[int, int]:
    kind = entry.object_type
    return (_SHOWN_FIRST.index(kind) if kind in _SHOWN_FIRST else len(_SHOWN_FIRST), entry.pk)


def with_parts(leads: Iterable[Entry]) -> list[Entry]:
    """The leads, each with `parts`: its operation's entries (itself included), users first,
    then devices and their settings. One query."""
    leads = list(leads)
    others: dict = {}
    rest = Entry.objects.filter(operation__in=[lead.operation for lead in leads], lead=False)
    for entry in rest.order_by("id"):
        others.setdefault(entry.operation, []).append(entry)
    for lead in leads:
        lead.parts = sorted([lead, *others.get(lead.operation, ())], key=_rank)
    return leads


def part_name(entry: Entry) -> str:
    """An object as the CSV names it beside its changes: `device 1000`."""
    return f"{entry.object_type} {entry.object_id}".strip()


def operation_changes(lead: Entry) -> list[str]:
    """Every change of the operation as stored; each named by its object when there are several."""
    if len(lead.parts) == 1:
        return lead.parts[0].change_lines()
    return [f"{part_name(part)}: {line}" for part in lead.parts for line in part.change_lines()]


def entry_rows(entries: QuerySet[Entry], *, chunk: int = 2000) -> Iterator[dict[str, str]]:
    """CSV rows, one per operation: a secret's value was never recorded, so none can be exported."""
    leads = entries.iterator(chunk_size=chunk)
    while batch := with_parts(itertools.islice(leads, chunk)):
        for entry in batch:
            yield {
                "at": entry.at.isoformat(timespec="seconds"),
                "via": entry.via,
                "person": entry.person,
                "detail": entry.detail,
                "action": entry.action,
                "object_type": entry.object_type,
                "object_id": entry.object_id,
                "object": entry.object_repr,
                "objects": "; ".join(f"{part_name(p)} {p.action}" for p in entry.parts),
                "changes": "; ".join(operation_changes(entry)),
            }
