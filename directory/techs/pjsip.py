"""PJSIP devices: an endpoint, an AOR and (with a secret) an auth section, in three files."""

from asterisk.render.conf import Section
from directory.techs.base import DeviceRow, device_callerid
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
FILES = ("pjsip.endpoint.conf", "pjsip.aor.conf", "pjsip.auth.conf")
RELOAD_MODULE = "res_pjsip.so"
# The secret is written as the auth section's `password`, in the auth file only.
SECRET_CONF_KEYS = ("password",)
SECRET_FILES = ("pjsip.auth.conf",)

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

# Settings whose pbxadmin/FreePBX key differs from the res_pjsip option it becomes.
_RENAMED = (
    ("aggregate_mwi", "aggregate_mwi"),
    ("avpf", "use_avpf"),
    ("rtcp_mux", "rtcp_mux"),
    ("max_audio_streams", "max_audio_streams"),
    ("max_video_streams", "max_video_streams"),
    ("webrtc", "webrtc"),
    ("bundle", "bundle"),
    ("icesupport", "ice_support"),
    ("media_use_received_transport", "media_use_received_transport"),
    ("trustrpid", "trust_id_inbound"),
    ("user_eq_phone", "user_eq_phone"),
    ("send_connected_line", "send_connected_line"),
    ("media_encryption", "media_encryption"),
    ("timers", "timers"),
    ("timers_min_se", "timers_min_se"),
    ("media_encryption_optimistic", "media_encryption_optimistic"),
    ("refer_blind_progress", "refer_blind_progress"),
    ("rtp_timeout", "rtp_timeout"),
    ("rtp_timeout_hold", "rtp_timeout_hold"),
    ("rtp_keepalive", "rtp_keepalive"),
)


def dial(device_id: str, settings: dict[str, str]) -> str:
    return f"PJSIP/{device_id}"


def render(row: DeviceRow) -> dict[str, list[Section]]:
    s = row.settings
    name = row.id
    mwi = s["mwi_subscription"]

    ep = [("type", "endpoint"), ("aors", name)]
    if s["secret"]:
        ep.append(("auth", f"{name}-auth"))
    ep += [
        ("tos_audio", "ef"),
        ("tos_video", "af41"),
        ("cos_audio", "5"),
        ("cos_video", "4"),
    ]
    if s["disallow"]:
        ep.append(("disallow", s["disallow"]))
    ep.append(("allow", s["allow"] or DEFAULT_CODECS))
    ep += [
        ("context", s["context"]),
        ("callerid", device_callerid(name)),
        ("dtmf_mode", "rfc4733" if s["dtmfmode"] == "rfc2833" else s["dtmfmode"]),
        ("direct_media", s["direct_media"]),
    ]
    if mwi in ("auto", "unsolicited"):
        ep.append(("mailboxes", row.mailbox))
    if mwi == "auto":
        ep.append(("mwi_subscribe_replaces_unsolicited", "yes"))
    if s["accountcode"]:
        ep.append(("accountcode", s["accountcode"]))
    if s["transport"] in row.transports:
        # Only a transport SIP Settings defines: naming a missing one fails the endpoint.
        ep.append(("transport", s["transport"]))
    if s["namedcallgroup"]:
        ep.append(("named_call_group", s["namedcallgroup"]))
    if s["namedpickupgroup"]:
        ep.append(("named_pickup_group", s["namedpickupgroup"]))
    ep += [(option, s[key]) for key, option in _RENAMED]
    if s["device_state_busy_at"] != "0":
        ep.append(("device_state_busy_at", s["device_state_busy_at"]))
    sendrpid = s["sendrpid"]
    if sendrpid in ("yes", "both"):
        ep.append(("send_rpid", "yes"))
    if sendrpid in ("pai", "both"):
        ep.append(("send_pai", "yes"))
    ep += [(k, s[k]) for k in ("rtp_symmetric", "rewrite_contact", "force_rport")]
    if row.media_address:
        # Transports bound to one address: media leaves from it too, not from whichever
        # address the kernel picks (FreePBX writes the same two lines).
        ep += [("media_address", row.media_address), ("bind_rtp_to_media_address", "yes")]
    ep.append(("language", row.language or "en"))
    ep += [(k, s[k]) for k in ("deny", "permit") if s[k]]
    ep += [
        ("one_touch_recording", "on"),
        ("record_on_feature", "apprecord"),
        ("record_off_feature", "apprecord"),
    ]

    aor = [("type", "aor")]
    if mwi in ("auto", "solicited"):
        aor.append(("mailboxes", row.mailbox))
    max_contacts = s["max_contacts"]
    aor.append(("max_contacts", max_contacts))
    # One contact per device: a re-registering phone must replace its old contact.
    remove_existing = "yes" if max_contacts == "1" else s["remove_existing"]
    aor += [
        ("remove_existing", remove_existing),
        ("maximum_expiration", s["maximum_expiration"]),
        ("minimum_expiration", s["minimum_expiration"]),
        ("qualify_frequency", s["qualifyfreq"]),
    ]

    files = {
        "pjsip.endpoint.conf": [Section(name, ep)],
        "pjsip.aor.conf": [Section(name, aor)],
        "pjsip.auth.conf": [],
    }
    if s["secret"]:
        auth = [
            ("type", "auth"),
            ("auth_type", "userpass"),
            ("password", s["secret"]),
            ("username", name),
        ]
        files["pjsip.auth.conf"].append(Section(f"{name}-auth", auth))
    return files
