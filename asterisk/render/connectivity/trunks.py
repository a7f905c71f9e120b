"""Trunks' sections, where FreePBX writes them.

- PJSIP: `[<name>]` of type endpoint, aor and auth in the devices' files, and `registration`
  (when it registers) and `identify` (the carrier's address) in pjsip.registration.conf and
  pjsip.identify.conf.
- chan_sip: a `type=peer` section in sip_additional.conf, `register=>` in sip_registrations.conf.
- IAX2: a `type=peer` section in iax_additional.conf, `register=>` in iax_registrations.conf.

Every trunk's context is `from-trunk`: the inbound routes' context and nothing else (no
setting can name another), so a call from a carrier can never reach `from-internal`, an
outbound route or a feature code. A disabled trunk is not written at all.
"""

from asterisk.render.conf import Section
from directory.connectivity.models import Trunk, TrunkTech
from directory.connectivity.validators import IPV4

TRUNK_CONTEXT = "from-trunk"
PJSIP_REGISTRATION = "pjsip.registration.conf"
PJSIP_IDENTIFY = "pjsip.identify.conf"
SIP_REGISTRATIONS = "sip_registrations.conf"
IAX_REGISTRATIONS = "iax_registrations.conf"

# The files each technology's trunks are written into (the device files they share first).
TRUNK_TECH_FILES: dict[str, tuple[str, ...]] = {
    TrunkTech.PJSIP: (
        "pjsip.endpoint.conf",
        "pjsip.aor.conf",
        "pjsip.auth.conf",
        PJSIP_REGISTRATION,
        PJSIP_IDENTIFY,
    ),
    TrunkTech.SIP: ("sip_additional.conf", SIP_REGISTRATIONS),
    TrunkTech.IAX2: ("iax_additional.conf", IAX_REGISTRATIONS),
}
# The files only trunks fill, and the module that reads each.
TRUNK_ONLY_FILES = {
    PJSIP_REGISTRATION: "res_pjsip.so",
    PJSIP_IDENTIFY: "res_pjsip.so",
    SIP_REGISTRATIONS: "chan_sip.so",
    IAX_REGISTRATIONS: "chan_iax2.so",
}
# The Asterisk file that includes each (README), or the custom file it includes (PJSIP's habit).
TRUNK_FILE_INCLUDES = {
    PJSIP_REGISTRATION: ("pjsip.registration_custom.conf",),
    PJSIP_IDENTIFY: ("pjsip.identify_custom.conf",),
}
TRUNK_FILE_INCLUDED_BY = {SIP_REGISTRATIONS: "sip.conf", IAX_REGISTRATIONS: "iax.conf"}
# Files of `register=>` lines (no sections), read inside the including file's [general].
REGISTRATION_FILES = frozenset({SIP_REGISTRATIONS, IAX_REGISTRATIONS})
# The registration lines carry the secret.
SECRET_TRUNK_FILES = frozenset({SIP_REGISTRATIONS, IAX_REGISTRATIONS})

# How often a trunk's carrier is asked whether it answers (qualify): a trunk found unreachable
# makes a route go on to its next trunk at once.
QUALIFY_SECONDS = 60


def _hostport(trunk: Trunk) -> str:
    return f"{trunk.host}:{trunk.effective_port}"


def _codecs(trunk: Trunk) -> list[str]:
    return [c for c in trunk.codecs.split(",") if c]


