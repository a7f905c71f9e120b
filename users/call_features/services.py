"""Every rule of a user's call features, and what a phone's feature codes do.

The fields are saved by the user services like any other user field (`user_update`,
`extension_update`, the imports): those call `normalise` before checking a user and `check`
after, so a page, the API, a CSV file and a phone are judged alike. The phone's operations
below are `user_update` calls: the audit log, the outbox and the sync follow as for a page,
with the phone's device as the one who acted (audit.actors.phone).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from directory.users.models import PbxUser
from users.call_features.fields import LIST_SEPARATOR, OUTSIDE, split_list

# The three forwards, by the AstDB family FreePBX keeps each in (and the field that holds it).
FORWARDS = {"CF": "cf", "CFB": "cfb", "CFU": "cfu"}
FORWARD_WORDS = {"cf": "all calls", "cfb": "calls when busy", "cfu": "unanswered calls"}
# The fields this package adds to a user (the "Call features" section, the API's fields).
FIELDS = (
    "dnd",
    "cf",
    "cfb",
    "cfu",
    "followme",
    "followme_list",
    "followme_prering",
    "followme_grptime",
    "followme_strategy",
    "followme_confirm",
)


def normalise(user: PbxUser) -> None:
    """The follow-me list in its stored form (FreePBX's grplist: `2003-0171234567#`), whatever
    was typed: one number a line, a list, or a CSV cell. Duplicates go; the user's own number
    never carries `#` (FreePBX's rule: the user's own phones are rung directly)."""
    entries: list[str] = []
    for entry in split_list(user.followme_list or ""):
        if entry.rstrip(OUTSIDE) == user.extension:
            entry = user.extension
        if entry not in entries:
            entries.append(entry)
    user.followme_list = LIST_SEPARATOR.join(entries)


def check(user: PbxUser) -> None:
    """The rules across fields; every problem at once."""
    errors: dict[str, str] = {}
    for field, words in FORWARD_WORDS.items():
        if getattr(user, field) and getattr(user, field) == user.extension:
            errors[field] = f"Forwarding {words} to {user.extension} itself would never ring: leave it empty."
    if user.followme and not user.followme_list:
        errors["followme_list"] = "Follow me needs at least one number to ring."
    if errors:
        raise ValidationError(errors)


def forward_context(settings: dict | None) -> str:
    """The context an outside forward or follow-me number is dialled in: the one the user's own
    phone dials from (its endpoint's `context`), so a forward reaches only what the user could
    dial; `from-internal` (the devices' default) for a user with no phone of their own."""
    return (settings or {}).get("context") or "from-internal"


# --- What the phone's feature codes do (FastAGI: users/call_features/agi.py) ----------------


def _update(user: PbxUser, **fields) -> PbxUser:
    from directory.users.services import user_update  # the user service imports this module's rules

    return user_update(user=user, **fields)


def dnd_set(*, user: PbxUser, on: bool) -> PbxUser:
    """*78 / *79."""
    return _update(user, dnd=on)


@transaction.atomic
def dnd_toggle(*, user: PbxUser) -> PbxUser:
    """*76: read and flip under the row's lock, so two presses never cancel out."""
    current = PbxUser.objects.select_for_update().get(pk=user.pk)
    return _update(current, dnd=not current.dnd)


def forward_set(*, user: PbxUser, field: str, number: str) -> PbxUser:
    """*72<number>, *90<number>, *52<number> (and their questions); an empty number ends it
    (*73, *91, *53). Raises ValidationError for a number the rules refuse."""
    if field not in FORWARD_WORDS:
        raise ValueError(f"no forward {field!r}")
    return _update(user, **{field: number})


def callwaiting_set(*, user: PbxUser, on: bool) -> PbxUser:
    """*70 / *71."""
    return _update(user, callwaiting=on)


@transaction.atomic
def followme_toggle(*, user: PbxUser) -> PbxUser:
    """*21: follow me on or off. A user with no follow-me list has nothing to turn on
    (ValidationError), as in FreePBX, where *21 does nothing without a follow-me."""
    current = PbxUser.objects.select_for_update().get(pk=user.pk)
    return _update(current, followme=not current.followme)
