"""The routes' dialplan, in the static part of extensions_additional.conf.

Outbound (FreePBX's `outbound-allroutes`): included from `from-internal-additional` only,
the context phones dial from, never from `from-trunk`. Each route is a context `outrt-<id>`
with one extension per dial pattern (`_<prefix><match>[/<caller-ID pattern>]`), included in
the routes' order. A call sets the number to send (`<prepend>` + what followed the prefix),
identifies its caller (`sub-user-callerid`), asks the route's PIN (never on an emergency
route), then tries the route's trunks in sequence: the next trunk only when one answers
CHANUNAVAIL or CONGESTION (unreachable, full, refused), never after BUSY or no answer.
Each trunk (`outbound-trunk-<id>`) applies its dial-out rules, its channel limit and the
caller-ID precedence (`sub-outbound-callerid`), then dials. Only the server's own carrier
trunks get one; a route's trunk on another server is reached over the IAX2 trunk to it, whose
`[from-servers-outbound]` dials it (`asterisk/render/servers.py`, README "Where carrier trunks
live").

Inbound: every trunk's context is `from-trunk`, which reaches the DID routes and nothing
else: no extension, no feature code, no outbound route. The routes are included most specific
first (FreePBX's order: a DID with a caller number, a DID, patterns, the catch-all), each in
a context of its own, so the first that matches takes the call. An unmatched number is
refused by the channel driver (404 / no such extension).

Every value written here went through the directory's validators: patterns, prefixes,
prepends and DIDs are pattern characters only; names and caller IDs letters, digits, spaces
and `.'-_`; no `,` `;` `(` `)` `$` or line break can reach a line.
"""

import re

from asterisk import prompts
from asterisk.call_features import dialplan as call_features
from asterisk.render import servers
from asterisk.render.conf import ConfInjectionError
from asterisk.render.connectivity.trunks import TRUNK_CONTEXT
from directory.connectivity.models import Destination, InboundRoute, OutboundRoute, Trunk, TrunkTech
from directory.connectivity.selectors import inbound_route_list, outbound_route_list
from directory.connectivity.validators import pattern_length, split_callerid
from directory.secrets import MASK
from directory.servers.current import current
from directory.servers.models import Server

ALL_ROUTES = "outbound-allroutes"
# A call goes on to the route's next trunk after these, as FreePBX's dialout does.
FAILOVER = ("CHANUNAVAIL", "CONGESTION")
# Seconds a trunk's call may ring out (FreePBX's TRUNK_TIMEOUT).
TRUNK_TIMEOUT = 300
# The GROUP() category that counts each trunk's calls for its channel limit.
TRUNK_GROUP = "outbound-trunks"


def _lines(exten: str, steps: list[str]) -> list[str]:
    first, *rest = steps
    return [f"exten => {exten},1,{first}", *(f" same => {step}" for step in rest)]


# The writer's own guard, behind the validators: what each kind of value may hold where it is
# written. A value outside it raises instead of reaching the file.
_PATTERN_TEXT = re.compile(r"[0-9A-Z+*#.\[\]-]*")  # patterns, prefixes, prepends, DIDs, PINs, numbers
_DID_TEXT = re.compile(r"_?[0-9A-Z+*#.\[\]-]*")
_NAME_TEXT = re.compile(r"[\w .:'!#+-]*")  # caller-ID names and name prefixes
_IDENT = re.compile(r"[A-Za-z0-9_-]+")  # trunk names, contexts, extensions
_COMMENT_TEXT = re.compile(r"[^\x00-\x1f\x7f\u2028\u2029]*")


def _v(value, allowed: re.Pattern = _PATTERN_TEXT) -> str:
    value = str(value)
    if not allowed.fullmatch(value):
        raise ConfInjectionError(f"unsafe value {value!r} for the routes' dialplan")
    return value


def _comment(text: str) -> str:
    # Says whose lines follow; a comment ends at the line's end, so only a line break is unsafe.
    return f" ; {_v(text, _COMMENT_TEXT)}" if text else ""


