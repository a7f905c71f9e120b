"""extensions_additional.conf: the dialplan that makes the portal's data route calls.

What the dialplan reads at call time comes from AstDB (FreePBX's design): a
caller's identity (DEVICE/<id>/user, then AMPUSER/<user>/cidname and cidnum),
the devices to ring (AMPUSER/<ext>/device, then DEVICE/<d>/dial), the ring
time, call waiting and voicemail. So the generated part per user is only its
extension and its hint; names and other values a person typed never appear in
the dialplan text, and values read with DB() are never evaluated as dialplan.

Only applications and functions Asterisk 18 to 22 ship are used: Gosub/Return,
DB(), DB_EXISTS(), PJSIP_DIAL_CONTACTS(), CUT(), LEN(), FILTER(), EXTENSION_STATE(),
CHANNEL(), Dial(), VoiceMail(), VoiceMailMain(), AGI(). No Macro() (gone from Asterisk 21).
FreePBX's dialling habits are kept: *97, *98, *98<ext>, *<ext> (a user's mailbox
directly), *11 / *12, and ext-local includes ext-local-custom.

The file is for one server (`directory.servers.current`): `ext-local` holds its own users;
with several servers, `ext-remote` holds the others' users, dialled over the IAX2 trunks to
their servers, and `from-internal-servers` takes the calls those trunks bring
(`asterisk/render/servers.py`).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from asterisk import prompts
from asterisk.call_features import dialplan as call_features
from asterisk.render import servers
from asterisk.render.conf import banner
from asterisk.render.connectivity import routes
from directory.connectivity.models import InboundRoute
from directory.devices.models import ARRIVAL_ORDER, Device
from directory.servers.current import current
from directory.servers.models import Server
from directory.users.models import PbxUser

FILENAME = "extensions_additional.conf"


# The service unreachable or failing: sorry, try later. Nobody on the device: sorry, goodbye.
_UNREACHABLE = f"{prompts.SORRY}&{prompts.TRY_LATER}"
_NOBODY = f"{prompts.SORRY}&{prompts.GOODBYE}"


def _static(agi_url: str, default_ringtime: int, *, several: bool = False) -> str:
    # With several servers, the users of the others come after this server's own, and `*<ext>`
    # for one of them leaves the message on their server (asterisk/render/servers.py).
    remote = f"include => {servers.REMOTE_CONTEXT}\n" if several else ""
    remote_vm_check, remote_vm = servers.VM_DIRECT_LINES if several else ("", "")
    return f"""[from-internal-additional]
include => ext-local
{remote}include => app-userlogonoff
include => app-callfeatures
include => app-vmmain
include => app-dialvm
include => app-vm-direct
; Outbound routes (asterisk/render/connectivity/routes.py): from here only, after every
; internal number and feature code. Calls from trunks land in from-trunk, which never comes here.
include => outbound-allroutes

; The administrator's own additions to ext-local, as in FreePBX (extensions_custom.conf
; or extensions.conf may add to this context); empty here, so the include always resolves.
[ext-local-custom]

