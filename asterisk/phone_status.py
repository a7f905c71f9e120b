"""Each phone's state, read from Asterisk's events and lists, and written to the database in batches.

`Tracker` turns AMI events (and the items of the snapshot lists, which look
like events) into one `Phone` per device, remembering which changed;
`save` writes the changed ones in one upsert and records state changes in a
short history. Everything Asterisk sends is untrusted text: names must be
device ids (digits), and an address or user agent is cut to length and
stripped of control characters before it is kept.
"""

import re
from dataclasses import dataclass, field, fields
from datetime import datetime

from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from asterisk.models import PhoneState, PhoneStatus, PhoneStatusChange, PhoneUsage

MAX_ADDRESS = 64
MAX_USER_AGENT = 120
# Device ids are digits (directory.devices.models); any other name is not one of ours.
DEVICE_ID = re.compile(r"[0-9]{1,20}")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# sip:2001-0x563d@127.0.0.1:5180;ob  or  sip:2001@[2001:db8::1]:5060
URI_HOST = re.compile(r"^sips?:(?:[^@;]*@)?(\[[0-9A-Fa-f:.]+\]|[^:;>]+)(?::(\d{1,5}))?")
PEER_STATUS_RTT = re.compile(r"\((\d+) ms\)", re.IGNORECASE)

USAGE = {
    "NOT_INUSE": PhoneUsage.IDLE,
    "INUSE": PhoneUsage.IN_USE,
    "BUSY": PhoneUsage.BUSY,
    "RINGING": PhoneUsage.RINGING,
    "RINGINUSE": PhoneUsage.RINGING,
    "ONHOLD": PhoneUsage.ON_HOLD,
    "UNAVAILABLE": PhoneUsage.UNAVAILABLE,
}
# Technologies as Asterisk names them in `Peer: SIP/2002`, `Device: PJSIP/2001`.
TECHS = {"PJSIP": "pjsip", "SIP": "sip", "IAX2": "iax2", "IAX": "iax2", "DAHDI": "dahdi"}


def clean(value, limit: int) -> str:
    """Untrusted text from Asterisk: no control characters, at most `limit` characters."""
    if not isinstance(value, str):
        return ""
    return CONTROL.sub("", value).strip()[:limit]


def device_of(name) -> str | None:
    """`SIP/2212` → `2212`, `2001` → `2001`; None for anything that is not a device id."""
    if not isinstance(name, str):
        return None
    name = name.partition("/")[2] if "/" in name else name
    return name if DEVICE_ID.fullmatch(name) else None


def tech_of(name) -> str:
    if not isinstance(name, str) or "/" not in name:
        return ""
    return TECHS.get(name.partition("/")[0].upper(), "")


def _port(value) -> int | None:
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 else None


def _host_port(uri) -> tuple[str, int | None]:
    match = URI_HOST.match(uri) if isinstance(uri, str) else None
    if not match:
        return "", None
    return clean(match[1].strip("[]"), MAX_ADDRESS), _port(match[2])


def _usec_ms(value) -> float | None:
    try:
        usec = int(value)
    except (TypeError, ValueError):
        return None
    return round(usec / 1000, 3) if usec > 0 else None


@dataclass
class Phone:
    device_id: str
    tech: str = ""
    state: str = PhoneState.UNKNOWN
    usage: str = PhoneUsage.UNKNOWN
    address: str = ""
    port: int | None = None
    user_agent: str = ""
    rtt_ms: float | None = None
    since: datetime | None = None