SUB_OUTBOUND_CALLERID = """; The caller ID a call out carries (FreePBX's precedence). An emergency route: the calling
; device's emergency caller ID (DEVICE/<id>/emergency_cid; the device is the channel's own
; endpoint or peer, never the caller ID it sent). Otherwise the trunk's, when it forces it;
; else the user's outbound caller ID; else the route's; else the trunk's; else the internal one.
[sub-outbound-callerid]
exten => s,1,Set(CALLERID(all)=${OUTBOUND_INTERNAL_CID})
 same => n,GotoIf($["${EMERGENCYROUTE}" = "YES"]?emergency)
 same => n(normal),GotoIf($["${TRUNKFORCECID}" = "YES" & ${LEN(${TRUNKCIDNUM})} > 0]?trunk)
 same => n,Set(USERCID=${DB(AMPUSER/${AMPUSER}/outboundcid)})
 same => n,GotoIf($[${LEN(${AMPUSER})} > 0 & ${LEN(${USERCID})} > 0]?user)
 same => n,GotoIf($[${LEN(${ROUTECIDNUM})} > 0]?route)
 same => n,GotoIf($[${LEN(${TRUNKCIDNUM})} > 0]?trunk)
 same => n,Return()
 same => n(emergency),Set(CALLINGDEVICE=)
 same => n,GotoIf($["${CHANNEL(channeltype)}" = "PJSIP"]?pjsip)
 same => n,GotoIf($["${CHANNEL(channeltype)}" = "SIP"]?peer)
 same => n,GotoIf($["${CHANNEL(channeltype)}" = "IAX2"]?peer)
 same => n,Goto(normal)
 same => n(pjsip),Set(CALLINGDEVICE=${CHANNEL(endpoint)})
 same => n,Goto(lookup)
 same => n(peer),Set(CALLINGDEVICE=${CHANNEL(peername)})
 same => n(lookup),GotoIf($[${LEN(${CALLINGDEVICE})} = 0]?normal)
 same => n,Set(ECID=${DB(DEVICE/${CALLINGDEVICE}/emergency_cid)})
 same => n,GotoIf($[${LEN(${ECID})} = 0]?normal)
 same => n,Set(CALLERID(all)=${ECID})
 same => n,Return()
 same => n(user),Set(CALLERID(all)=${USERCID})
 same => n,Return()
 same => n(route),Set(CALLERID(name)=${ROUTECIDNAME})
 same => n,Set(CALLERID(num)=${ROUTECIDNUM})
 same => n,Return()
 same => n(trunk),Set(CALLERID(name)=${TRUNKCIDNAME})
 same => n,Set(CALLERID(num)=${TRUNKCIDNUM})
 same => n,Return()
"""


def _dial_string(trunk: Trunk) -> str:
    if trunk.tech == TrunkTech.PJSIP:
        return f"PJSIP/${{TRUNKNUM}}@{_v(trunk.name, _IDENT)}"
    return f"{'SIP' if trunk.tech == TrunkTech.SIP else 'IAX2'}/{_v(trunk.name, _IDENT)}/${{TRUNKNUM}}"


def _rule_exten(prefix: str, match: str) -> str:
    pattern = prefix + match
    return f"_{pattern}" if pattern else "_X."


def trunk_context(trunk: Trunk) -> str:
    return f"outbound-trunk-{trunk.pk}"


