"""What a user's call-feature fields may hold, and FreePBX's defaults for them.

The fields are on `directory.users.models.PbxUser`; their rules across fields (no forward to
oneself, the follow-me list's form) are `rules.py`'s.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models

# A forward target or a follow-me number: digits, with a leading + for an E.164 number.
# Nothing else reaches AstDB or the dialplan (a `,` `&` `$` or `(` would change a Dial()).
NUMBER = re.compile(r"\+?[0-9]{1,30}")
# FreePBX's findmefollow keeps the list as numbers joined by `-`; a number that is no user
# (an outside number, or one to reach through the dialplan) ends in `#`.
LIST_SEPARATOR = "-"
OUTSIDE = "#"
LIST_MAX = 20

# FreePBX's FOLLOWME_PRERING, FOLLOWME_TIME and FOLLOWME_RG_STRATEGY defaults.
PRERING_DEFAULT = 7
GRPTIME_DEFAULT = 20
PRERING_MAX = 60
GRPTIME_MAX = 120


class Strategy(models.TextChoices):
    """FreePBX's follow-me ring strategies that pbxadmin rings. `-prim`: when the user is busy
    (or in do not disturb) nobody on the list is rung either; without it the list still is."""

    RINGALLV2_PRIM = "ringallv2-prim", "Ring all, own phones keep ringing (not when busy)"
    RINGALLV2 = "ringallv2", "Ring all, own phones keep ringing"
    RINGALL_PRIM = "ringall-prim", "Ring all after own phones (not when busy)"
    RINGALL = "ringall", "Ring all after own phones"
    HUNT_PRIM = "hunt-prim", "In turn, after own phones (not when busy)"
    HUNT = "hunt", "In turn, after own phones"


STRATEGY_DEFAULT = Strategy.RINGALLV2_PRIM
# FreePBX strategies pbxadmin does not ring, read from a FreePBX file as the nearest it does.
STRATEGY_NEAREST = {
    "memoryhunt": Strategy.HUNT,
    "memoryhunt-prim": Strategy.HUNT_PRIM,
    "firstavailable": Strategy.HUNT_PRIM,
    "firstnotonphone": Strategy.HUNT_PRIM,
}


def forward_number(value: str) -> None:
    if value and not NUMBER.fullmatch(value):
        raise ValidationError(
            "Type a number: digits, with a leading + for an international one.", code="number"
        )


_ENTRY = re.compile(r"\+?[0-9]{1,30}#?")


def followme_list_format(value: str) -> None:
    """The stored form: `2003-0171234567#` (FreePBX's grplist), at most LIST_MAX numbers."""
    if not value:
        return
    entries = value.split(LIST_SEPARATOR)
    if len(entries) > LIST_MAX or not all(_ENTRY.fullmatch(e) for e in entries):
        raise ValidationError(
            f"Up to {LIST_MAX} numbers: digits, with a leading + for an international one.",
            code="followme_list",
        )


def split_list(text: str) -> list[str]:
    """The numbers of a follow-me list as typed on a page, in a CSV cell (`2003-0171234567#`) or
    sent as a list: one per line, or separated by `-`, `,`, `;` or spaces; empty entries dropped."""
    if isinstance(text, list | tuple):
        text = "\n".join(str(t) for t in text)
    return [e for e in re.split(r"[\s,;]+|-(?=[+0-9])", str(text).strip()) if e]


def shown_list(stored: str) -> list[str]:
    """The numbers as a person reads them (no `#`)."""
    return [e.rstrip(OUTSIDE) for e in stored.split(LIST_SEPARATOR) if e]