@dataclass
class Tracker:
    """The listener's memory: every phone Asterisk told about, and what changed since the last save."""

    phones: dict[str, Phone] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    # (device id, when, state, address, port, user agent): state changes for the history.
    changes: list[tuple] = field(default_factory=list)
    # Devices whose details (user agent) to ask Asterisk for: (tech, device id).
    wanted: set[tuple[str, str]] = field(default_factory=set)
    seen: set[str] | None = None
    events: int = 0

    # -- the snapshot: which phones Asterisk still knows -----------------
    def begin_snapshot(self) -> None:
        self.seen = set()

    def end_snapshot(self) -> None:
        """Phones Asterisk no longer lists (removed from its configuration) are unknown now."""
        for device_id, phone in self.phones.items():
            if device_id not in self.seen and phone.state != PhoneState.UNKNOWN:
                self._update(phone, state=PhoneState.UNKNOWN, usage=PhoneUsage.UNKNOWN, address="", port=None)
        self.seen = None

    # -- events -------------------------------------------------------------
    def apply(self, event: dict[str, str]) -> None:
        """One event (or list item), its header names in lower case."""
        self.events += 1
        handler = getattr(self, f"_on_{event.get('event', '').lower()}", None)
        if handler is not None:
            handler(event)

    def _phone(self, device_id: str, tech: str = "") -> Phone:
        phone = self.phones.get(device_id)
        if phone is None:
            phone = self.phones[device_id] = Phone(device_id)
        if tech:
            phone.tech = tech
        if self.seen is not None:
            self.seen.add(device_id)
        return phone

    def _update(self, phone: Phone, **values) -> None:
        changed = {k: v for k, v in values.items() if getattr(phone, k) != v}
        if not changed:
            return
        now = timezone.now()
        for name, value in changed.items():
            setattr(phone, name, value)
        if "state" in changed or "address" in changed or phone.since is None:
            if "state" in changed or phone.since is None:
                phone.since = now
            self.changes.append(
                (phone.device_id, now, phone.state, phone.address, phone.port, phone.user_agent)
            )
        self.dirty.add(phone.device_id)

    def _registered(self, phone: Phone, address: str, port: int | None, **values) -> None:
        if address and (address, port) != (phone.address, phone.port):
            # A new contact: the phone behind it may be another model.
            values.setdefault("user_agent", "")
            self.wanted.add((phone.tech, phone.device_id))
        self._update(phone, state=PhoneState.REGISTERED, address=address, port=port, **values)

    def _gone(self, phone: Phone, state: str) -> None:
        if state == PhoneState.UNREGISTERED:
            self._update(phone, state=state, address="", port=None, rtt_ms=None, user_agent="")
        else:
            self._update(phone, state=state, rtt_ms=None)

    def _on_contactstatus(self, e):
        """PJSIP: a contact was created, qualified, found unreachable or removed."""
        device_id = device_of(e.get("endpointname") or e.get("aor"))
        if device_id is None:
            return
        phone = self._phone(device_id, "pjsip")
        status = e.get("contactstatus", "")
        if status in ("Created", "NonQualified", "Reachable", "Unknown", "Updated"):
            address, port = _host_port(e.get("uri"))
            rtt = _usec_ms(e.get("roundtripusec")) if status == "Reachable" else None
            self._registered(phone, address or phone.address, port or phone.port, rtt_ms=rtt)
        elif status == "Unreachable":
            self._gone(phone, PhoneState.UNREACHABLE)
        elif status == "Removed":
            self._gone(phone, PhoneState.UNREGISTERED)

    def _on_contactlist(self, e):
        """PJSIP snapshot: one registered contact with its source address and user agent."""
        device_id = device_of(e.get("endpoint"))
        if device_id is None:
            return
        phone = self._phone(device_id, "pjsip")
        address, port = clean(e.get("viaaddr"), MAX_ADDRESS), _port(e.get("viaport"))
        if not address:
            address, port = _host_port(e.get("uri"))
        values = {"user_agent": clean(e.get("useragent"), MAX_USER_AGENT)}
        if e.get("status") == "Unreachable":
            self._update(
                phone, state=PhoneState.UNREACHABLE, address=address, port=port, rtt_ms=None, **values
            )
        else:
            rtt = _usec_ms(e.get("roundtripusec"))
            self._update(phone, state=PhoneState.REGISTERED, address=address, port=port, rtt_ms=rtt, **values)

    def _on_contactstatusdetail(self, e):
        """PJSIPShowEndpoint's answer: the details of a contact, asked for after a registration."""
        device_id = device_of(e.get("endpointname") or e.get("aor"))
        if device_id is None or device_id not in self.phones:
            return
        self._update(self.phones[device_id], user_agent=clean(e.get("useragent"), MAX_USER_AGENT))

    def _on_endpointlist(self, e):
        """PJSIP snapshot: every endpoint; one with no contact is not registered."""
        device_id = device_of(e.get("objectname"))
        if device_id is None:
            return
        phone = self._phone(device_id, "pjsip")
        if not (e.get("contacts") or "").strip():
            self._gone(phone, PhoneState.UNREGISTERED)
        self._on_devicestatechange({"device": f"PJSIP/{device_id}", "state": _endpoint_state(e)})

    def _on_peerentry(self, e):
        """chan_sip and IAX2 snapshot: one peer, its address and qualify status."""
        device_id = device_of(e.get("objectname"))
        if device_id is None:
            return
        tech = "iax2" if (e.get("channeltype") or "").upper().startswith("IAX") else "sip"
        phone = self._phone(device_id, tech)
        address, port = clean(e.get("ipaddress"), MAX_ADDRESS), _port(e.get("ipport"))
        status = (e.get("status") or "").upper()
        if not address or address in ("-none-", "(null)") or not port:
            self._gone(phone, PhoneState.UNREGISTERED)
        elif status.startswith("UNREACHABLE"):
            self._update(phone, state=PhoneState.UNREACHABLE, address=address, port=port, rtt_ms=None)
        else:
            match = PEER_STATUS_RTT.search(status)
            self._registered(phone, address, port, rtt_ms=float(match[1]) if match else None)

    def _on_peerstatus(self, e):
        """chan_sip, IAX2 and PJSIP: a peer registered, unregistered, became reachable or not."""
        peer = e.get("peer")
        device_id = device_of(peer)
        if device_id is None:
            return
        phone = self._phone(device_id, tech_of(peer))
        status = e.get("peerstatus", "")
        if phone.tech == "pjsip":
            # ContactStatus, which comes with it, says more (the contact and its round trip).
            if status == "Unreachable":
                self._gone(phone, PhoneState.UNREACHABLE)
            return
        if status == "Registered":
            address, _, port = (e.get("address") or "").rpartition(":")
            self._registered(phone, clean(address.strip("[]"), MAX_ADDRESS), _port(port))
        elif status == "Unregistered":
            self._gone(phone, PhoneState.UNREGISTERED)
        elif status == "Unreachable":
            self._gone(phone, PhoneState.UNREACHABLE)
        elif status in ("Reachable", "Lagged"):
            # chan_sip may add the qualify time in ms (`Time: 12`).
            rtt = _port(e.get("time"))
            self._update(phone, state=PhoneState.REGISTERED, rtt_ms=float(rtt) if rtt else phone.rtt_ms)

    def _on_devicestatechange(self, e):
        """In use, ringing, idle or unavailable (DeviceStateChange events and DeviceStateList items)."""
        device = e.get("device")
        device_id = device_of(device)
        tech = tech_of(device)
        if device_id is None or not tech:
            return
        phone = self._phone(device_id, tech)
        self._update(phone, usage=USAGE.get((e.get("state") or "").upper(), PhoneUsage.UNKNOWN))

    def peer_detail(self, reply: dict[str, str]) -> None:
        """SIPshowpeer's answer: the user agent of a registered chan_sip phone."""
        device_id = device_of(reply.get("objectname"))
        if device_id is None or device_id not in self.phones:
            return
        self._update(self.phones[device_id], user_agent=clean(reply.get("sip-useragent"), MAX_USER_AGENT))

    def take(self) -> tuple[list[Phone], list[tuple]]:
        """The phones changed since the last call (copies) and the state changes, for `save`."""
        phones = [
            Phone(**{f.name: getattr(self.phones[d], f.name) for f in fields(Phone)}) for d in self.dirty
        ]
        changes, self.changes, self.dirty = self.changes, [], set()
        return phones, changes


