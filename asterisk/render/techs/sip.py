"""chan_sip devices written: sections in sip_additional.conf, as FreePBX 17 writes them.

The keys, their order and their defaults are those of FreePBX 17's own file
(`asterisk/tests/data/freepbx17-ext100/sip_additional.conf`); pbxadmin's one
deliberate difference is `callerid=device <id>`.
"""

from asterisk.render.conf import Section
from asterisk.render.techs.base import DeviceRow, device_callerid, split_amp
from directory.techs import sip as spec

TECH = spec.TECH
FILES = ("sip_additional.conf",)
RELOAD_MODULE = "chan_sip.so"
# chan_sip 11.5+ reads the old nat words as these flags.
_NAT = {"yes": "force_rport,comedia", "route": "force_rport", "never": "no"}


def render(row: DeviceRow) -> dict[str, list[Section]]:
    s = row.settings
    # deny and disallow first, as FreePBX moves them (Asterisk reads an ACL in order).
    top = [("deny", v) for v in reversed(split_amp(s["deny"]))]
    if s["disallow"]:
        top.append(("disallow", s["disallow"]))
    items = [(k, s[k]) for k in ("dtmfmode", "canreinvite", "host", "trustrpid", "sendrpid", "type")]
    items.append(("nat", _NAT.get(s["nat"], s["nat"])))
    items += [(k, s[k]) for k in ("port", "qualify", "qualifyfreq")]
    # FreePBX drops the protocols SIP Settings turned off: chan_sip warns about
    # each one ("'tcp' is not a valid transport type when tcpenable=no").
    items.append(
        ("transport", ",".join(t for t in s["transport"].split(",") if t in row.transports) or "udp")
    )
    items += [
        ("avpf", s["avpf"]),
        ("force_avp", s["force_avp"]),
        ("session-timers", s["sessiontimers"]),
        ("icesupport", s["icesupport"]),
        ("encryption", s["encryption"]),
        ("namedcallgroup", s["namedcallgroup"]),
        ("namedpickupgroup", s["namedpickupgroup"]),
    ]
    # FreePBX 17 has only the named groups; numbered ones still work in chan_sip.
    items += [(k, s[k]) for k in ("callgroup", "pickupgroup") if s[k]]
    items += [("allow", codec) for codec in split_amp(s["allow"])]
    items += [("accountcode", s["accountcode"]), ("vmexten", s["vmexten"])]
    items += [("permit", v) for v in split_amp(s["permit"])]
    items += [
        ("defaultuser", s["defaultuser"]),
        ("rtcp_mux", s["rtcp_mux"]),
        # FreePBX writes these empty; chan_sip reads neither (its option is outboundproxy).
        ("webrtc", ""),
        ("dial", row.dial),
        ("secret", s["secret"]),
        ("context", s["context"]),
        ("mailbox", row.mailbox),
        ("callerid", device_callerid(row.id)),
        ("outbound_proxy", ""),
        ("recordonfeature", "apprecord"),
        ("recordofffeature", "apprecord"),
        ("callcounter", "yes"),
        ("faxdetect", "no"),
    ]
    return {"sip_additional.conf": [Section(row.id, top + items)]}
