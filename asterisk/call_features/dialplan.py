"""The call features' dialplan: part of the static dialplan (`asterisk/render/dialplan.py`), the same for
every office, so it is loaded with `dialplan reload` and never per user.

- The feature codes (FreePBX's defaults: *76/*78/*79, *72/*73, *90/*91, *52/*53, *70/*71, *21)
  hand the call to pbxadmin's FastAGI service (`agi.py`), which changes the user on the calling
  device through the services; the sync then writes AstDB and sets the device states.
- BLF hints: `*76<ext>` follows `Custom:DND<ext>`, `*21<ext>` `Custom:FOLLOWME<ext>` (pattern
  hints: Asterisk makes one for each number a phone watches).
- `sub-dial-user` (asterisk/render/dialplan.py) calls the subroutines below: forward all calls
  (`sub-cf-all`), forward a busy or unanswered call (`sub-cf-dial`), follow me (`sub-followme`).

Calls read only AstDB (FreePBX's keys, asterisk/call_features/astdb.py). A number read from AstDB
is filtered to digits and `+` before it reaches Dial(); forwards and outside follow-me numbers
are dialled in the context the user's own phone dials from (the per-user entry passes it), so a
forward reaches nothing the user could not dial. A forward is not followed back to the user,
to the caller, or round a chain of forwards that comes back (FWDPATH lists the users a call was
forwarded from), and a chain stops after ten forwards.
"""

from collections.abc import Iterable

from django.db.models import Exists, F, OuterRef

from asterisk import prompts
from directory.devices.models import Device, DeviceType
from directory.endpoints.models import Endpoint
from directory.users.call_features.rules import forward_context

# The feature codes (FreePBX's defaults), what each asks the FastAGI service to do, and whether
# a number may follow it (`*72<number>`).
CODES: tuple[tuple[str, str, bool], ...] = (
    ("*76", "dnd-toggle", False),
    ("*78", "dnd-on", False),
    ("*79", "dnd-off", False),
    ("*72", "cf-on", True),
    ("*73", "cf-off", False),
    ("*90", "cfb-on", True),
    ("*91", "cfb-off", False),
    ("*52", "cfu-on", True),
    ("*53", "cfu-off", False),
    ("*70", "cw-on", False),
    ("*71", "cw-off", False),
    ("*21", "followme-toggle", False),
)
# BLF keys: `*76<ext>` shows do not disturb, `*21<ext>` follow me (and dialling them toggles it).
HINTS = {"*76": "DND", "*21": "FOLLOWME"}
CONTEXT = "app-callfeatures"

_SORRY_LATER = f"{prompts.SORRY}&{prompts.TRY_LATER}"


def _codes() -> str:
    lines = [
        "; Call features from the phone. Each code hands the call to pbxadmin's FastAGI service,",
        "; which knows the calling device by its channel (never its caller ID) and changes the user",
        "; on it through the same services as the pages. A number dialled after a code is checked as",
        "; digits there. A user whose number follows a code and has a mailbox is reached by *<ext>",
        "; first, as FreePBX's per-user *<ext> entries win there.",
        f"[{CONTEXT}]",
    ]
    for code, feature, inline in CODES:
        lines += [f"exten => {code},1,Gosub(sub-callfeature,s,1({feature}))", " same => n,Hangup()"]
        hint = HINTS.get(code)
        if inline or hint:
            pattern = f"_{code}X." if hint else f"_{code}."
            lines += [
                f"exten => {pattern},1,Gosub(sub-vm-direct,s,1(${{EXTEN:1}},try))",
                f" same => n,Gosub(sub-callfeature,s,1({feature},${{EXTEN:{len(code)}}}))",
                " same => n,Hangup()",
            ]
            if hint:
                lines.append(f"exten => {pattern},hint,Custom:{hint}${{EXTEN:{len(code)}}}")
    return "\n".join(lines) + "\n"


