"""What the real-Asterisk tests ask Asterisk about calls, in Asterisk's own words."""

import re

from asterisk.testing.pbx import wait_for

# `core show channels concise`: channel!context!exten!priority!state!application!data!callerid!…
_CONCISE = ("channel", "context", "exten", "priority", "state", "application", "data", "callerid")


def channels(pbx) -> list[dict[str, str]]:
    rows = []
    for line in pbx.cli("core show channels concise").splitlines():
        parts = line.split("!")
        if len(parts) >= len(_CONCISE):
            rows.append(dict(zip(_CONCISE, parts, strict=False)))
    return rows


def channel_of(pbx, prefix: str, state: str | None = None, application: str | None = None):
    """The first channel whose name starts with `prefix` (`PJSIP/2001-`), in `state` and running
    `application` if given; None when there is none."""
    for row in channels(pbx):
        if (
            row["channel"].startswith(prefix)
            and (state is None or row["state"] == state)
            and (application is None or row["application"] == application)
        ):
            return row
    return None


def wait_channel(pbx, prefix: str, state: str | None = None, what: str = "") -> dict[str, str]:
    return wait_for(
        lambda: channel_of(pbx, prefix, state),
        what or f"a channel {prefix}… {state or ''} (channels: {channels(pbx)})",
    )


def channel_details(pbx, name: str) -> dict[str, str]:
    """`core show channel <name>` as {field: value} (`Caller ID`, `Connected Line ID Name`, …)."""
    details = {}
    for line in pbx.cli(f"core show channel {name}").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            details.setdefault(key.strip(), value.strip())
    return details


def no_channels(pbx) -> bool:
    return not channels(pbx)


def pjsip_contact_registered(pbx, device_id: str) -> bool:
    return bool(re.search(rf"Contact:\s+{device_id}/sip:", pbx.cli(f"pjsip show contacts like {device_id}")))


def sip_peer_registered(pbx, device_id: str) -> bool:
    peer = pbx.cli(f"sip show peer {device_id}")
    match = re.search(r"Addr->IP\s*:\s*(\S+)", peer)
    return bool(match) and not match.group(1).startswith("(null)") and "127.0.0.1" in match.group(1)


def registered(pbx, device_id: str, tech: str) -> bool:
    return (
        pjsip_contact_registered(pbx, device_id) if tech == "pjsip" else sip_peer_registered(pbx, device_id)
    )
