"""PJSIP devices: their settings. Written by `asterisk/render/techs/pjsip.py` (an endpoint,
an AOR and, with a secret, an auth section)."""

from directory.techs.spec import (
    YES_NO,
    Setting,
    accountcode,
    acl,
    codecs,
    context,
    integer,
    named_groups,
    secret,
    transport_name,
)

TECH = "pjsip"
# The one name pages, forms and messages use for this technology.
LABEL = "PJSIP"

# What FreePBX's SIP Settings module offers when a device lists no codecs.
DEFAULT_CODECS = "ulaw,alaw,gsm,g726,g722"

_DTMF_MODES = ("rfc4733", "rfc2833", "inband", "info", "auto", "auto_info")

SETTINGS = (
    Setting("secret", "Secret", check=secret, general=True, secret=True),
    Setting("dtmfmode", "DTMF signalling", "rfc4733", _DTMF_MODES),
    Setting("context", "Context", "from-internal", check=context),
    Setting("disallow", "Disallowed codecs", check=codecs),
    Setting("allow", "Allowed codecs", check=codecs, help=f"Empty: {DEFAULT_CODECS}."),
    Setting("direct_media", "Direct media", "yes", YES_NO),
    Setting("transport", "Transport", check=transport_name,
            help="Empty: any. Written only while SIP Settings has it on, e.g. 0.0.0.0-udp."),
    Setting("max_contacts", "Max contacts", "1", check=integer(1, 100),
            help="How many phones may register to this device at once."),
    Setting("remove_existing", "Remove existing contact", "yes", YES_NO,
            help="Always yes when max contacts is 1."),
    Setting("qualifyfreq", "Qualify frequency (s)", "60", check=integer(0, 86400)),
    Setting("minimum_expiration", "Minimum expiration (s)", "60", check=integer(1, 86400)),
    Setting("maximum_expiration", "Maximum expiration (s)", "7200", check=integer(1, 86400)),
    Setting("mwi_subscription", "MWI subscription", "auto", ("auto", "unsolicited", "solicited")),
    Setting("aggregate_mwi", "Aggregate MWI", "no", YES_NO),
    Setting("avpf", "AVPF", "no", YES_NO),
    Setting("rtcp_mux", "RTCP mux", "no", YES_NO),
    Setting("max_audio_streams", "Max audio streams", "1", check=integer(1, 32)),
    Setting("max_video_streams", "Max video streams", "1", check=integer(1, 32)),
    Setting("webrtc", "WebRTC", "no", YES_NO),
    Setting("bundle", "Bundle", "no", YES_NO),
    Setting("icesupport", "ICE support", "no", YES_NO),
    Setting("media_use_received_transport", "Media uses received transport", "no", YES_NO),
    Setting("trustrpid", "Trust RPID/PAI", "yes", YES_NO),
    Setting("user_eq_phone", "user=phone", "no", YES_NO),
    Setting("send_connected_line", "Send connected line", "no", YES_NO),
    Setting("media_encryption", "Media encryption", "no", ("no", "sdes", "dtls")),
    Setting("timers", "Session timers", "yes", ("yes", "no", "required", "always")),
    Setting("timers_min_se", "Session timer minimum (s)", "90", check=integer(90, 86400)),
    Setting("media_encryption_optimistic", "Optimistic encryption", "no", YES_NO),
    Setting("refer_blind_progress", "Refer blind progress", "yes", YES_NO),
    Setting("rtp_timeout", "RTP timeout (s)", "30", check=integer(0, 86400)),
    Setting("rtp_timeout_hold", "RTP timeout on hold (s)", "300", check=integer(0, 86400)),
    Setting("rtp_keepalive", "RTP keepalive (s)", "0", check=integer(0, 86400)),
    Setting("device_state_busy_at", "Busy at (calls)", "0", check=integer(0, 1000)),
    Setting("sendrpid", "Send RPID/PAI", "pai", ("no", "yes", "pai", "both")),
    Setting("rtp_symmetric", "RTP symmetric", "yes", YES_NO),
    Setting("rewrite_contact", "Rewrite contact", "yes", YES_NO),
    Setting("force_rport", "Force rport", "yes", YES_NO),
    Setting("namedcallgroup", "Named call groups", check=named_groups),
    Setting("namedpickupgroup", "Named pickup groups", check=named_groups),
    Setting("accountcode", "Account code", check=accountcode),
    Setting("deny", "Deny", check=acl),
    Setting("permit", "Permit", check=acl),
)  # fmt: skip


def dial(device_id: str, settings: dict[str, str]) -> str:
    return f"PJSIP/{device_id}"