; Voicemail (FreePBX's *97 / *98). *97 is the mailbox of the user on the
; calling device. The device is the channel's own endpoint or peer, the name
; Asterisk authenticated, never the caller ID, which a phone can send as it
; likes. The PIN is always asked.
[app-vmmain]
exten => *97,1,Answer()
 same => n,Wait(1)
 same => n,Set(DEV=)
 same => n,GotoIf($["${{CHANNEL(channeltype)}}" = "PJSIP"]?pjsip)
 same => n,GotoIf($["${{CHANNEL(channeltype)}}" = "SIP"]?peer)
 same => n,GotoIf($["${{CHANNEL(channeltype)}}" = "IAX2"]?peer)
 same => n,Goto(nomailbox)
 same => n(pjsip),Set(DEV=${{CHANNEL(endpoint)}})
 same => n,Goto(lookup)
 same => n(peer),Set(DEV=${{CHANNEL(peername)}})
 same => n(lookup),GotoIf($[${{LEN(${{DEV}})}} = 0]?nomailbox)
 same => n,Set(VMUSER=${{DB(DEVICE/${{DEV}}/user)}})
 same => n,GotoIf($[${{LEN(${{VMUSER}})}} = 0]?nomailbox)
 same => n,GotoIf($["${{VMUSER}}" = "none"]?nomailbox)
 same => n,Set(VMCTX=${{DB(AMPUSER/${{VMUSER}}/voicemail)}})
 same => n,GotoIf($[${{LEN(${{VMCTX}})}} = 0]?nomailbox)
 same => n,GotoIf($["${{VMCTX}}" = "novm"]?nomailbox)
 same => n,VoiceMailMain(${{VMUSER}}@${{VMCTX}})
 same => n,Hangup()
 same => n(nomailbox),Playback(im-sorry&vm-goodbye)
 same => n,Hangup()

; *98: any mailbox; VoiceMailMain asks for the mailbox number, then its PIN.
; *98<ext>: that mailbox, then its PIN (FreePBX's habit). A user whose own number
; starts with 98 and has a mailbox is reached first, as FreePBX's *<ext> is.
[app-dialvm]
exten => *98,1,Answer()
 same => n,Wait(1)
 same => n,VoiceMailMain()
 same => n,Hangup()
exten => _*98X.,1,Gosub(sub-vm-direct,s,1(${{EXTEN:1}},try))
 same => n,Gosub(sub-vm-main,s,1(${{EXTEN:3}}))
 same => n,Hangup()

; *<ext>: straight to that user's mailbox, unavailable greeting (FreePBX's habit).
; Included last: every feature code above comes first.
[app-vm-direct]
exten => _*X,1,Gosub(sub-vm-direct,s,1(${{EXTEN:1}}))
 same => n,Hangup()
exten => _*X.,1,Gosub(sub-vm-direct,s,1(${{EXTEN:1}}))
 same => n,Hangup()

; Leave a message in ARG1's mailbox. The number came from the phone: digits only reach
; DB() and VoiceMail(). No mailbox: sorry, goodbye; or, with ARG2 "try", back to the caller.
[sub-vm-direct]
exten => s,1,GotoIf($[${{LEN(${{FILTER(0123456789,${{ARG1}})}})}} != ${{LEN(${{ARG1}})}}]?nomailbox)
{remote_vm_check} same => n,Set(VMCTX=${{DB(AMPUSER/${{ARG1}}/voicemail)}})
 same => n,GotoIf($[${{LEN(${{VMCTX}})}} = 0]?nomailbox)
 same => n,GotoIf($["${{VMCTX}}" = "novm"]?nomailbox)
 same => n,VoiceMail(${{ARG1}}@${{VMCTX}},u)
 same => n,Hangup()
 same => n(nomailbox),GotoIf($["${{ARG2}}" = "try"]?back)
 same => n,Answer()
 same => n,Playback({_NOBODY})
 same => n,Hangup()
 same => n(back),Return()
{remote_vm}
; Open ARG1's mailbox; VoiceMailMain asks its PIN. Not a mailbox: ask for one, as *98 does.
[sub-vm-main]
exten => s,1,Answer()
 same => n,Wait(1)
 same => n,Set(VMCTX=)
 same => n,GotoIf($[${{LEN(${{FILTER(0123456789,${{ARG1}})}})}} != ${{LEN(${{ARG1}})}}]?ask)
 same => n,Set(VMCTX=${{DB(AMPUSER/${{ARG1}}/voicemail)}})
 same => n,GotoIf($[${{LEN(${{VMCTX}})}} = 0]?ask)
 same => n,GotoIf($["${{VMCTX}}" = "novm"]?ask)
 same => n,VoiceMailMain(${{ARG1}}@${{VMCTX}})
 same => n,Hangup()
 same => n(ask),VoiceMailMain()
 same => n,Hangup()

; Hot desking (FreePBX's *11 / *12): the portal's FastAGI service checks the
; rules and the PIN and logs the user in or out through the same services as
; the Devices page. It knows the phone by its channel (the endpoint it
; authenticated as), never by its caller ID.
[app-userlogonoff]
exten => *11,1,Gosub(sub-user-logon,s,1())
 same => n,Hangup()
exten => _*11.,1,Gosub(sub-vm-direct,s,1(${{EXTEN:1}},try))
 same => n,Gosub(sub-user-logon,s,1(${{EXTEN:3}}))
 same => n,Hangup()
exten => *12,1,Gosub(sub-user-logoff,s,1())
 same => n,Hangup()

[sub-user-logon]
exten => s,1,Answer()
 same => n,Wait(1)
 same => n,AGI({agi_url}/hotdesk-login,${{ARG1}})
 same => n,GotoIf($["${{AGISTATUS}}" = "SUCCESS"]?done)
 same => n,Playback({_UNREACHABLE})
 same => n(done),Return()

[sub-user-logoff]
exten => s,1,Answer()
 same => n,Wait(1)
 same => n,AGI({agi_url}/hotdesk-logout)
 same => n,GotoIf($["${{AGISTATUS}}" = "SUCCESS"]?done)
 same => n,Playback({_UNREACHABLE})
 same => n(done),Return()

; The caller's identity (FreePBX's macro-user-callerid, as a subroutine): a
; device calls as its number (callerid=device <id>); the user on it gives the
; name and number. Nobody on an adhoc device: a message, then hang up.
[sub-user-callerid]
exten => s,1,GotoIf($[${{LEN(${{REALCALLERIDNUM}})}} > 0]?known)
 same => n,Set(__REALCALLERIDNUM=${{CALLERID(num)}})
 same => n(known),Set(AMPUSER=${{DB(DEVICE/${{REALCALLERIDNUM}}/user)}})
 same => n,GotoIf($["${{AMPUSER}}" = "none"]?nobody)
 same => n,GotoIf($[${{LEN(${{AMPUSER}})}} = 0]?done)
 same => n,Set(CIDNAME=${{DB(AMPUSER/${{AMPUSER}}/cidname)}})
 same => n,GotoIf($[${{LEN(${{CIDNAME}})}} = 0]?done)
 same => n,Set(CALLERID(name)=${{CIDNAME}})
 same => n,Set(CIDNUM=${{DB(AMPUSER/${{AMPUSER}}/cidnum)}})
 same => n,GotoIf($[${{LEN(${{CIDNUM}})}} > 0]?setnum)
 same => n,Set(CIDNUM=${{AMPUSER}})
 same => n(setnum),Set(CALLERID(num)=${{CIDNUM}})
 same => n(done),Return()
 same => n(nobody),Answer()
 same => n,Wait(1)
 same => n,Playback({_NOBODY})
 same => n,Hangup()

; Calling a user: forward all calls, do not disturb and follow me first (asterisk/call_features);
; then ring every device they are on now, at once, for their ring time; then a forward when busy
; or unanswered, voicemail, or busy / hang up. ARG1 is the user's number, ARG2 the context their
; forwards are dialled in, ARG3 "member" when someone's follow-me list rings them.
[sub-dial-user]
exten => s,1,Set(EXT=${{ARG1}})
 same => n,Set(FWDCTX=${{ARG2}})
 same => n,GotoIf($[${{LEN(${{FWDCTX}})}} > 0]?known)
 same => n,Set(FWDCTX=from-internal)
 same => n(known),Set(DEVICES=${{DB(AMPUSER/${{EXT}}/device)}})
 same => n,Gosub(sub-cf-all,s,1(${{EXT}},${{FWDCTX}},${{ARG3}}))
 same => n,GotoIf($["${{CFRESULT}}" = "answered"]?end)
 same => n,GotoIf($["${{CFRESULT}}" = "noanswer"]?unanswered)
 same => n,GotoIf($["${{DB(DND/${{EXT}})}}" = "YES"]?occupied)
 same => n,GotoIf($["${{DB(CW/${{EXT}})}}" = "ENABLED"]?collect)
 same => n,Set(STATE=${{EXTENSION_STATE(${{EXT}}@ext-local)}})
 same => n,GotoIf($["${{STATE}}" = "INUSE"]?occupied)
 same => n,GotoIf($["${{STATE}}" = "BUSY"]?occupied)
 same => n,GotoIf($["${{STATE}}" = "RINGINUSE"]?occupied)
 same => n,GotoIf($["${{STATE}}" = "ONHOLD"]?occupied)
 same => n,Goto(collect)
 same => n(occupied),Set(DSTRING=)
 same => n,GotoIf($["${{ARG3}}" = "member"]?end)
 same => n,GotoIf($["${{FM}}" = "1" & "${{FMPRIM}}" != "1"]?followme)
 same => n,Goto(busy)
 same => n(collect),Set(DSTRING=)
 same => n,Set(I=1)
 same => n(loop),Set(DEV=${{CUT(DEVICES,&,${{I}})}})
 same => n,GotoIf($[${{LEN(${{DEV}})}} = 0]?ring)
 same => n,Set(I=$[${{I}} + 1])
 same => n,Set(ONE=${{DB(DEVICE/${{DEV}}/dial)}})
 same => n,GotoIf($["${{DB(DEVICE/${{DEV}}/tech)}}" != "pjsip"]?add)
 same => n,Set(ONE=${{PJSIP_DIAL_CONTACTS(${{DEV}})}})
 same => n(add),GotoIf($[${{LEN(${{ONE}})}} = 0]?loop)
 same => n,GotoIf($[${{LEN(${{DSTRING}})}} = 0]?first)
 same => n,Set(DSTRING=${{DSTRING}}&${{ONE}})
 same => n,Goto(loop)
 same => n(first),Set(DSTRING=${{ONE}})
 same => n,Goto(loop)
 same => n(ring),GotoIf($["${{ARG3}}" = "member"]?member)
 same => n,GotoIf($["${{FM}}" = "1"]?followme)
 same => n,GotoIf($[${{LEN(${{DSTRING}})}} = 0]?unavailable)
 same => n,Set(RT=${{DB(AMPUSER/${{EXT}}/ringtimer)}})
 same => n,GotoIf($[${{LEN(${{RT}})}} = 0]?default)
 same => n,GotoIf($[${{RT}} > 0]?dial)
 same => n(default),Set(RT={default_ringtime})
 same => n(dial),Dial(${{DSTRING}},${{RT}},tr)
 same => n,GotoIf($["${{DIALSTATUS}}" = "BUSY"]?busy)
 same => n,Goto(noanswer)
 same => n(followme),Set(FMOWN=${{DSTRING}})
 same => n,Gosub(sub-followme,s,1(${{EXT}},${{FWDCTX}}))
 same => n,GotoIf($["${{DIALSTATUS}}" = "ANSWER"]?end)
 same => n,Goto(unanswered)
 same => n(member),GotoIf($[${{LEN(${{DSTRING}})}} = 0]?end)
 same => n,Dial(${{DSTRING}},,t)
 same => n,Goto(end)
 same => n(unavailable),Set(DIALSTATUS=CHANUNAVAIL)
 same => n(noanswer),Set(VMSTATUS=u)
 same => n,Set(CFTO=${{DB(CFU/${{EXT}})}})
 same => n,Goto(forward)
 same => n(busy),Set(VMSTATUS=b)
 same => n,Set(CFTO=${{DB(CFB/${{EXT}})}})
 same => n(forward),GotoIf($[${{LEN(${{CFTO}})}} = 0]?voicemail)
 same => n,Gosub(sub-cf-dial,s,1(${{EXT}},${{CFTO}},${{FWDCTX}}))
 same => n,GotoIf($["${{DIALSTATUS}}" = "ANSWER"]?end)
 same => n,Goto(voicemail)
 same => n(unanswered),Set(VMSTATUS=u)
 same => n(voicemail),Set(VMCTX=${{DB(AMPUSER/${{EXT}}/voicemail)}})
 same => n,GotoIf($[${{LEN(${{VMCTX}})}} = 0]?novm)
 same => n,GotoIf($["${{VMCTX}}" = "novm"]?novm)
 same => n,VoiceMail(${{EXT}}@${{VMCTX}},${{VMSTATUS}})
 same => n,Return()
 same => n(novm),GotoIf($["${{VMSTATUS}}" = "b"]?isbusy)
 same => n,Hangup()
 same => n(isbusy),Busy(20)
 same => n(end),Return()

""" + call_features.static_text(agi_url, default_ringtime)


# Everything above this line of the file is the static dialplan: it changes only with an
# upgrade or a setting, and is loaded with `dialplan reload`. Everything below is each user's
# entry, which pbxadmin applies to the running dialplan over AMI when it changes
# (`asterisk.sync`), so adding, changing or deleting a user never reloads 10,000 hints; the
# file stays what a restart (or a reload) loads.
PER_USER_MARKER = "; --- per-user entries (applied live over AMI; a restart loads the same) ---"
USER_CONTEXT = "ext-local"
# The forwards' context of a user with no phone of their own.
NO_CONTEXT = call_features.forward_context(None)


@dataclass(frozen=True)
class Entry:
    """One line of a user's dialplan: a priority (`1`, `2`…) or `hint`, and what it runs or watches."""

    context: str
    exten: str
    priority: str
    app: str
    data: str = ""


def local_entries(number: str, dials: Iterable[str], context: str = NO_CONTEXT) -> list[Entry]:
    """A user of this server's entries: ring them as themselves (`sub-dial-user`, with the
    context their own phone dials from, for their forwards), and a hint on the devices they are
    on now (none when they are on no device)."""
    entries = [
        Entry(USER_CONTEXT, number, "1", "Gosub", "sub-user-callerid,s,1()"),
        Entry(USER_CONTEXT, number, "2", "Gosub", f"sub-dial-user,s,1({number},{context})"),
        Entry(USER_CONTEXT, number, "3", "Hangup"),
    ]
    dials = list(dials)
    if dials:
        entries.append(Entry(USER_CONTEXT, number, "hint", "&".join(dials)))
    return entries


def remote_entries(number: str, server_name: str) -> list[Entry]:
    """A user of another server as this one dials them (README "Several servers"): the caller's
    name and number set as for a local user, then over the IAX2 trunk to their server."""
    peer = servers.peer_name(server_name)
    number = servers.number(number)
    return [
        Entry(servers.REMOTE_CONTEXT, number, "1", "Gosub", "sub-user-callerid,s,1()"),
        Entry(servers.REMOTE_CONTEXT, number, "2", "Gosub", f"{servers.DIAL_SERVER},s,1({number},{peer})"),
        Entry(servers.REMOTE_CONTEXT, number, "3", "Hangup"),
    ]


def user_entries(number: str) -> list[Entry]:
    """The live entries of user `number` on the server in use (`directory.servers.current`): its
    own for a user of this server, remote ones for a user of another, none for no user."""
    return entries_by_user([number])[number]


def entries_text(entries: list[Entry]) -> str:
    """Entries as extensions.conf lines (the priorities in order, then the hint)."""
    lines = []
    for e in entries:
        if e.priority == "hint":
            lines.append(f"exten => {e.exten},hint,{e.app}")
        elif e.priority == "1":
            lines.append(f"exten => {e.exten},1,{e.app}({e.data})")
        else:
            lines.append(f" same => n,{e.app}({e.data})")
    return "".join(line + "\n" for line in lines)


def static_part(text: str) -> str:
    """The file's text before the per-user entries: what a change must reload the dialplan for."""
    return text.partition(PER_USER_MARKER)[0]


def _sort_key(number: str) -> tuple[int, str]:
    return (len(number), number)


def _dials_by_user(users: list[str] | None, server: Server) -> dict[str, list[str]]:
    """The dial strings of the devices of `server` each user is on now, in arrival order (cursor,
    not models: this runs over every user for the file)."""
    devices = Device.objects.filter(user__isnull=False, server=server)
    if users is not None:
        devices = devices.filter(user_id__in=users)
    query = devices.order_by(*ARRIVAL_ORDER).values_list("user_id", "dial")
    dials: dict[str, list[str]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(*query.query.sql_with_params())
        for user_id, dial in cursor.fetchall():
            dials[user_id].append(dial)
    return dials


def entries_by_user(
    users: Iterable[str] | None = None, server: Server | None = None
) -> dict[str, list[Entry]]:
    """Each user's entries on `server` (default: the one in use), by number (None: every user):
    a user of that server gets its own (`local_entries`), a user of another server the entries
    that reach them there (`remote_entries`); a number that is no user maps to []."""
    server = server or current()
    names = dict(Server.objects.values_list("pk", "name"))
    wanted = None if users is None else sorted(set(users))
    result: dict[str, list[Entry]] = {}
    batches = [None] if wanted is None else [wanted[i : i + 500] for i in range(0, len(wanted), 500)]
    for batch in batches:
        numbers = PbxUser.objects.values_list("extension", "server_id")
        if batch is not None:
            numbers = numbers.filter(pk__in=batch)
        with connection.cursor() as cursor:
            cursor.execute(*numbers.query.sql_with_params())
            existing = cursor.fetchall()
        any_local = any(server_id == server.pk for _number, server_id in existing)
        dials = _dials_by_user(batch, server) if any_local else {}
        contexts = call_features.forward_contexts(batch) if any_local else {}
        for number, server_id in existing:
            if server_id == server.pk:
                result[number] = local_entries(
                    number, dials.get(number, ()), contexts.get(number, NO_CONTEXT)
                )
            else:
                result[number] = remote_entries(number, names[server_id])
        for number in batch or ():
            result.setdefault(number, [])
    return result


def connectivity_text(server: Server | None = None) -> str:
    """The trunks' and routes' dialplan (static: a change to them reloads the dialplan)."""
    numbers = set(InboundRoute.objects.filter(user__isnull=False).values_list("user_id", flat=True))
    contexts = call_features.forward_contexts(numbers) if numbers else {}
    return routes.render_routes(contexts, NO_CONTEXT, server)


def render_dialplan(server: Server | None = None) -> str:
    """The whole file for `server` (default: the one in use)."""
    server = server or current()
    several = Server.objects.count() > 1
    by_user = entries_by_user(server=server)
    static = _static(settings.PBXADMIN_AGI_URL, settings.PBXADMIN_RINGTIME_DEFAULT, several=several)
    parts = [
        banner(included_by="extensions.conf"),
        "",
        static + "\n" + connectivity_text(server) + ("\n" + servers.static_text() if several else ""),
        f"[{USER_CONTEXT}]\ninclude => ext-local-custom\n",
        f"{PER_USER_MARKER}\n",
    ]
    numbers = sorted(by_user, key=_sort_key)
    body = "".join(
        entries_text(by_user[number])
        for number in numbers
        if not by_user[number] or by_user[number][0].context == USER_CONTEXT
    )
    if several:
        remote = "".join(
            entries_text(by_user[number])
            for number in numbers
            if by_user[number] and by_user[number][0].context == servers.REMOTE_CONTEXT
        )
        body += f"\n[{servers.REMOTE_CONTEXT}]\n" + remote
    return "\n".join(parts[:4]) + "\n" + parts[4] + body
