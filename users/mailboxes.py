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
# FreePBX's voicemail form defaults: no attachment, no caller ID or envelope read out, keep messages.
DEFAULT_OPTIONS = "attach=no|saycid=no|envelope=no|delete=no"

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
    """`key=value` options separated by `|`, e.g. `attach=yes|saycid=no`."""
    if value == "":
        return
    if "=>" in value or not all(_OPTION.fullmatch(o) for o in value.split("|")):
        raise ValidationError(
            "Write options as key=value separated by | (for example attach=yes|saycid=no); "
            "values may not contain , ; = \\ [ ] or line breaks.",
            code="mailbox_options",
        )


def normalise_options(value: str) -> str:
    """Bulk files write options with `|` (pbxadmin, FreePBX's form) or `,` (some exports): keep `|`."""
    return "|".join(part.strip() for part in re.split(r"[|,]", value.strip()) if part.strip())


def mailbox_name(display_name: str) -> str:
    """The display name as a mailbox's full name: separators and comments become spaces."""
    return " ".join(re.sub(r"[,|;\\\[\]\x00-\x1f\x7f]|=>", " ", display_name).split())


def generate_pin(length: int = PIN_LENGTH) -> str:
    """A voicemail PIN from the CSPRNG: digits only, as phones type them."""
    return "".join(secrets.choice("0123456789") for _ in range(length))
