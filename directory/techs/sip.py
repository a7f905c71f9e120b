"""chan_sip devices: their settings, with FreePBX 17's keys and defaults (its own
`sip_additional.conf`, `asterisk/tests/data/freepbx17-ext100/`). Written by
`asterisk/render/techs/sip.py`.
"""

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


def dial(device_id: str, settings: dict[str, str]) -> str:
    return f"SIP/{device_id}"
