"""chan_sip devices: sections in sip_additional.conf, in FreePBX's GUI field order."""

from endpoints.conf import Section
from endpoints.spec import (
    YES_NO,
    Setting,
    accountcode,
    acl_required,
    call_groups,
    codecs,
    context,
    host,
    integer,
    secret,
    transports,
)
from endpoints.techs.base import DeviceRow, device_callerid, split_amp

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
    Setting("icesupport", "ICE support", "no", YES_NO),
    Setting("encryption", "SRTP encryption", "no", YES_NO),
    Setting("callgroup", "Call groups", check=call_groups),
    Setting("pickupgroup", "Pickup groups", check=call_groups),
    Setting("disallow", "Disallowed codecs", check=codecs),
    Setting("allow", "Allowed codecs", check=codecs),
    Setting("accountcode", "Account code", check=accountcode),
    Setting("deny", "Deny", "0.0.0.0/0.0.0.0", check=acl_required),
    Setting("permit", "Permit", "0.0.0.0/0.0.0.0", check=acl_required),
)  # fmt: skip

# chan_sip 11.5+ reads the old nat words as these flags.
_NAT = {"yes": "force_rport,comedia", "route": "force_rport", "never": "no"}


def dial(device_id: str, settings: dict[str, str]) -> str:
    return f"SIP/{device_id}"


def render(row: DeviceRow) -> dict[str, list[Section]]:
    s = row.settings
    top = [("deny", v) for v in reversed(split_amp(s["deny"]))]
    items = [("secret", s["secret"])]
    items += [
        (k, s[k])
        for k in (
            "dtmfmode",
            "canreinvite",
            "context",
            "host",
            "trustrpid",
            "sendrpid",
            "type",
        )
    ]
    items.append(("nat", _NAT.get(s["nat"], s["nat"])))
    items += [(k, s[k]) for k in ("port", "qualify", "qualifyfreq")]
    # FreePBX drops the protocols SIP Settings turned off: chan_sip warns about
    # each one ("'tcp' is not a valid transport type when tcpenable=no").
    items.append(
        ("transport", ",".join(t for t in s["transport"].split(",") if t in row.transports) or "udp")
    )
    items += [(k, s[k]) for k in ("avpf", "icesupport", "encryption", "callgroup", "pickupgroup")]
    if s["disallow"]:
        top.append(("disallow", s["disallow"]))
    items += [("allow", codec) for codec in split_amp(s["allow"])]
    items += [
        ("dial", row.dial),
        ("accountcode", s["accountcode"]),
        ("mailbox", row.mailbox),
    ]
    items += [("permit", v) for v in split_amp(s["permit"])]
    items += [
        ("callerid", device_callerid(row.id)),
        ("recordonfeature", "apprecord"),
        ("recordofffeature", "apprecord"),
        ("callcounter", "yes"),
        ("faxdetect", "no"),
    ]
    return {"sip_additional.conf": [Section(row.id, top + items)]}