def _pjsip(trunk: Trunk) -> dict[str, list[Section]]:
    name = trunk.name
    endpoint = [
        ("type", "endpoint"),
        ("context", TRUNK_CONTEXT),
        # Known by the carrier's address (its `identify`) and the registration's `line` only:
        # Asterisk's default also takes any caller whose From user is the trunk's name,
        # unchallenged, into the inbound routes.
        ("identify_by", "ip"),
        ("disallow", "all"),
        ("allow", ",".join(_codecs(trunk))),
        ("aors", name),
        ("send_connected_line", "no"),
        ("rewrite_contact", "yes"),
        ("rtp_symmetric", "yes"),
        ("force_rport", "yes"),
        ("direct_media", "no"),
        ("dtmf_mode", "rfc4733"),
        ("trust_id_inbound", "no"),
        ("send_pai", "yes"),
    ]
    if trunk.secret:
        endpoint.append(("outbound_auth", name))
    sections = {
        "pjsip.endpoint.conf": [Section(name, endpoint)],
        "pjsip.aor.conf": [
            Section(
                name,
                [
                    ("type", "aor"),
                    ("contact", f"sip:{trunk.host}:{trunk.effective_port}"),
                    ("qualify_frequency", str(QUALIFY_SECONDS)),
                ],
            )
        ],
        # The carrier's requests are known by where they come from (and, once registered,
        # by the `line` the registration's contact carries).
        PJSIP_IDENTIFY: [
            Section(
                name,
                [
                    ("type", "identify"),
                    ("endpoint", name),
                    ("match", _hostport(trunk) if trunk.port else trunk.host),
                ],
            )
        ],
    }
    if trunk.secret:
        auth = [("type", "auth"), ("auth_type", "userpass"), ("password", trunk.secret)]
        auth.append(("username", trunk.username or name))
        sections["pjsip.auth.conf"] = [Section(name, auth)]
    if trunk.register:
        uri = f"sip:{_hostport(trunk)}"
        sections[PJSIP_REGISTRATION] = [
            Section(
                name,
                [
                    ("type", "registration"),
                    ("outbound_auth", name),
                    ("server_uri", uri),
                    ("client_uri", f"sip:{trunk.username}@{_hostport(trunk)}"),
                    ("contact_user", trunk.username),
                    ("retry_interval", "60"),
                    ("forbidden_retry_interval", "30"),
                    ("max_retries", "10000"),
                    ("expiration", "3600"),
                    ("auth_rejection_permanent", "no"),
                    ("line", "yes"),
                    ("endpoint", name),
                ],
            )
        ]
    return sections


def _peer(trunk: Trunk, *, tech: str) -> list[Section]:
    # chan_sip knows the carrier's calls by its address (a peer, insecure=port,invite); IAX2 takes
    # calls only from a `user`, so an IAX2 trunk is a friend: the carrier calls as the trunk's name.
    kind = "peer" if tech == TrunkTech.SIP else "friend"
    items = [("disallow", "all"), ("type", kind), ("host", trunk.host), ("port", str(trunk.effective_port))]
    if trunk.username:
        items.append(("username", trunk.username))
        if tech == TrunkTech.SIP:
            # chan_sip authenticates its calls out with defaultuser (username is its old name).
            items.append(("defaultuser", trunk.username))
    if trunk.secret:
        items.append(("secret", trunk.secret))
    if tech == TrunkTech.IAX2 and IPV4.fullmatch(trunk.host):
        # A friend is a user anyone could call in as: only from the carrier's address.
        items += [("deny", "0.0.0.0/0.0.0.0"), ("permit", f"{trunk.host}/255.255.255.255")]
    items += [("context", TRUNK_CONTEXT), ("qualify", "yes")]
    if tech == TrunkTech.SIP:
        # The carrier's calls are known by its address, not by a user name.
        items += [("insecure", "port,invite"), ("dtmfmode", "rfc2833")]
    items += [("allow", codec) for codec in _codecs(trunk)]
    return [Section(trunk.name, items)]


def _register_line(trunk: Trunk) -> str:
    # user:secret@host:port, and for chan_sip /user: the number the carrier's calls come in to
    # before a DID is known (its `s`). Trunk secrets hold no `:`, `@` or `/` (the service refuses them).
    line = f"{trunk.username}:{trunk.secret}@{_hostport(trunk)}"
    return line + (f"/{trunk.username}" if trunk.tech == TrunkTech.SIP else "")


def render_trunk(trunk: Trunk) -> dict[str, list[Section]]:
    """The sections one trunk gets in each file ({} for a disabled trunk)."""
    if not trunk.enabled:
        return {}
    if trunk.tech == TrunkTech.PJSIP:
        return _pjsip(trunk)
    main = "sip_additional.conf" if trunk.tech == TrunkTech.SIP else "iax_additional.conf"
    sections = {main: _peer(trunk, tech=trunk.tech)}
    if trunk.register:
        registrations = SIP_REGISTRATIONS if trunk.tech == TrunkTech.SIP else IAX_REGISTRATIONS
        sections[registrations] = [
            Section(trunk.name, [("register", _register_line(trunk))], arrow_keys=frozenset({"register"}))
        ]
    return sections


def trunks_by_file(trunks) -> dict[str, list[Section]]:
    """Every enabled trunk's sections, per file, trunks in name order."""
    files: dict[str, list[Section]] = {}
    for trunk in sorted(trunks, key=lambda t: t.name):
        for name, sections in render_trunk(trunk).items():
            files.setdefault(name, []).extend(sections)
    return files
