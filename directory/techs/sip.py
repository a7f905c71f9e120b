"""chan_sip devices: sections in sip_additional.conf, as FreePBX 17 writes them.

The keys, their order and their defaults are those of FreePBX 17's own file
(`asterisk/tests/data/freepbx17-ext100/sip_additional.conf`); pbxadmin's one
deliberate difference is `callerid=device <id>`.
"""

from asterisk.render.conf import Section
from directory.techs.base import DeviceRow, device_callerid, split_amp
from directory.techs.spec import (
    YES_NO,
    Setting,
    accountcode,
    acl_required,
    call_groups,
    codecs,
    context,
    host,
    integer,
    named_groups,
    secret,
    sip_user,
    transports,
    vm_extension,
)

TECH = "sip"
# The one name pages, forms and messages use for this technology.
LABEL = "SIP (chan_sip)"
FILES = ("sip_additional.conf",)
RELOAD_MODULE = "chan_sip.so"

SETTINGS = (
    Setting("secret", "Secret", check=secret, general=True, secret=True),
    Setting("dtmfmode", "DTMF signalling", "rfc2833", ("rfc2833", "inband", "info", "auto", "shortinfo")),
    Setting("canreinvite", "Can reinvite", "no", ("no", "yes", "nonat", "update")),
    Setting("context", "Context", "from-internal", check=context),
    Setting("host", "Host", "dynamic", check=host),
    Setting("trustrpid", "Trust RPID", "yes", YES_NO),
    Setting("sendrpid", "Send RPID", "pai", ("no", "yes", "pai")),
    Setting("type", "Connection type", "friend", ("friend", "peer", "user")),
    Setting("nat", "NAT mode", "yes", ("yes", "no", "never", "route"), general=True,
            help="yes: force_rport and comedia, for phones behind NAT."),
    Setting("port", "Port", "5060", check=integer(1, 65535)),
    Setting("qualify", "Qualify", "yes", ("yes", "no")),
    Setting("qualifyfreq", "Qualify frequency (s)", "60", check=integer(1, 86400)),
    Setting("transport", "Transports", "udp,tcp,tls", check=transports(("udp", "tcp", "tls", "ws", "wss"))),
    Setting("avpf", "AVPF", "no", YES_NO),
    Setting("force_avp", "Force AVP", "no", YES_NO),
    Setting("sessiontimers", "Session timers", "accept", ("accept", "originate", "refuse")),
    Setting("icesupport", "ICE support", "no", YES_NO),
    Setting("encryption", "SRTP encryption", "no", YES_NO),
    Setting("namedcallgroup", "Call groups", check=named_groups,
            help="Named groups, separated by commas (FreePBX 17's call groups)."),
    Setting("namedpickupgroup", "Pickup groups", check=named_groups,
            help="Named groups, separated by commas: calls to these groups can be picked up here."),
    Setting("callgroup", "Numbered call groups", check=call_groups,
            help="The old numbered groups (0-63), from FreePBX 2.x files; written only when set."),
    Setting("pickupgroup", "Numbered pickup groups", check=call_groups,
            help="The old numbered groups (0-63), from FreePBX 2.x files; written only when set."),
    Setting("disallow", "Disallowed codecs", check=codecs),
    Setting("allow", "Allowed codecs", check=codecs),
    Setting("accountcode", "Account code", check=accountcode),
    Setting("vmexten", "Voicemail button", check=vm_extension,
            help="What the phone's message button dials, e.g. *97. Empty, as FreePBX writes it: none."),
    Setting("deny", "Deny", "0.0.0.0/0.0.0.0", check=acl_required),
    Setting("permit", "Permit", "0.0.0.0/0.0.0.0", check=acl_required),
    Setting("defaultuser", "Default user", check=sip_user,
            help="The user name to call the phone with, when it is not the device id."),
    Setting("rtcp_mux", "RTCP mux", "no", YES_NO),
)  # fmt: skip

# chan_sip 11.5+ reads the old nat words as these flags.
_NAT = {"yes": "force_rport,comedia", "route": "force_rport", "never": "no"}


def dial(device_id: str, settings: dict[str, str]) -> str:
    return f"SIP/{device_id}"


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
