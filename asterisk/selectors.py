"""Reads of the phone status for pages and commands: a constant number of queries whatever the count.

A phone's state is only as current as the AMI event listener's link to
Asterisk (`listener_link`): while that is down, every state read here is
`unknown` since the link went down, and what Asterisk said last is kept
beside it as the last known state, never shown as current.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from asterisk.models import (
    ListenerState,
    ListenerStatus,
    PhoneState,
    PhoneStatus,
    PhoneStatusChange,
    PhoneUsage,
)
from directory.devices.models import Device
from directory.devices.selectors import BY_ID
from directory.servers.current import current_id
from directory.servers.models import Server

# States the "needs attention" filter of the lists shows.
DOWN = (PhoneState.UNREGISTERED, PhoneState.UNREACHABLE)


class States(dict):
    """Statuses by device id, and the link they were read under (`link`)."""

    link: "Link"


def device_states(ids: Iterable[str]) -> States:
    """Each device's status as it stands now; a device Asterisk said nothing about is `unknown`
    (an unsaved row). Each carries `stale`, `last_known_state`, `label` and `detail` (see `_as_seen`)."""
    ids = list(ids)
    found = {s.device_id: s for s in PhoneStatus.objects.filter(device_id__in=ids)} if ids else {}
    states = States()
    states.link = listener_link()
    # Each device's state is as current as the link to its own server's Asterisk.
    links = server_links() if ids else {}
    servers = dict(Device.objects.filter(pk__in=ids).values_list("pk", "server_id")) if len(links) > 1 else {}
    for device_id in ids:
        status = found.get(device_id) or PhoneStatus(
            device_id=device_id, state=PhoneState.UNKNOWN, usage=PhoneUsage.UNKNOWN
        )
        link = links.get(servers.get(device_id), states.link)
        states[device_id] = _as_seen(status, link)
    return states


def host_port(status: PhoneStatus) -> str:
    if status.address and status.port:
        return (
            f"[{status.address}]:{status.port}"
            if ":" in status.address
            else f"{status.address}:{status.port}"
        )
    return status.address


def _as_seen(status: PhoneStatus, link: "Link") -> PhoneStatus:
    """The status as the pages and the API tell it (the row itself is never saved from here).

    While the link is down: `state` and `usage` unknown, `since` the moment the
    link went down, and the row's own state kept as `last_known_state` (and
    `last_known_since`), so what Asterisk said last stays visible as stale.
    """
    status.link = link
    status.stale = not link.current
    status.last_known_state = status.state
    status.last_known_since = status.since
    status.busy = False
    where = " · ".join(part for part in (host_port(status), status.user_agent) if part)
    if status.stale:
        last_label = status.get_state_display()
        status.state, status.usage, status.since = PhoneState.UNKNOWN, PhoneUsage.UNKNOWN, link.since
        status.label = f"Unknown since {link.since_text}" if link.since else "Unknown"
        known = f"last known: {last_label}" if status.last_known_state != PhoneState.UNKNOWN else ""
        status.detail = " · ".join(part for part in (known, where) if part)
        status.title = link.text
    else:
        status.label = status.get_state_display()
        status.busy = status.state == PhoneState.REGISTERED and status.usage not in (
            PhoneUsage.IDLE,
            PhoneUsage.UNKNOWN,
        )
        status.detail = where
        status.title = status.user_agent
    return status


def only_down(queryset: QuerySet, field: str, state: str) -> QuerySet:
    """The lists' filter: with `state="down"`, only rows whose device (`field`) is unregistered or
    unreachable, as Asterisk last said (while the link is down too: the last known state)."""
    if state != "down":
        return queryset
    down = PhoneStatus.objects.filter(state__in=DOWN).values("device_id")
    return queryset.filter(**{f"{field}__in": down}).distinct()


def with_phone_state(queryset: QuerySet, field: str, state: str) -> QuerySet:
    """Rows whose device (`field`) is in `state`; a device Asterisk said nothing about is `unknown`."""
    if not state or state == "down":
        return only_down(queryset, field, state)
    if state == PhoneState.UNKNOWN:
        known = PhoneStatus.objects.exclude(state=PhoneState.UNKNOWN).values("device_id")
        return queryset.exclude(**{f"{field}__in": known}).filter(**{f"{field}__isnull": False}).distinct()
    return queryset.filter(
        **{f"{field}__in": PhoneStatus.objects.filter(state=state).values("device_id")}
    ).distinct()


# What a list (and the API's `state`) filters phones by: a state, or "down" (unregistered or unreachable).
PHONE_STATE_FILTERS = [*PhoneState.values, "down"]


def recent_changes(device_id: str) -> list[PhoneStatusChange]:
    return list(
        PhoneStatusChange.objects.filter(device_id=device_id).order_by("-id")[
            : PhoneStatusChange.HISTORY_KEPT
        ]
    )


def status_rows(ids: Iterable[str] = ()) -> list[tuple[Device, PhoneStatus]]:
    """Devices (these, or all in number order) with their status, for `device_status`."""
    devices = Device.objects.select_related("server").only("id", "tech", "server__name").order_by(*BY_ID)
    if ids:
        devices = devices.filter(id__in=list(ids))
    devices = list(devices)
    states = device_states(d.id for d in devices)
    return [(d, states[d.id]) for d in devices]


def as_json(status: PhoneStatus, tech: str) -> dict:
    """The contract of `device_status --json` (`status` from `device_states`): `state` and
    `since` as they stand now, so `unknown` while the link to Asterisk is down."""
    return {
        "id": status.device_id,
        "tech": tech,
        "state": status.state,
        "address": host_port(status) or None,
        "user_agent": status.user_agent or None,
        "rtt_ms": status.rtt_ms,
        "since": status.since.isoformat() if status.since else None,
    }


def as_json_with_last_known(status: PhoneStatus, tech: str) -> dict:
    """`as_json` and, for the API, whether it is stale and what Asterisk said last."""
    return {
        **as_json(status, tech),
        "stale": status.stale,
        "last_known_state": status.last_known_state,
        "last_known_since": status.last_known_since.isoformat() if status.last_known_since else None,
    }


# Why the phone states are not current, by the listener's state (SILENT: it stopped writing).
SILENT = "silent"
# Every state `Link` takes (the API documents them).
LINK_STATES = (*ListenerState.values, SILENT, "never")
NOT_CURRENT = {
    ListenerState.DOWN: "the link to Asterisk is down",
    ListenerState.LOGIN: "Asterisk refused the event listener's login",
    ListenerState.STOPPED: "the AMI event listener is stopped",
    SILENT: "the AMI event listener is not running",
}


@dataclass(frozen=True)
class Link:
    """Whether the phone states are current: the AMI event listener's link to Asterisk.

    `state` is the listener's (`connected`, `down`, `login`, `stopped`), `silent`
    when it stopped writing signs of life (killed), or `never` when no listener
    has ever run: then there are no states to doubt either.
    """

    state: str
    since: datetime | None = None
    error: str = ""

    @property
    def current(self) -> bool:
        return self.state in (ListenerState.CONNECTED, "never")

    @property
    def reason(self) -> str:
        return NOT_CURRENT.get(self.state, "")

    @property
    def since_text(self) -> str:
        """10:42 today, else 2025-11-26 10:42, in the portal's time zone."""
        if self.since is None:
            return ""
        moment = timezone.localtime(self.since)
        same_day = moment.date() == timezone.localdate()
        return date_format(moment, "H:i" if same_day else "Y-m-d H:i")

    @property
    def text(self) -> str:
        """ "status unknown since 10:42: the link to Asterisk is down", or "" while current."""
        if self.current:
            return ""
        since = f" since {self.since_text}" if self.since else ""
        return f"status unknown{since}: {self.reason}"

    def as_json(self) -> dict:
        return {
            "state": self.state,
            "current": self.current,
            "since": self.since.isoformat() if self.since else None,
            "error": self.error or None,
            "text": self.text or None,
        }


def listener_link() -> Link:
    """The listener's link as it last recorded it, or `silent` when it has not beaten its heart lately."""
    return _link_of(ListenerStatus.objects.filter(server_id=current_id()).first())


def server_links() -> dict[int, Link]:
    """Each server's listener link, by server id (a server whose listener never ran: `never`)."""
    links = {server: Link("never") for server in Server.objects.values_list("pk", flat=True)}
    for row in ListenerStatus.objects.all():
        links[row.server_id] = _link_of(row)
    return links


def _link_of(row: ListenerStatus | None) -> Link:
    if row is None:
        return Link("never")
    beat = row.heartbeat_at
    if row.state != ListenerState.STOPPED and (
        beat is None or beat < timezone.now() - ListenerStatus.SILENT_AFTER
    ):
        # It could not say it stopped (killed, the machine): what it said last is its last word.
        since = row.since if row.state != ListenerState.CONNECTED else beat
        return Link(SILENT, since, row.error)
    return Link(row.state, row.since, row.error)
