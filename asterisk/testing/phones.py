"""Phones for the test AMI server: the lists Asterisk answers about them, and its recorded events.

The list answers (`PJSIPShowEndpoints`, `PJSIPShowContacts`, `SIPpeers`,
`IAXpeerlist`, `DeviceStateList`, `PJSIPShowEndpoint`, `SIPshowpeer`) follow
`recordings/asterisk-20.20.1-events.txt`, recorded on a real Asterisk 20.20.1
with two baresip phones: the same events, headers and order. `recorded_steps()`
gives that recording's event steps, which the server can play back verbatim.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RECORDING = Path(__file__).parent / "recordings" / "asterisk-20.20.1-events.txt"
BARESIP = "baresip v1.0.0 (x86_64/linux)"
# DeviceStateChange names → EndpointList's DeviceState text.
ENDPOINT_STATE = {
    "NOT_INUSE": "Not in use",
    "INUSE": "In use",
    "BUSY": "Busy",
    "RINGING": "Ringing",
    "RINGINUSE": "Ring+Inuse",
    "ONHOLD": "On Hold",
    "UNAVAILABLE": "Unavailable",
    "UNKNOWN": "Unknown",
}


@dataclass
class FakePhone:
    """One device as Asterisk sees it: `registered` (with a contact), `unreachable` or `unregistered`."""

    id: str
    tech: str  # pjsip, sip or iax2
    state: str = "unregistered"
    address: str = ""
    port: int = 0
    user_agent: str = ""
    rtt_usec: int = 0
    device_state: str = "UNAVAILABLE"

    @property
    def uri(self) -> str:
        return f"sip:{self.id}-0x563d4059ecf0@{self.address}:{self.port}"


def recorded_phones() -> dict[str, FakePhone]:
    """The devices of the recording before any phone started: PJSIP 2001 and 2003, chan_sip 2002."""
    return {
        p.id: p for p in (FakePhone("2001", "pjsip"), FakePhone("2002", "sip"), FakePhone("2003", "pjsip"))
    }


def _block(*headers: tuple[str, object]) -> str:
    return "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"


def _list(action_id, message: str, items: list[str], complete: str) -> str:
    aid = [("ActionID", action_id)] if action_id is not None else []
    start = _block(("Response", "Success"), *aid, ("EventList", "start"), ("Message", message))
    end = _block(("Event", complete), *aid, ("EventList", "Complete"), ("ListItems", len(items)))
    return start + "".join(items) + end


def _event(name: str, action_id, *headers) -> str:
    aid = [("ActionID", action_id)] if action_id is not None else []
    return _block(("Event", name), *aid, *headers)


class PhoneActions:
    """The list actions of the test server's sessions (mixed into its `_Session`)."""

    def _phones(self, *techs: str) -> list[FakePhone]:
        return [p for p in list(self.server.phones.values()) if p.tech in techs]

    def _action_pjsipshowendpoints(self, h, action_id):
        items = [
            _event(
                "EndpointList", action_id,
                ("ObjectType", "endpoint"), ("ObjectName", p.id), ("Transport", ""), ("Aor", p.id),
                ("Auths", f"{p.id}-auth"), ("OutboundAuths", ""),
                ("Contacts", f"{p.id}/{p.uri}," if p.state != "unregistered" else ""),
                ("DeviceState", ENDPOINT_STATE.get(p.device_state, "Unknown")), ("ActiveChannels", 0),
            )
            for p in self._phones("pjsip")
        ]  # fmt: skip
        return _list(
            action_id,
            "A listing of Endpoints follows, presented as EndpointList events",
            items,
            "EndpointListComplete",
        )

    def _action_pjsipshowcontacts(self, h, action_id):
        contacts = [p for p in self._phones("pjsip") if p.state != "unregistered"]
        if not contacts:
            return _block(
                ("Response", "Error"),
                *[("ActionID", action_id)] * (action_id is not None),
                ("Message", "No Contacts found"),
            )
        items = [self._contact(p, action_id) for p in contacts]
        return _list(
            action_id,
            "A listing of Contacts follows, presented as ContactList events",
            items,
            "ContactListComplete",
        )

    def _contact(self, p: FakePhone, action_id) -> str:
        reachable = p.state == "registered"
        return _event(
            "ContactList",
            action_id,
            ("ObjectType", "contact"),
            ("ObjectName", f"{p.id};@e9c9d1a64b71f40a0f06e2d33fe690db"),
            ("ViaAddr", p.address),
            ("QualifyTimeout", "3.000000"),
            ("Qualify2xxOnly", "false"),
            ("CallId", "31e126d3a783f2b6"),
            ("RegServer", ""),
            ("PruneOnBoot", "no"),
            ("Path", ""),
            ("Endpoint", p.id),
            ("ViaPort", p.port),
            ("AuthenticateQualify", "no"),
            ("Uri", p.uri),
            ("QualifyFrequency", 60),
            ("UserAgent", p.user_agent),
            ("ExpirationTime", 1795686042),
            ("OutboundProxy", ""),
            ("Status", "Reachable" if reachable else "Unreachable"),
            ("RoundtripUsec", p.rtt_usec if reachable else "N/A"),
        )

    def _peer_entries(self, action_id, tech: str, channeltype: str) -> list[str]:
        items = []
        for p in self._phones(tech):
            here = p.state != "unregistered"
            status = {"registered": f"OK ({max(1, p.rtt_usec // 1000)} ms)", "unreachable": "UNREACHABLE"}
            items.append(
                _event(
                    "PeerEntry",
                    action_id,
                    ("Channeltype", channeltype),
                    ("ObjectName", p.id),
                    ("ChanObjectType", "peer"),
                    ("IPaddress", p.address if here else "-none-"),
                    ("IPport", p.port if here else 0),
                    ("Dynamic", "yes"),
                    ("AutoForcerport", "no"),
                    ("Forcerport", "yes"),
                    ("AutoComedia", "no"),
                    ("Comedia", "yes"),
                    ("VideoSupport", "no"),
                    ("TextSupport", "no"),
                    ("ACL", "yes"),
                    ("Status", status.get(p.state, "UNKNOWN")),
                    ("RealtimeDevice", "no"),
                    ("Description", ""),
                    ("Accountcode", ""),
                )
            )
        return items

    def _action_sippeers(self, h, action_id):
        items = self._peer_entries(action_id, "sip", "SIP")
        return _list(action_id, "Peer status list will follow", items, "PeerlistComplete")

    def _action_iaxpeerlist(self, h, action_id):
        items = self._peer_entries(action_id, "iax2", "IAX")
        return _list(action_id, "IAX Peer status list will follow", items, "PeerlistComplete")

    def _action_devicestatelist(self, h, action_id):
        names = {"pjsip": "PJSIP", "sip": "SIP", "iax2": "IAX2"}
        items = [
            _event(
                "DeviceStateChange",
                action_id,
                ("Device", f"{names[p.tech]}/{p.id}"),
                ("State", p.device_state),
            )
            for p in list(self.server.phones.values())
        ]
        return _list(action_id, "Device State Changes will follow", items, "DeviceStateListComplete")

    def _action_pjsipshowendpoint(self, h, action_id):
        p = self.server.phones.get(h.get("endpoint", ""))
        if p is None or p.tech != "pjsip":
            return _block(
                ("Response", "Error"),
                *[("ActionID", action_id)] * (action_id is not None),
                ("Message", f"Unable to retrieve endpoint {h.get('endpoint', '')}"),
            )
        items = [_event("EndpointDetail", action_id, ("ObjectType", "endpoint"), ("ObjectName", p.id))]
        if p.state != "unregistered":
            items.append(
                _event(
                    "ContactStatusDetail",
                    action_id,
                    ("AOR", p.id),
                    ("URI", p.uri),
                    ("UserAgent", p.user_agent),
                    ("RegExpire", 1795686042),
                    ("ViaAddress", f"{p.address}:{p.port}"),
                    ("CallID", "31e126d3a783f2b6"),
                    ("Status", "Reachable" if p.state == "registered" else "Unreachable"),
                    ("RoundtripUsec", p.rtt_usec),
                    ("EndpointName", p.id),
                )
            )
        return _list(
            action_id,
            "Following are Events for each object associated with the Endpoint",
            items,
            "EndpointDetailComplete",
        )

    def _action_sipshowpeer(self, h, action_id):
        p = self.server.phones.get(h.get("peer", ""))
        aid = [("ActionID", action_id)] if action_id is not None else []
        if p is None or p.tech != "sip":
            return _block(("Response", "Error"), *aid, ("Message", "Peer not found"))
        here = p.state != "unregistered"
        return _block(
            ("Response", "Success"),
            *aid,
            ("Channeltype", "SIP"),
            ("ObjectName", p.id),
            ("ChanObjectType", "peer"),
            ("Address-IP", p.address if here else "(null)"),
            ("Address-Port", p.port if here else 0),
            ("Status", "OK (1 ms)" if p.state == "registered" else "UNKNOWN"),
            ("SIP-Useragent", p.user_agent if here else ""),
            ("Reg-Contact", f"sip:{p.id}-0x55c771937cf0@{p.address}:{p.port}" if here else ""),
        )


