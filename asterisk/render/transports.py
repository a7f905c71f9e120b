"""The SIP settings as Asterisk reads them: chan_sip's [general] and the PJSIP transports.

`sip_general_additional.conf` is included inside sip.conf's `[general]`, so it
holds bare `key=value` lines: what FreePBX's SIP Settings module writes there
with its defaults (no guests, the same answer to a wrong password as to an
unknown user, codecs, RTP timeouts, ToS), then the page's own settings.
`pjsip.transports.conf` holds one `type=transport` section per protocol that
is on, named and written as FreePBX does (`0.0.0.0-udp`, `allow_reload=no`,
`tos=cs3`, `cos=3`). Devices name only transports that exist
(`chan_sip_protocols`, `pjsip_transport_names`). The reference these follow is
FreePBX 17's own output, `asterisk/tests/data/freepbx17-ext100/`.
"""

import ipaddress

from asterisk.render.conf import Section, banner, format_items, format_section
from directory.endpoints.models import EVERY_ADDRESS, SipSettings, split_networks

SIP_GENERAL = "sip_general_additional.conf"
PJSIP_TRANSPORTS = "pjsip.transports.conf"
# Like the device files, the transports file starts by including the administrator's own additions.
PJSIP_TRANSPORTS_CUSTOM = "pjsip.transports_custom.conf"

# FreePBX 17's chan_sip [general] lines with its defaults, in its order, before the NAT
# settings (which come from the page) and after them. Without them sip.conf's own
# [general] rules: Asterisk's sample lets unauthenticated guests into `context=public`.
_GENERAL_BEFORE_NAT = (
    ("vmexten", "*97"),
    ("disallow", "all"),
    *(("allow", codec) for codec in ("ulaw", "alaw", "gsm", "g726", "g722")),
    ("context", "from-sip-external"),
    ("callerid", "Unknown"),
    ("notifyringing", "yes"),
    ("notifyhold", "yes"),
    ("tos_sip", "cs3"),
    ("tos_audio", "ef"),
    ("tos_video", "af41"),
    ("alwaysauthreject", "yes"),
    ("limitonpeers", "yes"),
)
_GENERAL_AFTER_NAT = (
    ("g726nonstandard", "no"),
    ("videosupport", "no"),
    ("maxcallbitrate", "384"),
    ("canreinvite", "no"),
    ("rtptimeout", "30"),
    ("rtpholdtimeout", "300"),
    ("checkmwi", "10"),
    ("registertimeout", "20"),
    ("maxexpiry", "3600"),
    ("minexpiry", "60"),
    ("defaultexpiry", "120"),
    ("jbenable", "no"),
    ("allowguest", "no"),
    ("srvlookup", "no"),
    ("callevents", "no"),
)
# FreePBX's SIP Settings defaults for each PJSIP transport: a new port or address waits for
# Asterisk's restart (as it would anyway), and signalling is marked for QoS (DSCP CS3, 802.1p 3).
_TRANSPORT_DEFAULTS = (("allow_reload", "no"), ("tos", "cs3"), ("cos", "3"))

# chan_sip 11.5+ reads the old nat words as these flags (as for devices).
_NAT = {"yes": "force_rport,comedia", "route": "force_rport", "never": "no"}


def chan_sip_protocols(s: SipSettings) -> frozenset[str]:
    """What a chan_sip device's `transport=` may name. WebSocket needs no listener of its own here."""
    return frozenset(
        {"udp", "ws", "wss"} | ({"tcp"} if s.sip_tcp else set()) | ({"tls"} if s.sip_tls else set())
    )


def _address(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ipaddress.ip_address(address).version == 6 else f"{address}:{port}"


def _pjsip_transports(s: SipSettings) -> list[tuple[str, int]]:
    on = [
        ("udp", s.pjsip_udp, s.pjsip_udp_port),
        ("tcp", s.pjsip_tcp, s.pjsip_tcp_port),
        ("tls", s.pjsip_tls, s.pjsip_tls_port),
    ]
    return [(protocol, port) for protocol, enabled, port in on if enabled]


def pjsip_transport_names(s: SipSettings) -> frozenset[str]:
    """The transports `pjsip.transports.conf` defines; a device's `transport=` must be one of them."""
    return frozenset(f"{s.pjsip_bind_address}-{protocol}" for protocol, _port in _pjsip_transports(s))


def media_address(s: SipSettings) -> str:
    """The address PJSIP endpoints send media from: the transports' own when they are bound to
    one address (FreePBX writes `media_address=` and `bind_rtp_to_media_address=yes` then), else ""."""
    return "" if s.pjsip_bind_address in (EVERY_ADDRESS, "::") else s.pjsip_bind_address


def _external(s: SipSettings) -> tuple[str, str]:
    """(`externip` or `externhost`, the address)."""
    if not s.external_address:
        return "", ""
    try:
        ipaddress.ip_address(s.external_address)
    except ValueError:
        return "externhost", s.external_address
    return "externip", s.external_address


def render_sip_general(s: SipSettings) -> str:
    # The global nat must match the devices' default, or chan_sip warns for every peer.
    items = [*_GENERAL_BEFORE_NAT, ("nat", _NAT.get(s.sip_nat, s.sip_nat))]
    key, address = _external(s)
    if key:
        items.append((key, address))
    items += [("localnet", net) for net in split_networks(s.local_networks)]
    items += _GENERAL_AFTER_NAT
    items += [
        ("udpbindaddr", _address(s.sip_bind_address, s.sip_port)),
        ("tcpenable", "yes" if s.sip_tcp else "no"),
    ]
    if s.sip_tcp:
        items.append(("tcpbindaddr", _address(s.sip_bind_address, s.sip_port)))
    items.append(("tlsenable", "yes" if s.sip_tls else "no"))
    if s.sip_tls:
        items += [
            ("tlsbindaddr", _address(s.sip_bind_address, s.sip_tls_port)),
            ("tlscertfile", s.tls_cert_file),
            ("tlsprivatekey", s.tls_key_file),
        ]
    header = banner(settings_page="SIP settings", included_by="sip.conf")
    return f"{header}\n\n{format_items('general', items)}"


def render_pjsip_transports(s: SipSettings) -> str:
    sections = []
    for protocol, port in _pjsip_transports(s):
        items = [
            ("type", "transport"),
            ("protocol", protocol),
            ("bind", _address(s.pjsip_bind_address, port)),
        ]
        if s.external_address:
            items += [
                ("external_media_address", s.external_address),
                ("external_signaling_address", s.external_address),
            ]
        if protocol == "tls":
            items += [
                ("cert_file", s.tls_cert_file),
                ("priv_key_file", s.tls_key_file),
                ("method", "tlsv1_2"),
            ]
        items += _TRANSPORT_DEFAULTS
        items += [("local_net", net) for net in split_networks(s.local_networks)]
        sections.append(format_section(Section(f"{s.pjsip_bind_address}-{protocol}", items)))
    header = banner(custom=PJSIP_TRANSPORTS_CUSTOM)
    return f"{header}\n#include {PJSIP_TRANSPORTS_CUSTOM}\n\n" + "\n".join(sections)