def trunk_text(trunk: Trunk, *, several: bool = False) -> str:
    """A trunk's dialling subroutine (ARG1: the number), and its dial-out rules. `several`: there
    are other servers, whose routes may send calls out over it (ARG2 `carried`, from
    [from-servers-outbound]): their caller ID was chosen on their server and is kept."""
    context = trunk_context(trunk)
    name, number = split_callerid(trunk.outbound_cid)
    steps = ["Set(TRUNKNUM=${ARG1})"]
    if trunk.max_channels:
        steps.append(f"n,GotoIf($[${{GROUP_COUNT({trunk.pk}@{TRUNK_GROUP})}} >= {trunk.max_channels}]?full)")
    if trunk.dial_rules:
        steps.append(f"n,GotoIf(${{DIALPLAN_EXISTS({context}-rules,${{TRUNKNUM}},1)}}?rules)")
    cid = [
        f"Set(TRUNKCIDNAME={_v(name, _NAME_TEXT)})",
        f"n,Set(TRUNKCIDNUM={_v(number)})",
        f"n,Set(TRUNKFORCECID={'YES' if trunk.force_cid else 'NO'})",
        "n,Gosub(sub-outbound-callerid,s,1())",
    ]
    if several:
        steps += ['n(cid),GotoIf($["${ARG2}" = "carried"]?group)', f"n,{cid[0]}", *cid[1:]]
    else:
        steps += [f"n(cid),{cid[0]}", *cid[1:]]
    steps += [
        f"n{'(group)' if several else ''},Set(GROUP({TRUNK_GROUP})={trunk.pk})",
        f"n,Dial({_dial_string(trunk)},{TRUNK_TIMEOUT})",
        "n,Return()",
    ]
    if trunk.dial_rules:
        steps += [f"n(rules),Gosub({context}-rules,${{TRUNKNUM}},1)", "n,Goto(cid)"]
    if trunk.max_channels:
        steps += ["n(full),Set(DIALSTATUS=CHANUNAVAIL)", "n,Return()"]
    lines = [f"[{context}]{_comment(f'trunk {trunk.name}')}", *_lines("s", steps)]
    if trunk.dial_rules:
        lines.append(f"\n[{context}-rules]")
        for rule in trunk.dial_rules:
            offset = pattern_length(rule["prefix"])
            lines += _lines(
                _rule_exten(_v(rule["prefix"]), _v(rule["match"])),
                [f"Set(TRUNKNUM={_v(rule['prepend'])}${{EXTEN:{offset}}})", "n,Return()"],
            )
    return "\n".join(lines) + "\n"


def route_context(route: OutboundRoute) -> str:
    return f"outrt-{route.pk}"


def _trunk_step(trunk: Trunk, remote: dict[int, str]) -> str:
    """A route's step for one trunk: its subroutine when the trunk is on this server; over the
    IAX2 trunk to its server when it is on another (`remote`: the other servers' names by id)."""
    if trunk.server_id in remote:
        name, number = split_callerid(trunk.outbound_cid)
        step = servers.dial_server_trunk_step(
            trunk.pk, remote[trunk.server_id], _v(name, _NAME_TEXT), _v(number), trunk.force_cid
        )
        return f"{step}{_comment(f'{trunk.name} on server {remote[trunk.server_id]}')}"
    return f"n,Gosub({trunk_context(trunk)},s,1(${{OUTNUM}})){_comment(trunk.name)}"


