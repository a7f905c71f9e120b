"""Each trunk's registration with its carrier, read from Asterisk's events and lists.

The AMI event listener hands every event to `RegistrationTracker.apply` beside the phones'
tracker: chan_sip's and IAX2's `Registry` events and `RegistryEntry` list items
(`SIPshowregistry`, `IAXregistry`), PJSIP's `Registry` events and `OutboundRegistrationDetail`
items (`PJSIPShowRegistrationsOutbound`). What changed is written in one upsert
(`save`). Everything Asterisk sends is untrusted text: it is cleaned and cut to length, and a
row is only ever shown for a trunk whose technology, host and account it names
(`trunk_registration_states`).
"""

import re
from dataclasses import dataclass, field, fields
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from asterisk.models import RegistrationState, TrunkRegistration
from asterisk.phone_status import clean
from directory.connectivity.models import Trunk
from directory.servers.current import current_id

# Asterisk's words for a registration's state (chan_sip's regstate2str, IAX2's, PJSIP's).
STATES = {
    "registered": RegistrationState.REGISTERED,
    "unregistered": RegistrationState.UNREGISTERED,
    "request sent": RegistrationState.TRYING,
    "auth. sent": RegistrationState.TRYING,
    "rejected": RegistrationState.REJECTED,
    "no authentication": RegistrationState.REJECTED,
    "failed": RegistrationState.REJECTED,
    "timeout": RegistrationState.UNREACHABLE,
}
TECHS = {"sip": "sip", "iax2": "iax2", "iax": "iax2", "pjsip": "pjsip"}
# sip:office@127.0.0.1:5099, sip:127.0.0.1:5099;transport=udp, 127.0.0.1:4569, 127.0.0.1
_URI = re.compile(r"^(?:sips?:)?(?:(?P<user>[^@:;]*)@)?(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?")

Key = tuple[str, str, int, str]  # tech, host, port (0: not said), username


def _parse(value) -> tuple[str, int, str]:
    """(host, port, user) of a URI or host[:port]; ("", 0, "") for anything else."""
    match = _URI.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return "", 0, ""
    port = int(match["port"]) if match["port"] and 0 < int(match["port"]) < 65536 else 0
    return clean(match["host"], 253).lower(), port, clean(match["user"] or "", 64)


@dataclass
class Registration:
    tech: str
    host: str
    port: int
    username: str
    state: str = RegistrationState.UNKNOWN
    detail: str = ""
    since: datetime | None = None


@dataclass
class RegistrationTracker:
    registrations: dict[Key, Registration] = field(default_factory=dict)
    dirty: set[Key] = field(default_factory=set)

    def apply(self, event: dict[str, str]) -> None:
        """One event (or list item), its header names in lower case."""
        name = (event.get("event") or "").lower()
        if name in ("registry", "registryentry"):
            self._on_registry(event)
        elif name == "outboundregistrationdetail":
            self._on_outbound_detail(event)

    def _on_registry(self, e) -> None:
        tech = TECHS.get((e.get("channeltype") or "").lower())
        if (e.get("event") or "").lower() == "registryentry":
            # SIPshowregistry / IAXregistry: Host (IAX2: host:port), Port, Username, State.
            host, port, _ = _parse(e.get("host"))
            port = port or _int_port(e.get("port"))
            username = clean(e.get("username"), 64)
            tech = tech or ("iax2" if "perceived" in e else "sip")
            status = e.get("state")
        elif tech == "pjsip":
            # Username is the client URI, Domain the server URI.
            host, port, _ = _parse(e.get("domain"))
            _h, _p, username = _parse(e.get("username"))
            status = e.get("status")
        else:
            # chan_sip: Username and Domain (no port); IAX2: Domain is host:port, maybe a Username.
            host, port, _ = _parse(e.get("domain"))
            username = clean(e.get("username"), 64)
            status = e.get("status")
        if tech and host:
            self._update((tech, host, port, username), status)

    def _on_outbound_detail(self, e) -> None:
        host, port, _ = _parse(e.get("serveruri"))
        _h, _p, username = _parse(e.get("clienturi"))
        if host:
            self._update(("pjsip", host, port, username), e.get("status"))

    def _update(self, key: Key, status) -> None:
        word = clean(status, 40)
        state = STATES.get(word.lower(), RegistrationState.UNKNOWN)
        registration = self.registrations.get(key)
        if registration is None:
            registration = self.registrations[key] = Registration(*key)
        if (registration.state, registration.detail) == (state, word):
            return
        if registration.state != state or registration.since is None:
            registration.since = timezone.now()
        registration.state, registration.detail = state, word
        self.dirty.add(key)

    def take(self) -> list[Registration]:
        taken = [
            Registration(**{f.name: getattr(self.registrations[k], f.name) for f in fields(Registration)})
            for k in self.dirty
        ]
        self.dirty = set()
        return taken


def _int_port(value) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        return 0
    return port if 0 < port < 65536 else 0


def save(registrations: list[Registration]) -> None:
    now = timezone.now()
    server = current_id()
    rows = [
        TrunkRegistration(
            server_id=server,
            tech=r.tech,
            host=r.host,
            port=r.port,
            username=r.username,
            state=r.state,
            detail=r.detail,
            since=r.since,
            updated_at=now,
        )
        for r in registrations
    ]
    with transaction.atomic():
        TrunkRegistration.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["server", "tech", "host", "port", "username"],
            update_fields=["state", "detail", "since", "updated_at"],
        )


@dataclass(frozen=True)
class TrunkState:
    """A trunk's registration as the list shows it: `state` is a RegistrationState, or "" for
    a trunk that does not register (or is disabled)."""

    state: str
    label: str
    since: datetime | None = None
    detail: str = ""


NOT_REGISTERING = TrunkState("", "Does not register")


def trunk_registration_states(trunks=None) -> dict[int, TrunkState]:
    """Each trunk's registration state (`trunks`: Trunk objects, default every trunk), by id.

    A registration row belongs to a trunk of the same technology, carrier host and account,
    with the trunk's port or none said; the freshest row wins.
    """
    trunks = list(Trunk.objects.all() if trunks is None else trunks)
    hosts = {t.host.lower() for t in trunks}
    # As the server in use reports them (the default one, for the pages).
    registered = TrunkRegistration.objects.filter(server_id=current_id(), host__in=hosts)
    rows = sorted(registered, key=lambda r: r.updated_at, reverse=True)
    result: dict[int, TrunkState] = {}
    for trunk in trunks:
        if not (trunk.register and trunk.enabled):
            result[trunk.pk] = NOT_REGISTERING
            continue
        row = next(
            (
                r
                for r in rows
                if r.tech == trunk.tech
                and r.host == trunk.host.lower()
                and r.port in (0, trunk.effective_port)
                and r.username in ("", trunk.username)
            ),
            None,
        )
        if row is None:
            result[trunk.pk] = TrunkState(RegistrationState.UNKNOWN, RegistrationState.UNKNOWN.label)
        else:
            label = RegistrationState(row.state).label
            result[trunk.pk] = TrunkState(row.state, label, row.since, row.detail)
    return result
