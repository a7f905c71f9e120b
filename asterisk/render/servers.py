"""The IAX2 trunks between pbxadmin's servers, and the dialplan that uses them (README "Several
servers").

Every server's `iax_additional.conf` holds, after its devices and carrier trunks, one section per
other server: `[pbx-<other>]`, type=friend, at the other's IAX2 address and port, logging in as
`pbx-<this>` with a secret both sides derive from the pair (`pair_secret`), trunk=yes, and the
context `from-internal-servers`. So each side's section for the other is the user the other's
calls arrive as, and the peer its own calls go out through.

The dialplan gets, with more than one server only:

- `[ext-remote]`: each user of another server (`remote_entries`): their caller's name and
  number set (`sub-user-callerid`, as for a local user), then `sub-dial-server`, which dials them
  over the trunk to their server. `from-internal-additional` includes it after `ext-local`.
- `[from-internal-servers]`: where calls from the other servers arrive. It reaches this
  server's users (`ext-local`: their forwards, follow me and voicemail run here) and a local
  user's mailbox (`*<ext>`, what an inbound route to a remote user's voicemail dials), nothing
  else: no outbound route, no feature code, no other server (a number that is nobody's here is
  never sent on, so two servers that disagree for a moment cannot bounce a call between them).

With one server none of this is written: every file is what it was before servers existed.
"""

import hashlib
import hmac
import re

from django.conf import settings
from django.core.exceptions import ValidationError

from asterisk import prompts
from asterisk.render.conf import ConfInjectionError, Section
from directory.connectivity.validators import SERVER_TRUNK_PREFIX
from directory.servers.models import NAME, Server, host

# The context calls from another server arrive in (the trunks' `context=`).
FROM_SERVERS = "from-internal-servers"
# The context holding the users of the other servers.
REMOTE_CONTEXT = "ext-remote"
# The subroutine that dials a user over the trunk to their server.
DIAL_SERVER = "sub-dial-server"
# The subroutine that sends a call out over a carrier trunk of another server (an outbound route's
# step for a trunk on another server), and the context on the trunk's side that takes it.
DIAL_SERVER_TRUNK = "sub-dial-server-trunk"
SERVERS_OUTBOUND = "from-servers-outbound"
# The number a crossing call is sent to: `out<trunk id>*<number>` (no N, X or Z: pattern letters).
OUT_PREFIX = "out"
# Seconds a crossing call may ring out (as a trunk's own, routes.TRUNK_TIMEOUT).
_CROSS_TIMEOUT = 300
# A carrier trunk's caller ID name and number as the route writes them (routes._NAME_TEXT, _PATTERN_TEXT).
_CID_NAME = re.compile(r"[\w .:'!#+-]*")
_CID_NUMBER = re.compile(r"[0-9A-Z+*#.\[\]-]*")
_TRUNK_CONTEXT = re.compile(r"outbound-trunk-[0-9]+")

# The IAX2 file the trunks are written into (after the devices and carrier trunks).
IAX_FILE = "iax_additional.conf"
# What the trunks sends and takes: the codecs every Asterisk ships.
CODECS = ("ulaw", "alaw", "gsm")

_PEER_PREFIX = SERVER_TRUNK_PREFIX
# A server's own IAX2 secret (directory/servers/models.py: 48 hex digits); never shorter than this.
_SERVER_SECRET = re.compile(r"[A-Za-z0-9]{16,64}")
_DIGITS = re.compile(r"[0-9]{1,20}")

_UNREACHABLE = f"{prompts.SORRY}&{prompts.TRY_LATER}"


def checked_name(server_name: str) -> str:
    """A server's name as written into a file: a slug, or ConfInjectionError."""
    if not NAME.fullmatch(server_name):
        raise ConfInjectionError(f"unsafe server name {server_name!r}")
    return server_name


def peer_name(server_name: str) -> str:
    """The IAX2 section (peer and user) standing for `server_name`: `pbx-<name>`."""
    return _PEER_PREFIX + checked_name(server_name)


def is_peer_name(name: str) -> bool:
    """Whether a section name is one of the generated inter-server trunks' (`pbx-…`)."""
    return name.lower().startswith(_PEER_PREFIX)


def iax_host(server: Server) -> str:
    """Where the other servers reach `server` over IAX2: its IAX2 host, else its AMI host, else
    the AMI_HOST setting (the blank fields of the default server mean the settings)."""
    value = server.iax_host or server.ami_host or settings.AMI_HOST
    # The model's rule, checked again: a value that reached the database some other way (or the
    # setting) still never reaches the file unless it is a plain host name or address.
    try:
        host(value)
    except ValidationError:
        raise ConfInjectionError(f"unsafe IAX2 host {value!r} for server {server.name!r}") from None
    if not value:
        raise ConfInjectionError(f"server {server.name!r} has no IAX2 host")
    return value


def iax_port(server: Server) -> str:
    port = server.iax_port
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfInjectionError(f"unsafe IAX2 port {port!r} for server {server.name!r}")
    return str(port)


