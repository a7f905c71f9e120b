"""What an administrator may type for a trunk or a route, judged before anything reaches a file.

Trunk names become section names in the channel drivers' files and parts of dialplan
context names; dial patterns, prefixes, caller IDs and caller-ID name prefixes become parts
of dialplan lines. None of them may carry a line break, `,` (an application's argument
separator), `;` (a comment), `(` `)` (an application's arguments), `$` `{` `}` (an
expression Asterisk would evaluate), `&` (a second channel to dial) or `/` `@` (another
technology or host in a dial string); the patterns below are whitelists, so they cannot.
"""

import re

from django.core.exceptions import ValidationError

from directory.validators import CALLERID_MAX_LENGTH, host_name

# A trunk's name: a section in pjsip/sip/iax files and part of `outbound-trunk-<id>`'s comment.
# It starts with a letter, so it never meets a device's section (device ids are digits).
TRUNK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
# Section names the drivers read as settings, or that FreePBX keeps for itself.
# An IPv4 address written out (a trunk's host that pins down where its calls may come from).
IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])")
# `guest`: chan_iax2 lets any caller in as its `guest` user when there is one.
RESERVED_TRUNK_NAMES = frozenset(
    {"general", "global", "system", "anonymous", "authentication", "trunk", "guest"}
)

# The generated IAX2 trunks between pbxadmin's servers are `pbx-<server>` (asterisk/render/servers.py).
SERVER_TRUNK_PREFIX = "pbx-"


def trunk_name(value: str) -> None:
    if not TRUNK_NAME.fullmatch(value):
        raise ValidationError(
            "A trunk name starts with a letter and holds letters, digits, - and _ (at most 40).",
            code="trunk_name",
        )
    if value.lower() in RESERVED_TRUNK_NAMES:
        raise ValidationError(f"{value} is a name the channel drivers keep for themselves.", code="reserved")
    if value.lower().startswith(SERVER_TRUNK_PREFIX):
        raise ValidationError(
            f"Names starting with {SERVER_TRUNK_PREFIX} are the trunks between pbxadmin's servers: choose another.",
            code="reserved",
        )


def host(value: str) -> None:
    host_name(value)


# The account name at the carrier: part of a SIP URI and of `register =>` lines.
_USERNAME = re.compile(r"[A-Za-z0-9_.+-]{1,64}")


def trunk_username(value: str) -> None:
    if not _USERNAME.fullmatch(value):
        raise ValidationError("Use letters, digits and . _ + - (at most 64).", code="username")


# A trunk's secret goes into `register=>user:secret@host` lines and a PJSIP auth section:
# no `:` `@` `/` (URI separators), `;` `#` (comments), quotes, spaces or backslashes.
_TRUNK_SECRET = re.compile(r"[A-Za-z0-9_.!~*+=%^-]{1,64}")


def trunk_secret(value: str) -> None:
    if not _TRUNK_SECRET.fullmatch(value):
        raise ValidationError(
            "Use letters, digits and _ . ! ~ * + = % ^ - (at most 64): the secret goes into a "
            "registration line (user:secret@host).",
            code="secret_chars",
        )


# FreePBX's dial-pattern characters: digits, X Z N (any digit, 1-9, 2-9), `.` (one or more
# of anything, last only), `[...]` (one of a set of digits and ranges), `+ * #`.
_PATTERN = re.compile(r"(?:[0-9XZN+*#]|\[[0-9](?:-[0-9])?(?:[0-9](?:-[0-9])?)*\])*\.?")
_DIGITS = re.compile(r"[0-9+*#]*")
PATTERN_MAX_LENGTH = 40


def _too_long(value: str) -> None:
    if len(value) > PATTERN_MAX_LENGTH:
        raise ValidationError(f"At most {PATTERN_MAX_LENGTH} characters.", code="max_length")