def _endpoint_state(e) -> str:
    # EndpointList's DeviceState reads "Not in use", "Unavailable", "In use", …
    return (e.get("devicestate") or "").upper().replace("NOT IN USE", "NOT_INUSE").replace(" ", "")


UPSERT_FIELDS = ["state", "usage", "address", "port", "user_agent", "rtt_ms", "since", "updated_at"]


def save(phones: list[Phone], changes: list[tuple]) -> None:
    """Write a batch: one upsert for the phones, one insert for the history, then trim it."""
    now = timezone.now()
    rows = [
        PhoneStatus(
            device_id=p.device_id,
            state=p.state,
            usage=p.usage,
            address=p.address,
            port=p.port,
            user_agent=p.user_agent,
            rtt_ms=p.rtt_ms,
            since=p.since,
            updated_at=now,
        )
        for p in phones
    ]
    history = [
        PhoneStatusChange(device_id=d, at=at, state=s, address=a, port=port, user_agent=ua)
        for d, at, s, a, port, ua in changes
    ]
    with transaction.atomic():
        PhoneStatus.objects.bulk_create(
            rows, batch_size=500, update_conflicts=True, unique_fields=["device"], update_fields=UPSERT_FIELDS
        )
        PhoneStatusChange.objects.bulk_create(history, batch_size=500)
        trim_history({d for d, *_ in changes})


def trim_history(device_ids: set[str]) -> None:
    """Keep the last HISTORY_KEPT changes of these devices."""
    if not device_ids:
        return
    ranked = (
        PhoneStatusChange.objects.filter(device_id__in=device_ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("device_id")], order_by=F("id").desc()))
        .filter(rank__gt=PhoneStatusChange.HISTORY_KEPT)
        .values_list("id", flat=True)
    )
    old = list(ranked)
    for start in range(0, len(old), 500):
        PhoneStatusChange.objects.filter(id__in=old[start : start + 500]).delete()
