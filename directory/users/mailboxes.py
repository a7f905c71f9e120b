"""Mailboxes (FreePBX's Voicemail module): what a user's mailbox fields may hold, and its PIN.

A mailbox is one line of voicemail.conf: `2001 => pin,full name,email,pager email,options`.
Commas separate the fields and `|` the options, so neither may appear inside a
field; `;` starts a comment. The e-mail and options fields are typed for the
mailbox alone and are refused when they hold any of these. The full name is
the user's display name, which may legitimately hold a comma (`O'Brien, Pat`):
it is written with those characters turned into spaces instead (`mailbox_name`).
"""

import re
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

PIN_LENGTH = 6
# No options by default, as FreePBX's import writes a mailbox: voicemail.conf's [general]
# (attach, saycid, envelope, delete…) then decides, so one change there applies to everyone.
DEFAULT_OPTIONS = ""
# The four options FreePBX's voicemail form offers as yes/no choices, in the order it writes them.
FREEPBX_OPTIONS = ("attach", "saycid", "envelope", "delete")
# app_voicemail's per-mailbox options that take yes or no: anything else there is a typo
# that app_voicemail would read as no.
YES_NO_OPTIONS = frozenset(
    {
        *FREEPBX_OPTIONS,
        "forcegreetings",
        "forcename",
        "hidefromdir",
        "messagewrap",
        "moveheard",
        "nextaftercmd",
        "operator",
        "review",
        "sayduration",
        "sendvoicemail",
        "tempgreetwarn",
    }
)

_email = EmailValidator("Enter an e-mail address such as ana@example.com.")
# What would break the mailbox line: the field and option separators, a comment,
# an escape, `=>`, and every control character (CR, LF, NUL included).
_STRUCTURE = re.compile(r"[,|;\\\[\]\x00-\x1f\x7f]|=>")
_OPTION = re.compile(r"[a-z][a-z0-9_]{0,31}=[^,|;=\\\[\]\x00-\x1f\x7f]{0,80}")


def _no_structure(value: str, what: str) -> None:
    if _STRUCTURE.search(value):
        raise ValidationError(
            f"{what} may not contain , | ; \\ [ ] => or line breaks: they would change voicemail.conf.",
            code="mailbox_structure",
        )


def mailbox_email(value: str) -> None:
    """One e-mail address, safe in a mailbox line."""
    _no_structure(value, "An e-mail address")
    _email(value)


def mailbox_options(value: str) -> None:
    """`key=value` options separated by `|`, e.g. `attach=yes|saycid=no`: each option once,
    yes or no for those that take yes or no."""
    if value == "":
        return
    if "=>" in value or not all(_OPTION.fullmatch(o) for o in value.split("|")):
        raise ValidationError(
            "Write options as key=value separated by | (for example attach=yes|saycid=no); "
            "values may not contain , ; = \\ [ ] or line breaks.",
            code="mailbox_options",
        )
    problems = []
    seen = set()
    for option in value.split("|"):
        key, _, setting = option.partition("=")
        if key in seen:
            problems.append(f"{key} is given twice.")
        seen.add(key)
        if key in YES_NO_OPTIONS and setting not in ("yes", "no"):
            problems.append(f"{key} takes yes or no" + (f", not {setting}." if setting else "."))
    if problems:
        raise ValidationError(problems, code="mailbox_options")


def split_options(value: str) -> tuple[dict[str, str], str]:
    """FreePBX's four options (as far as set to yes or no) and the others, as a page shows them apart."""
    four, others = {}, []
    for option in filter(None, value.split("|")):
        key, _, setting = option.partition("=")
        if key in FREEPBX_OPTIONS and key not in four and setting in ("yes", "no"):
            four[key] = setting
        else:
            others.append(option)
    return four, "|".join(others)


def join_options(four: dict[str, str], others: str) -> str:
    """The inverse of split_options: FreePBX's four first, in its order, then the others as typed."""
    chosen = [f"{key}={four[key]}" for key in FREEPBX_OPTIONS if four.get(key)]
    return "|".join([*chosen, *filter(None, others.split("|"))])


def normalise_options(value: str) -> str:
    """Bulk files write options with `|` (pbxadmin, FreePBX's form) or `,` (some exports): keep `|`."""
    return "|".join(part.strip() for part in re.split(r"[|,]", value.strip()) if part.strip())


def mailbox_name(display_name: str) -> str:
    """The display name as a mailbox's full name: separators and comments become spaces."""
    return " ".join(re.sub(r"[,|;\\\[\]\x00-\x1f\x7f]|=>", " ", display_name).split())


def generate_pin(length: int = PIN_LENGTH) -> str:
    """A voicemail PIN from the CSPRNG: digits only, as phones type them."""
    return "".join(secrets.choice("0123456789") for _ in range(length))