def dial_pattern(value: str) -> None:
    """A match pattern or a caller-ID pattern: `NXXNXXXXXX`, `1[2-9]XX.`, `911`, `+44.`."""
    _too_long(value)
    if not _PATTERN.fullmatch(value):
        raise ValidationError(
            "A pattern holds digits, X (0-9), Z (1-9), N (2-9), + * #, [ ] with digits and ranges "
            "such as [2-5], and may end with . (anything more).",
            code="dial_pattern",
        )


def dial_prefix(value: str) -> None:
    """What the caller dials first and is removed (`9`): a pattern of a fixed length."""
    _too_long(value)
    if value.endswith(".") or not _PATTERN.fullmatch(value):
        raise ValidationError(
            "A prefix holds digits, X, Z, N, + * # and [ ] sets, and has a fixed length (no .).",
            code="dial_prefix",
        )


def dial_prepend(value: str) -> None:
    """Digits added in front of the number sent to the trunk."""
    _too_long(value)
    if not _DIGITS.fullmatch(value):
        raise ValidationError("Digits and + * # only.", code="dial_prepend")


def pattern_length(value: str) -> int:
    """How many dialled characters a fixed-length pattern takes (`[2-5]` is one)."""
    return len(re.sub(r"\[[^\]]*\]", "D", value))


# A caller ID that reaches the dialplan text (a trunk's or a route's): `Name <number>` with a
# name of letters, digits, spaces and . ' - _ (no quotes: it is split into name and number here).
_DIALPLAN_NAME = r"[\w .'_-]{0,40}"
_DIALPLAN_CALLERID = re.compile(
    rf'(?:"({_DIALPLAN_NAME})"|({_DIALPLAN_NAME})) *<([0-9+*#]{{1,40}})>|([0-9+*#]{{1,40}})'
)


def split_callerid(value: str) -> tuple[str, str]:
    """(name, number) of a caller ID this module accepted; ("", "") for an empty one."""
    match = _DIALPLAN_CALLERID.fullmatch(value.strip(" "))
    if not value.strip(" ") or match is None:
        return "", ""
    name = (match.group(1) or match.group(2) or "").strip()
    return name, match.group(3) or match.group(4)


def dialplan_callerid(value: str) -> None:
    if len(value) > CALLERID_MAX_LENGTH or not _DIALPLAN_CALLERID.fullmatch(value.strip(" ")):
        raise ValidationError(
            'Write a caller ID as "Name" <number>, Name <number> or just the number; the name holds '
            "letters, digits, spaces and . ' - _ (at most 40).",
            code="callerid",
        )


# Put before an inbound caller's name (`Sales: `): it is written into the dialplan.
_CID_PREFIX = re.compile(r"[\w .:'_!#+-]{0,20}")


def cid_name_prefix(value: str) -> None:
    if not _CID_PREFIX.fullmatch(value):
        raise ValidationError(
            "Letters, digits, spaces and . : ' _ ! # + - only (at most 20).", code="cid_name_prefix"
        )


# A DID as the carrier sends it, or a pattern of them (`_5551XXX`, FreePBX's way).
_DID = re.compile(r"[0-9+*#]{1,40}|_" + _PATTERN.pattern)


def did(value: str) -> None:
    if not _DID.fullmatch(value) or len(value) > PATTERN_MAX_LENGTH + 1:
        raise ValidationError(
            "A DID is digits (and + * #), or a pattern starting with _ such as _5551XXX.", code="did"
        )


def inbound_cid(value: str) -> None:
    """The caller's number an inbound route wants: digits, or a pattern starting with _."""
    did(value)


# A route PIN: digits only (Authenticate() takes it).
_PIN = re.compile(r"[0-9]{4,12}")


def route_pin(value: str) -> None:
    if not _PIN.fullmatch(value):
        raise ValidationError("A route PIN is 4 to 12 digits.", code="pin")


# A route's name: a label in the dialplan comments and pages.
_ROUTE_NAME = re.compile(r"[\w .'_-]{1,50}")


def route_name(value: str) -> None:
    if not _ROUTE_NAME.fullmatch(value) or not value.strip():
        raise ValidationError("Letters, digits, spaces and . ' - _ only (at most 50).", code="route_name")
