"""How long the audit log keeps its entries (AUDIT_RETENTION_DAYS)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import trail
from audit.models import Entry

DELETE_CHUNK = 5000


@transaction.atomic
def audit_prune(*, days: int | None = None) -> int:
    """Delete the entries older than `days` (default the setting); the pruning itself is recorded."""
    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    if days < 1:
        raise ValueError("the retention is at least one day")
    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted = 0
    # In chunks: SQLite limits the number of variables in one statement.
    while ids := list(Entry.objects.filter(at__lt=cutoff).values_list("id", flat=True)[:DELETE_CHUNK]):
        deleted += Entry.objects.filter(id__in=ids).delete()[0]
    if deleted:
        trail.record(
            action=trail.Action.PRUNED,
            kind=trail.ObjectType.AUDIT,
            label=f"entries before {cutoff:%Y-%m-%d %H:%M}",
            changes={"deleted": deleted, "days": days},
        )
    return deleted