def pair_secret(one: Server, other: Server) -> str:
    """The secret of the trunk between two servers: the same whichever side computes it (the pair
    is taken in name order), from both servers' own secrets, which never leave the database.
    Changing either server's secret changes it; no third server can work it out from its own."""
    first, second = sorted((one, other), key=lambda s: s.name)
    for server in (first, second):
        if not _SERVER_SECRET.fullmatch(server.iax_secret or ""):
            raise ConfInjectionError(f"server {server.name!r} has no usable IAX2 secret")
    key = f"{first.iax_secret}:{second.iax_secret}".encode()
    message = f"pbxadmin iax2 trunk:{first.name}:{second.name}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:48]


def others(local: Server) -> list[Server]:
    """The other servers, in name order."""
    return list(Server.objects.exclude(pk=local.pk).order_by("name"))


def trunk_section(local: Server, other: Server) -> Section:
    """`local`'s section for `other`: the peer its calls to `other`'s users go out through, and
    the user `other`'s calls arrive as."""
    items = [
        ("type", "friend"),
        ("host", iax_host(other)),
        ("port", iax_port(other)),
        # What this side logs in as at the other's end: the other's section for this server.
        ("username", peer_name(local.name)),
        ("secret", pair_secret(local, other)),
        ("auth", "md5"),
        ("trunk", "yes"),
        ("context", FROM_SERVERS),
        ("disallow", "all"),
        *(("allow", codec) for codec in CODECS),
        ("qualify", "yes"),
        ("transfer", "no"),
        # sub-user-callerid looks the caller up by REALCALLERIDNUM (a device of this server);
        # a call from another server is no device here, so the caller ID it brings is kept.
        ("setvar", f"REALCALLERIDNUM={peer_name(other.name)}"),
    ]
    return Section(peer_name(other.name), items)


def trunk_sections(local: Server, taken: set[str] = frozenset()) -> list[Section]:
    """`local`'s sections for every other server (none with one server). `taken`: the names of
    the sections already in the file (a carrier trunk named `pbx-…` before the name was refused):
    a clash raises rather than write two sections of one name."""
    sections = [trunk_section(local, other) for other in others(local)]
    clash = sorted({s.name.lower() for s in sections} & {name.lower() for name in taken})
    if clash:
        raise ConfInjectionError(f"an IAX2 trunk is named {clash[0]}, as a server's trunk: rename it")
    return sections


# `*<ext>` for a user of another server (sub-vm-direct, in the static dialplan): once the number
# is known to be digits, a user of [ext-remote] is called there with VMDIRECT=*, so the call
# crosses as `*<ext>` and their server leaves the message. Not for a call that came from another
# server (ARG2 `here`, from-internal-servers): that is never sent on.
VM_DIRECT_LINES = (
    f""" same => n,GotoIf($["${{ARG2}}" != "here" & ${{DIALPLAN_EXISTS({REMOTE_CONTEXT},${{ARG1}},1)}}]?remote)
""",
    f""" same => n(remote),Set(VMDIRECT=*)
 same => n,Goto({REMOTE_CONTEXT},${{ARG1}},1)
""",
)


def static_text(local: Server, other_names: list[str]) -> str:
    """The contexts of several servers (the static dialplan, after the routes). It names the
    servers: a server created, renamed or deleted changes the static part, so the dialplan is
    reloaded and every user's entry (`pbx-<name>` in the remote ones) is the file's at once."""
    trunks = ", ".join(f"{name} ({peer_name(name)})" for name in sorted(other_names))
    return f"""; This is server {checked_name(local.name)}; the others: {trunks}.
; Several servers (README "Several servers"). The users of the other servers are in
; [{REMOTE_CONTEXT}] (below the per-user marker); calling one dials them over the IAX2 trunk to
; their server (iax_additional.conf's [pbx-<name>]), as the caller (sub-user-callerid has set the
; name and number, which IAX2 carries). ARG1 is the user's number, ARG2 the trunk; VMDIRECT is
; `*` when the caller dialled *<ext> (sub-vm-direct): the message is left on their server.
[{DIAL_SERVER}]
exten => s,1,Dial(IAX2/${{ARG2}}/${{VMDIRECT}}${{ARG1}},,t)
 same => n,GotoIf($["${{DIALSTATUS}}" = "CHANUNAVAIL"]?unreachable)
 same => n,GotoIf($["${{DIALSTATUS}}" = "CONGESTION"]?unreachable)
 same => n,Return()
 same => n(unreachable),Answer()
 same => n,Playback({_UNREACHABLE})
 same => n,Return()

; A call out over a carrier trunk of another server (an outbound route's step for that trunk):
; the caller ID is chosen here, where the caller's device and user are (the trunk's caller ID and
; whether it forces it are ARG4-ARG6), then the call crosses as {OUT_PREFIX}<trunk id>*<number> to the
; trunk's server ([{SERVERS_OUTBOUND}] there), which dials it on the trunk keeping that caller ID.
; ARG1 is the number, ARG2 the trunk to the server (pbx-<name>), ARG3 the carrier trunk's id.
[{DIAL_SERVER_TRUNK}]
exten => s,1,Set(TRUNKCIDNAME=${{ARG4}})
 same => n,Set(TRUNKCIDNUM=${{ARG5}})
 same => n,Set(TRUNKFORCECID=${{ARG6}})
 same => n,Gosub(sub-outbound-callerid,s,1())
 same => n,Dial(IAX2/${{ARG2}}/{OUT_PREFIX}${{ARG3}}*${{ARG1}},{_CROSS_TIMEOUT})
 same => n,Return()

; Calls from the other servers (their trunks' context): this server's users, a local user's
; mailbox (*<ext>), and a call out over one of this server's carrier trunks that another server's
; route sent here ([{SERVERS_OUTBOUND}], written with the routes); nothing else (no route, no feature
; code, no other server).
[{FROM_SERVERS}]
include => ext-local
include => {SERVERS_OUTBOUND}
exten => _*X,1,Gosub(sub-vm-direct,s,1(${{EXTEN:1}},here))
 same => n,Hangup()
exten => _*X.,1,Gosub(sub-vm-direct,s,1(${{EXTEN:1}},here))
 same => n,Hangup()
"""