def outbound_route_text(
    route: OutboundRoute, trunks: list[Trunk], *, pin_shown: bool = True, remote: dict[int, str] | None = None
) -> str:
    """A route's context: one extension per pattern, then its call subroutine. `remote`: the
    other servers' names by id (a trunk on one of them is reached over the trunk to it)."""
    context = route_context(route)
    lines = [f"[{context}]{_comment(route.name)}"]
    for pattern in route.patterns:
        exten = f"_{_v(pattern['prefix'])}{_v(pattern['match'])}"
        if pattern["callerid"]:
            exten += f"/_{_v(pattern['callerid'])}"
        offset = pattern_length(pattern["prefix"])
        lines += _lines(
            exten,
            [
                f"Set(OUTNUM={_v(pattern['prepend'])}${{EXTEN:{offset}}})",
                f"n,Gosub({context}-call,s,1())",
                "n,Hangup()",
            ],
        )
    name, number = split_callerid(route.route_cid)
    steps = [
        # Whatever a pattern's `.` took, only digits and + * # go to a trunk (no `&`, `/`, `@`).
        "Set(OUTNUM_OK=${FILTER(0123456789+*#,${OUTNUM})})",
        "n,GotoIf($[${LEN(${OUTNUM_OK})} != ${LEN(${OUTNUM})}]?refused)",
    ]
    if route.emergency:
        # A hot desk nobody is logged into may still call for help: sub-user-callerid would
        # say "sorry" and hang up (FreePBX lets emergency routes through as well).
        steps.append('n,GotoIf($["${DB(DEVICE/${CALLERID(num)}/user)}" = "none"]?anyone)')
    steps += [
        "n,Gosub(sub-user-callerid,s,1())",
        "n(anyone),Set(OUTBOUND_INTERNAL_CID=${CALLERID(all)})",
        f"n,Set(ROUTECIDNAME={_v(name, _NAME_TEXT)})",
        f"n,Set(ROUTECIDNUM={_v(number)})",
        f"n,Set(EMERGENCYROUTE={'YES' if route.emergency else 'NO'})",
    ]
    if route.pin and not route.emergency:
        steps.append(f"n,Authenticate({_v(route.pin) if pin_shown else MASK})")
    carried = " & ".join(f'"${{DIALSTATUS}}" != "{status}"' for status in FAILOVER)
    for trunk in trunks:
        steps += [
            _trunk_step(trunk, remote or {}),
            f"n,GotoIf($[{carried}]?done)",
        ]
    steps += [
        # Every trunk unreachable or full: say so (FreePBX's "all circuits are busy").
        f"n,Playback({prompts.ALL_CIRCUITS_BUSY}&{prompts.TRY_LATER},noanswer)",
        "n,Congestion(5)",
        "n(done),Return()",
        "n(refused),Congestion(5)",
        "n,Return()",
    ]
    lines += ["", f"[{context}-call]", *_lines("s", steps)]
    return "\n".join(lines) + "\n"


def _did_extens(route: InboundRoute) -> list[str]:
    cid = f"/{_v(route.cid, _DID_TEXT)}" if route.cid else ""
    if route.did:
        return [_v(route.did, _DID_TEXT) + cid]
    # Any DID: any number the carrier sends, and the account name a carrier that calls the
    # registered contact sends instead (`office`); two characters at least, so not `h`, `i`,
    # `t` (Asterisk's own, which `_.` would take); one digit; and `s`, a call that came with none.
    return [f"_[A-Za-z0-9+*#].{cid}", f"_[0-9+*#]{cid}", f"s{cid}"]


def inbound_route_context(route: InboundRoute) -> str:
    return f"ext-did-{route.pk}"


def inbound_route_text(route: InboundRoute, forward_context: str, user_server: str = "") -> str:
    """An inbound route's context. `user_server`: the server its user is on when that is not the
    server this dialplan is for (README "Several servers"): the call goes over the trunk to it."""
    steps = ["Set(__FROM_DID=${EXTEN})"]
    if route.cid_name_prefix:
        steps += [
            "n,Set(INCIDNAME=${CALLERID(name)})",
            "n,GotoIf($[${LEN(${INCIDNAME})} > 0]?prefix)",
            "n,Set(INCIDNAME=${CALLERID(num)})",
            f"n(prefix),Set(CALLERID(name)={_v(route.cid_name_prefix, _NAME_TEXT)}${{INCIDNAME}})",
        ]
    user = route.user
    if user is not None and user_server and route.destination in (Destination.USER, Destination.VOICEMAIL):
        # The user lives on another server: their entry there rings them (or `*<ext>` there
        # leaves the message), reached over the trunk as a call from another server.
        remote = (
            servers.dial_remote_step
            if route.destination == Destination.USER
            else servers.voicemail_remote_step
        )
        steps.append(remote(_v(user.extension, _IDENT), user_server))
    elif route.destination == Destination.USER and user is not None:
        steps.append(
            f"n,Gosub(sub-dial-user,s,1({_v(user.extension, _IDENT)},{_v(forward_context, _IDENT)}))"
        )
    elif route.destination == Destination.VOICEMAIL and user is not None:
        # Whether the mailbox still exists is read at call time (AMPUSER/<ext>/voicemail): a
        # user's mailbox turned off later says "sorry, goodbye", and this text need not follow it.
        steps.append(f"n,Gosub(sub-vm-direct,s,1({_v(user.extension, _IDENT)}))")
    steps.append("n,Hangup()")
    label = route.description or str(route)
    lines = [f"[{inbound_route_context(route)}]{_comment(label)}"]
    for exten in _did_extens(route):
        lines += _lines(exten, steps)
    return "\n".join(lines) + "\n"