_SUBROUTINES = r"""
; ARG1 the feature, ARG2 a number dialled after the code. The service says what happened.
[sub-callfeature]
exten => s,1,Answer()
 same => n,Wait(1)
 same => n,AGI(<<AGI>>/call-feature,${ARG1},${ARG2})
 same => n,GotoIf($["${AGISTATUS}" = "SUCCESS"]?done)
 same => n,Playback(<<SORRY_LATER>>)
 same => n(done),Return()

; Forward all calls (FreePBX's CF/<ext>), and the follow-me switches sub-dial-user reads.
; ARG1 the user, ARG2 their context, ARG3 "member" for a follow-me list's call (no forward).
; CFRESULT: "answered" or "noanswer" when the call was forwarded, else empty.
[sub-cf-all]
exten => s,1,Set(CFRESULT=)
 same => n,Set(FM=0)
 same => n,Set(FMPRIM=0)
 same => n,GotoIf($["${ARG3}" = "member"]?done)
 same => n,GotoIf($["${DB(AMPUSER/${ARG1}/followme/ddial)}" != "DIRECT"]?cf)
 same => n,GotoIf($[${LEN(${DB(AMPUSER/${ARG1}/followme/grplist)})} = 0]?cf)
 same => n,Set(FM=1)
 same => n,Set(FMHOW=${DB(AMPUSER/${ARG1}/followme/strategy)})
 same => n,GotoIf($["${CUT(FMHOW,-,2)}" != "prim"]?cf)
 same => n,Set(FMPRIM=1)
 same => n(cf),Set(CFTO=${DB(CF/${ARG1})})
 same => n,GotoIf($[${LEN(${CFTO})} = 0]?done)
 same => n,Gosub(sub-cf-dial,s,1(${ARG1},${CFTO},${ARG2}))
 same => n,GotoIf($["${CFFOLLOWED}" != "1"]?done)
 same => n,Set(CFRESULT=noanswer)
 same => n,GotoIf($["${DIALSTATUS}" != "ANSWER"]?done)
 same => n,Set(CFRESULT=answered)
 same => n(done),Return()

; Ring a forward's number (ARG2) for user ARG1, in the user's context (ARG3), for the forward
; ring time: AMPUSER/<ext>/cfringtimer, -1 until answered, 0 the user's ring time (FreePBX's
; rule). The caller keeps its caller ID. CFFOLLOWED is 1 when the number was rung.
[sub-cf-dial]
exten => s,1,Set(CFFOLLOWED=0)
 same => n,Set(CFNUM=${FILTER(+0123456789,${ARG2})})
 same => n,GotoIf($[${LEN(${CFNUM})} = 0]?done)
 same => n,GotoIf($["${CFNUM}" != "${ARG2}"]?done)
 same => n,GotoIf($["${CFNUM}" = "${ARG1}"]?done)
 same => n,GotoIf($["${CFNUM}" = "${AMPUSER}"]?done)
 same => n,GotoIf($["${CFNUM}" = "${REALCALLERIDNUM}"]?done)
 same => n,GotoIf($[${LEN(${STRREPLACE(FWDPATH,-${CFNUM}-)})} != ${LEN(${FWDPATH})}]?done)
 same => n,GotoIf($[${FIELDQTY(FWDPATH,-)} > 11]?done)
 same => n,Set(__FWDPATH=${IF($[${LEN(${FWDPATH})} = 0]?-)}${FWDPATH}${ARG1}-)
 same => n,Set(CFFOLLOWED=1)
 same => n,Set(CFRT=${DB(AMPUSER/${ARG1}/cfringtimer)})
 same => n,GotoIf($["${CFRT}" = "-1"]?always)
 same => n,Set(CFRT=${FILTER(0123456789,${CFRT})})
 same => n,GotoIf($[${LEN(${CFRT})} = 0]?usert)
 same => n,GotoIf($[${CFRT} > 0]?dial)
 same => n(usert),Set(CFRT=${FILTER(0123456789,${DB(AMPUSER/${ARG1}/ringtimer)})})
 same => n,GotoIf($[${LEN(${CFRT})} = 0]?default)
 same => n,GotoIf($[${CFRT} > 0]?dial)
 same => n(default),Set(CFRT=<<RINGTIME>>)
 same => n(dial),Dial(Local/${CFNUM}@${ARG3}/n,${CFRT},tr)
 same => n,Goto(done)
 same => n(always),Dial(Local/${CFNUM}@${ARG3}/n,,tr)
 same => n(done),Return()

; Follow me (FreePBX's findmefollow): the user's own phones (FMOWN, empty when in do not disturb
; or busy) ring alone for the initial ring time, then the list for its ring time: the own phones
; still ringing (ringallv2), after them (ringall), or one number after another (hunt).
; ARG1 the user, ARG2 their context. Sets DIALSTATUS.
[sub-followme]
exten => s,1,Set(FMLIST=${DB(AMPUSER/${ARG1}/followme/grplist)})
 same => n,Set(FMCONFIRM=${DB(AMPUSER/${ARG1}/followme/grpconf)})
 same => n,Set(__FMCTX=${ARG2})
 same => n,Set(FMHOW=${DB(AMPUSER/${ARG1}/followme/strategy)})
 same => n,Set(FMHOW=${CUT(FMHOW,-,1)})
 same => n,Set(FMPRE=${FILTER(0123456789,${DB(AMPUSER/${ARG1}/followme/prering)})})
 same => n,GotoIf($[${LEN(${FMPRE})} > 0]?pre)
 same => n,Set(FMPRE=0)
 same => n(pre),Set(FMTIME=${FILTER(0123456789,${DB(AMPUSER/${ARG1}/followme/grptime)})})
 same => n,GotoIf($[${LEN(${FMTIME})} = 0]?deftime)
 same => n,GotoIf($[${FMTIME} > 0]?build)
 same => n(deftime),Set(FMTIME=20)
 same => n(build),Set(FMDIAL=)
 same => n,Set(I=1)
 same => n(loop),Set(FMENTRY=${CUT(FMLIST,-,${I})})
 same => n,GotoIf($[${LEN(${FMENTRY})} = 0]?built)
 same => n,Set(I=$[${I} + 1])
 same => n,Gosub(sub-followme-entry,s,1(${FMENTRY}))
 same => n,GotoIf($[${LEN(${FMONE})} = 0]?loop)
 same => n,GotoIf($[${LEN(${FMDIAL})} = 0]?first)
 same => n,Set(FMDIAL=${FMDIAL}&${FMONE})
 same => n,Goto(loop)
 same => n(first),Set(FMDIAL=${FMONE})
 same => n,Goto(loop)
 same => n(built),GotoIf($["${FMHOW}" = "hunt"]?own)
 same => n,GotoIf($["${FMHOW}" = "ringall"]?own)
 same => n,GotoIf($[${LEN(${FMOWN})} = 0]?list)
 same => n,GotoIf($[${LEN(${FMDIAL})} = 0]?ownonly)
 same => n,Set(_FMLATER=${FMDIAL})
 same => n,Set(_FMDELAY=${FMPRE})
 same => n,Set(_FMTIME=${FMTIME})
 same => n,Dial(${FMOWN}&Local/${ARG1}@followme-later/n,$[${FMPRE} + ${FMTIME}],tr)
 same => n,Goto(done)
 same => n(ownonly),Dial(${FMOWN},$[${FMPRE} + ${FMTIME}],tr)
 same => n,Goto(done)
 same => n(own),GotoIf($[${LEN(${FMOWN})} = 0]?list)
 same => n,GotoIf($[${FMPRE} = 0]?list)
 same => n,Dial(${FMOWN},${FMPRE},tr)
 same => n,GotoIf($["${DIALSTATUS}" = "ANSWER"]?done)
 same => n(list),GotoIf($["${FMHOW}" = "hunt"]?hunt)
 same => n,GotoIf($[${LEN(${FMDIAL})} = 0]?none)
 same => n,Dial(${FMDIAL},${FMTIME},tr)
 same => n,Goto(done)
 same => n(hunt),Set(I=1)
 same => n(next),Set(FMENTRY=${CUT(FMLIST,-,${I})})
 same => n,GotoIf($[${LEN(${FMENTRY})} = 0]?none)
 same => n,Set(I=$[${I} + 1])
 same => n,Gosub(sub-followme-entry,s,1(${FMENTRY}))
 same => n,GotoIf($[${LEN(${FMONE})} = 0]?next)
 same => n,Dial(${FMONE},${FMTIME},tr)
 same => n,GotoIf($["${DIALSTATUS}" = "ANSWER"]?done)
 same => n,Goto(next)
 same => n(none),Set(DIALSTATUS=NOANSWER)
 same => n(done),Return()

; One number of a follow-me list as a dial string (FMONE; empty for anything but digits). A user
; of this PBX: their phones (followme-member). `0171234567#`, or a number that is no user: dialled
; in the user's context (FMCTX), through followme-confirm when the list asks for a confirmation.
[sub-followme-entry]
exten => s,1,Set(FMONE=)
 same => n,Set(FMNUM=${FILTER(+0123456789,${ARG1})})
 same => n,GotoIf($[${LEN(${FMNUM})} = 0]?done)
 same => n,GotoIf($["${ARG1}" = "${FMNUM}#"]?outside)
 same => n,GotoIf($["${ARG1}" != "${FMNUM}"]?done)
 same => n,GotoIf($[${DB_EXISTS(AMPUSER/${FMNUM}/cidname)} = 0]?outside)
 same => n,Set(FMONE=Local/${FMNUM}@followme-member/n)
 same => n,Goto(done)
 same => n(outside),GotoIf($["${FMCONFIRM}" = "ENABLED"]?confirm)
 same => n,Set(FMONE=Local/${FMNUM}@${FMCTX}/n)
 same => n,Goto(done)
 same => n(confirm),Set(FMONE=Local/${FMNUM}@followme-confirm/n)
 same => n(done),Return()

; ringallv2: the list joins the own phones once the initial ring time has passed.
[followme-later]
exten => _X!,1,GotoIf($[${FMDELAY} = 0]?dial)
 same => n,Wait(${FMDELAY})
 same => n(dial),Dial(${FMLATER},${FMTIME},t)
 same => n,Hangup()

; A user on someone's follow-me list: their phones ring (their do not disturb and call waiting
; still apply), and nothing else: no forward, no follow-me of theirs, no voicemail.
[followme-member]
exten => _X!,1,Gosub(sub-dial-user,s,1(${EXTEN},,member))
 same => n,Hangup()

; An outside number that must press 1 to take the call (FreePBX's "Confirm Calls"): a mobile's
; voicemail cannot, so it does not take the call from the phones still ringing.
[followme-confirm]
exten => _X!,1,Dial(Local/${EXTEN}@${FMCTX}/n,,tU(sub-followme-confirm))
 same => n,Hangup()
exten => _+X!,1,Dial(Local/${EXTEN}@${FMCTX}/n,,tU(sub-followme-confirm))
 same => n,Hangup()

[sub-followme-confirm]
exten => s,1,Read(FMKEY,<<CONFIRM>>,1,,2,5)
 same => n,GotoIf($["${FMKEY}" = "1"]?accept)
 same => n,Set(GOSUB_RESULT=CONTINUE)
 same => n(accept),Return()
"""