def number(value: str) -> str:
    """A user's number as written into the dialplan: digits only, or ConfInjectionError."""
    if not _DIGITS.fullmatch(value):
        raise ConfInjectionError(f"unsafe user number {value!r}")
    return value


def dial_remote_step(extension: str, server_name: str) -> str:
    """An inbound route's step to a user of another server: over the trunk to them."""
    return f"n,Gosub({DIAL_SERVER},s,1({number(extension)},{peer_name(server_name)}))"


def voicemail_remote_step(extension: str, server_name: str) -> str:
    """An inbound route's step to the mailbox of a user of another server: `*<ext>` over the trunk."""
    return f"n,Gosub({DIAL_SERVER},s,1(*{number(extension)},{peer_name(server_name)}))"


def _trunk_id(trunk_id) -> int:
    if not isinstance(trunk_id, int) or isinstance(trunk_id, bool) or trunk_id <= 0:
        raise ConfInjectionError(f"unsafe trunk id {trunk_id!r}")
    return trunk_id


def dial_server_trunk_step(
    trunk_id: int, server_name: str, cid_name: str, cid_number: str, force: bool
) -> str:
    """An outbound route's step for a carrier trunk on another server: over the IAX2 trunk to the
    trunk's server, which dials out on it (`out_extension`). The number is the route's OUTNUM."""
    if not _CID_NAME.fullmatch(cid_name) or not _CID_NUMBER.fullmatch(cid_number):
        raise ConfInjectionError(f"unsafe caller ID {cid_name!r} <{cid_number!r}> for a trunk")
    peer = peer_name(server_name)
    args = f"${{OUTNUM}},{peer},{_trunk_id(trunk_id)},{cid_name},{cid_number},{'YES' if force else 'NO'}"
    return f"n,Gosub({DIAL_SERVER_TRUNK},s,1({args}))"


def out_extension(trunk_id: int, trunk_context: str) -> str:
    """On a carrier trunk's server: the extension of [from-servers-outbound] that takes another
    server's call out over this trunk (`out<id>*<number>`). The number is checked again here
    (digits and + * #: no `&`, `/` or `@` reaches the Dial); the caller ID it brings is kept
    (`carried`); busy answers busy, unreachable or full answers congestion (the sending route then
    tries its next trunk), so a route's failover works as if the trunk were local."""
    if not _TRUNK_CONTEXT.fullmatch(trunk_context):
        raise ConfInjectionError(f"unsafe trunk context {trunk_context!r}")
    prefix = f"{OUT_PREFIX}{_trunk_id(trunk_id)}*"
    steps = [
        f"Set(OUTNUM=${{EXTEN:{len(prefix)}}})",
        "n,Set(OUTNUM_OK=${FILTER(0123456789+*#,${OUTNUM})})",
        "n,GotoIf($[${LEN(${OUTNUM})} = 0 | ${LEN(${OUTNUM_OK})} != ${LEN(${OUTNUM})}]?refused)",
        f"n,Gosub({trunk_context},s,1(${{OUTNUM}},carried))",
        'n,GotoIf($["${DIALSTATUS}" = "BUSY"]?busy)',
        'n,GotoIf($["${DIALSTATUS}" = "CHANUNAVAIL" | "${DIALSTATUS}" = "CONGESTION"]?refused)',
        "n,Hangup()",
        "n(busy),Busy(5)",
        "n,Hangup()",
        "n(refused),Congestion(5)",
        "n,Hangup()",
    ]
    first, *rest = steps
    return "\n".join([f"exten => _{prefix}.,1,{first}", *(f" same => {step}" for step in rest)]) + "\n"