def _remote_servers(local: Server) -> dict[int, str]:
    """The name of every server but `local`, by id: the servers a route's user may be on instead."""
    return dict(Server.objects.exclude(pk=local.pk).values_list("pk", "name"))


def render_routes(forward_contexts: dict[str, str], default_context: str, local: Server | None = None) -> str:
    """The static dialplan of every trunk and route, in the order calls meet them, for the server
    `local` (default: the one in use, `directory.servers.current`)."""
    local = local or current()
    remote = _remote_servers(local)
    trunks = {t.pk: t for t in Trunk.objects.all()}
    # This server's carrier trunks only (README "Where carrier trunks live"); a route's trunk on
    # another server is reached over the IAX2 trunk to it.
    own = sorted((t for t in trunks.values() if t.enabled and t.server_id == local.pk), key=lambda t: t.pk)
    # The emergency routes first, whatever their place in the list: an earlier route whose
    # pattern also takes 911 (`_X.`) must not ask an emergency call for its PIN.
    routes = sorted(outbound_route_list(), key=lambda route: not route.emergency)
    inbound = inbound_route_list()
    parts = [SUB_OUTBOUND_CALLERID]
    parts.append(
        "; Outbound routes, in order: reached from from-internal-additional (phones) only.\n"
        f"[{ALL_ROUTES}]\n" + "".join(f"include => {route_context(r)}{_comment(r.name)}\n" for r in routes)
    )
    for route in routes:
        sequence = [trunks[rt.trunk_id] for rt in route.sequence if trunks[rt.trunk_id].enabled]
        parts.append(outbound_route_text(route, sequence, remote=remote))
    parts += [trunk_text(t, several=bool(remote)) for t in own]
    if remote:
        parts.append(
            "; Calls out over this server's carrier trunks that another server's route sent here\n"
            f"; (out<trunk id>*<number>; reached from {servers.FROM_SERVERS} only).\n"
            f"[{servers.SERVERS_OUTBOUND}]\n"
            + "".join(servers.out_extension(t.pk, trunk_context(t)) for t in own)
        )
    parts.append(
        "; Calls from trunks: the inbound routes, most specific first, and nothing else.\n"
        f"[{TRUNK_CONTEXT}]\ninclude => from-pstn\n\n[from-pstn]\n"
        + "".join(f"include => {inbound_route_context(r)}\n" for r in inbound)
    )
    for route in inbound:
        number = route.user.extension if route.user else ""
        user_server = remote.get(route.user.server_id, "") if route.user else ""
        parts.append(inbound_route_text(route, forward_contexts.get(number, default_context), user_server))
    return "\n".join(parts)


# Previews: the lines one trunk or route gets, as `render_routes` writes them.


def trunk_preview_text(*, trunk_id: int) -> str:
    trunk = Trunk.objects.filter(pk=trunk_id).first()
    several = Server.objects.count() > 1
    return trunk_text(trunk, several=several) if trunk and trunk.enabled else ""


def outbound_route_preview_text(*, route_id: int, pin_shown: bool) -> str:
    route = outbound_route_list().filter(pk=route_id).first()
    if route is None:
        return ""
    sequence = [rt.trunk for rt in route.sequence if rt.trunk.enabled]
    return outbound_route_text(route, sequence, pin_shown=pin_shown, remote=_remote_servers(current()))


def inbound_route_preview_text(*, route_id: int) -> str:
    route = InboundRoute.objects.select_related("user").filter(pk=route_id).first()
    if route is None:
        return ""
    default = call_features.forward_context(None)
    contexts = call_features.forward_contexts([route.user_id]) if route.user_id else {}
    user_server = _remote_servers(current()).get(route.user.server_id, "") if route.user else ""
    return inbound_route_text(route, contexts.get(route.user_id, default), user_server)