def follow(phones: dict[str, FakePhone], block: str) -> None:
    """Keep the phones as Asterisk would after sending this event, so a later snapshot agrees with it."""
    h = {}
    for line in block.strip().split("\r\n"):
        name, _, value = line.partition(": ")
        h[name.lower()] = value
    event = h.get("event", "")
    name = (h.get("endpointname") or h.get("peer") or h.get("device") or "").rpartition("/")[2]
    p = phones.get(name)
    if p is None:
        return
    if event == "ContactStatus":
        status = h.get("contactstatus")
        if status in ("Created", "NonQualified", "Reachable"):
            match = re.search(r"@([^:;]+):(\d+)", h.get("uri", ""))
            p.state, p.address, p.port = "registered", match[1], int(match[2])
            p.rtt_usec = int(h.get("roundtripusec") or 0)
            p.user_agent = p.user_agent or BARESIP
        elif status == "Unreachable":
            p.state = "unreachable"
        elif status == "Removed":
            p.state, p.address, p.port, p.user_agent = "unregistered", "", 0, ""
    elif event == "PeerStatus" and p.tech != "pjsip":
        status = h.get("peerstatus")
        if status == "Registered":
            address, _, port = h.get("address", "").rpartition(":")
            p.state, p.address, p.port = "registered", address, int(port)
            p.user_agent = p.user_agent or BARESIP
        elif status == "Unregistered":
            p.state, p.address, p.port, p.user_agent = "unregistered", "", 0, ""
        elif status == "Unreachable":
            p.state = "unreachable"
    elif event == "DeviceStateChange":
        p.device_state = h.get("state", "UNKNOWN")


@cache
def recorded_steps() -> dict[str, list[str]]:
    """The recording's event steps, by the first word of their note: `PHONES` (2001 and 2002 register),
    `CALL`, `PHONE` (2002 unregisters), `pjsip` (2001 found unreachable). Each is a list of event blocks,
    verbatim with CRLF."""
    steps: dict[str, list[str]] = {}
    title = ""
    for part in re.split(r"^=== (.*) ===\n", RECORDING.read_bytes().decode(), flags=re.M)[1:]:
        if not title:
            title = part
            continue
        blocks = [b + "\r\n\r\n" for b in part.split("\r\n\r\n") if b.strip().startswith("Event:")]
        if blocks and not title.startswith("C->S"):
            steps[title.split()[0].rstrip(":")] = blocks
        title = ""
    return steps
