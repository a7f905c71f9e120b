"""Reading the audit log: the filtered list the page and the CSV export share."""

import datetime
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from audit.models import Entry

CSV_COLUMNS = ["at", "via", "person", "detail", "action", "object_type", "object_id", "object", "changes"]


def entry_list(
    *,
    types: Iterable[str] = (),
    object_id: str = "",
    person: str = "",
    action: str = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[Entry]:
    """Newest first; each filter is one of the table's indexes (`until` excluded)."""
    entries = Entry.objects.all()
    if types:
        entries = entries.filter(object_type__in=list(types))
    if object_id:
        entries = entries.filter(object_id=object_id)
    if person:
        entries = entries.filter(person=person)
    if action:
        entries = entries.filter(action=action)
    if since:
        entries = entries.filter(at__gte=since)
    if until:
        entries = entries.filter(at__lt=until)
    return entries


def entry_rows(entries: QuerySet[Entry]) -> Iterator[dict[str, str]]:
    """CSV rows: a secret's value was never recorded, so none can be exported."""
    for entry in entries.iterator(chunk_size=2000):
        yield {
            "at": entry.at.isoformat(timespec="seconds"),
            "via": entry.via,
            "person": entry.person,
            "detail": entry.detail,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "object": entry.object_repr,
            "changes": "; ".join(entry.change_lines()),
        }
