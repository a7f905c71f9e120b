"""FreePBX's sample sections for each technology, with pbxadmin's two differences:
every device says `callerid=device <ID>`, and IAX2 carries REALCALLERIDNUM. chan_sip
and IAX2 follow the keys and order of FreePBX 17's real output
(asterisk/tests/data/freepbx17-ext100), which is checked in full in
asterisk/tests/test_freepbx_fidelity.py."""

SECRET = "5d41402abc4b2a76b9719d911017c592"

SIP_1000 = [
    ("deny", "0.0.0.0/0.0.0.0"),
    ("dtmfmode", "rfc2833"),
    ("canreinvite", "no"),
    ("host", "dynamic"),
    ("trustrpid", "yes"),
    ("sendrpid", "pai"),
    ("type", "friend"),
    ("nat", "force_rport,comedia"),
    ("port", "5060"),
    ("qualify", "yes"),
    ("qualifyfreq", "60"),
    ("transport", "udp,tcp,tls"),
    ("avpf", "no"),
    ("force_avp", "no"),
    ("session-timers", "accept"),
    ("icesupport", "no"),
    ("encryption", "no"),
    ("namedcallgroup", ""),
    ("namedpickupgroup", ""),
    ("accountcode", ""),
    ("vmexten", ""),
    ("permit", "0.0.0.0/0.0.0.0"),
    ("defaultuser", ""),
    ("rtcp_mux", "no"),
    ("webrtc", ""),
    ("dial", "SIP/1000"),
    ("secret", SECRET),
    ("context", "from-internal"),
    ("mailbox", "1000@default"),
    ("callerid", "device <1000>"),
    ("outbound_proxy", ""),
    ("recordonfeature", "apprecord"),
    ("recordofffeature", "apprecord"),
    ("callcounter", "yes"),
    ("faxdetect", "no"),
]

IAX_2000 = [
    ("deny", "0.0.0.0/0.0.0.0"),
    ("transfer", "yes"),
    ("host", "dynamic"),
    ("type", "friend"),
    ("port", "4569"),
    ("qualify", "yes"),
    ("accountcode", ""),
    ("setvar", "REALCALLERIDNUM=2000"),
    ("permit", "0.0.0.0/0.0.0.0"),
    ("dial", "IAX2/2000"),
    ("secret", SECRET),
    ("context", "from-internal"),
    ("mailbox", "2000@default"),
    ("callerid", "device <2000>"),
    ("outbound_proxy", ""),
]

DAHDI_3000 = [
    ("context", "from-internal"),
    ("immediate", "no"),
    ("signalling", "fxo_ks"),
    ("echocancel", "yes"),
    ("echocancelwhenbridged", "no"),
    ("echotraining", "800"),
    ("busydetect", "no"),
    ("busycount", "7"),
    ("callprogress", "no"),
    ("accountcode", ""),
    ("callgroup", ""),
    ("pickupgroup", ""),
    ("mailbox", "3000@default"),
    ("callerid", "device <3000>"),
    ("channel", "1"),
]

PJSIP_ENDPOINT_1000 = [
    ("type", "endpoint"),
    ("aors", "1000"),
    ("auth", "1000-auth"),
    ("tos_audio", "ef"),
    ("tos_video", "af41"),
    ("cos_audio", "5"),
    ("cos_video", "4"),
    ("allow", "ulaw,alaw,gsm,g726,g722"),
    ("context", "from-internal"),
    ("callerid", "device <1000>"),
    ("dtmf_mode", "rfc4733"),
    ("direct_media", "yes"),
    ("mailboxes", "1000@default"),
    ("mwi_subscribe_replaces_unsolicited", "yes"),
    ("aggregate_mwi", "no"),
    ("use_avpf", "no"),
    ("rtcp_mux", "no"),
    ("max_audio_streams", "1"),
    ("max_video_streams", "1"),
    ("webrtc", "no"),
    ("bundle", "no"),
    ("ice_support", "no"),
    ("media_use_received_transport", "no"),
    ("trust_id_inbound", "yes"),
    ("user_eq_phone", "no"),
    ("send_connected_line", "no"),
    ("media_encryption", "no"),
    ("timers", "yes"),
    ("timers_min_se", "90"),
    ("media_encryption_optimistic", "no"),
    ("refer_blind_progress", "yes"),
    ("rtp_timeout", "30"),
    ("rtp_timeout_hold", "300"),
    ("rtp_keepalive", "0"),
    ("send_pai", "yes"),
    ("rtp_symmetric", "yes"),
    ("rewrite_contact", "yes"),
    ("force_rport", "yes"),
    ("language", "en"),
    ("one_touch_recording", "on"),
    ("record_on_feature", "apprecord"),
    ("record_off_feature", "apprecord"),
]

PJSIP_AUTH_1000 = [
    ("type", "auth"),
    ("auth_type", "userpass"),
    ("password", SECRET),
    ("username", "1000"),
]

PJSIP_AOR_1000 = [
    ("type", "aor"),
    ("mailboxes", "1000@default"),
    ("max_contacts", "1"),
    ("remove_existing", "yes"),
    ("maximum_expiration", "7200"),
    ("minimum_expiration", "60"),
    ("qualify_frequency", "60"),
]

# Option names each Asterisk module accepts, for the keys we write. chan_sip
# and chan_iax2 ignore unknown keys silently and res_pjsip drops the whole
# endpoint on one, so a misspelt key must fail a test instead. `dial` and
# `mailbox`-style FreePBX keys are listed where FreePBX writes them too.
CHAN_SIP_KEYS = {
    "deny", "secret", "dtmfmode", "canreinvite", "context", "host", "trustrpid", "sendrpid",
    "type", "nat", "port", "qualify", "qualifyfreq", "transport", "avpf", "force_avp",
    "session-timers", "icesupport", "encryption", "namedcallgroup", "namedpickupgroup",
    "callgroup", "pickupgroup", "disallow", "allow", "dial", "accountcode", "vmexten",
    "mailbox", "permit", "defaultuser", "rtcp_mux", "webrtc", "callerid", "outbound_proxy",
    "recordonfeature", "recordofffeature", "callcounter", "faxdetect",
}  # fmt: skip
CHAN_IAX2_KEYS = {
    "deny", "secret", "transfer", "context", "host", "type", "port", "qualify", "disallow",
    "allow", "dial", "accountcode", "mailbox", "requirecalltoken", "permit", "setvar", "callerid",
    "outbound_proxy",
}  # fmt: skip
CHAN_DAHDI_KEYS = {
    "context", "immediate", "signalling", "echocancel", "echocancelwhenbridged", "echotraining",
    "busydetect", "busycount", "callprogress", "accountcode", "callgroup", "pickupgroup",
    "mailbox", "callerid", "channel",
}  # fmt: skip
PJSIP_ENDPOINT_KEYS = {k for k, _ in PJSIP_ENDPOINT_1000} | {
    "disallow", "accountcode", "transport", "named_call_group", "named_pickup_group",
    "device_state_busy_at", "send_rpid", "deny", "permit",
}  # fmt: skip
PJSIP_AOR_KEYS = {k for k, _ in PJSIP_AOR_1000}
PJSIP_AUTH_KEYS = {k for k, _ in PJSIP_AUTH_1000}
