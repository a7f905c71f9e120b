"""Reads of the phone status for pages and commands: a constant number of queries whatever the count."""

from collections.abc import Iterable

from django.db.models import QuerySet

from asterisk.models import PhoneState, PhoneStatus, PhoneStatusChange, PhoneUsage
from devices.models import Device
from devices.selectors import BY_ID

# States the "needs attention" filter of the lists shows.
DOWN = (PhoneState.UNREGISTERED, PhoneState.UNREACHABLE)


def device_states(ids: Iterable[str]) -> dict[str, PhoneStatus]:
    """Each device's status; a device Asterisk said nothing about is `unknown` (an unsaved row)."""
    ids = list(ids)
    found = {s.device_id: s for s in PhoneStatus.objects.filter(device_id__in=ids)}
    return {
        device_id: found.get(device_id)
        or PhoneStatus(device_id=device_id, state=PhoneState.UNKNOWN, usage=PhoneUsage.UNKNOWN)
        for device_id in ids
    }


def only_down(queryset: QuerySet, field: str, state: str) -> QuerySet:
    """The lists' filter: with `state="down"`, only rows whose device (`field`) is unregistered or unreachable."""
    if state != "down":
        return queryset
    down = PhoneStatus.objects.filter(state__in=DOWN).values("device_id")
    return queryset.filter(**{f"{field}__in": down}).distinct()


def recent_changes(device_id: str) -> list[PhoneStatusChange]:
    return list(
        PhoneStatusChange.objects.filter(device_id=device_id).order_by("-id")[
            : PhoneStatusChange.HISTORY_KEPT
        ]
    )


def status_rows(ids: Iterable[str] = ()) -> list[tuple[Device, PhoneStatus]]:
    """Devices (these, or all in number order) with their status, for `device_status`."""
    devices = Device.objects.only("id", "tech").order_by(*BY_ID)
    if ids:
        devices = devices.filter(id__in=list(ids))
    devices = list(devices)
    states = device_states(d.id for d in devices)
    return [(d, states[d.id]) for d in devices]


def as_json(status: PhoneStatus, tech: str) -> dict:
    """The contract of `device_status --json` and of the pages' polling endpoint."""
    address = status.address
    if address and status.port:
        address = f"[{address}]:{status.port}" if ":" in address else f"{address}:{status.port}"
    return {
        "id": status.device_id,
        "tech": tech,
        "state": status.state,
        "address": address or None,
        "user_agent": status.user_agent or None,
        "rtt_ms": status.rtt_ms,
        "since": status.since.isoformat() if status.since else None,
    }