def static_text(agi_url: str, default_ringtime: int) -> str:
    """The call features' contexts, for the static part of extensions_additional.conf."""
    subroutines = (
        _SUBROUTINES.replace("<<AGI>>", agi_url)
        .replace("<<SORRY_LATER>>", _SORRY_LATER)
        .replace("<<RINGTIME>>", str(int(default_ringtime)))
        .replace("<<CONFIRM>>", f"{prompts.FOLLOWME_CALL_FROM}&{prompts.FOLLOWME_OPTIONS}")
    )
    return _codes() + subroutines


def forward_contexts(numbers: Iterable[str] | None) -> dict[str, str]:
    """Each user's context for forwards (`forward_context`) when it is not the default: their own
    phone's (the device with their number), else that of the first fixed device they are the
    default user of; None: every user. A user missing from the answer has the default.

    Read for the whole dialplan at each render: only the few phones with another context come
    back from the database, so 10,000 users on from-internal cost two small queries."""
    default = forward_context(None)
    own = Endpoint.objects.filter(settings__has_key="context").exclude(settings__context=default)
    theirs = (
        Endpoint.objects.filter(device__devicetype=DeviceType.FIXED, device__default_user__isnull=False)
        .exclude(device_id=F("device__default_user_id"))
        .exclude(Exists(Device.objects.filter(pk=OuterRef("device__default_user_id"))))
    )
    if numbers is not None:
        numbers = list(numbers)
        own = own.filter(device_id__in=numbers)
        theirs = theirs.filter(device__default_user_id__in=numbers)
    result: dict[str, str] = {}
    for user_id, settings in theirs.order_by("-device_id").values_list("device__default_user_id", "settings"):
        result[user_id] = forward_context(settings)
    result.update(own.values_list("device_id", "settings__context"))
    return {user: context for user, context in result.items() if context != default}
