"""PJSIP devices written: an endpoint, an AOR and (with a secret) an auth section, in three files."""

from asterisk.render.conf import Section
from asterisk.render.techs.base import DeviceRow, device_callerid
from directory.techs import pjsip as spec

TECH = spec.TECH
FILES = ("pjsip.endpoint.conf", "pjsip.aor.conf", "pjsip.auth.conf")
RELOAD_MODULE = "res_pjsip.so"
# The secret is written as the auth section's `password`, in the auth file only.
SECRET_CONF_KEYS = ("password",)
SECRET_FILES = ("pjsip.auth.conf",)
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
    ep.append(("allow", s["allow"] or spec.DEFAULT_CODECS))
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
