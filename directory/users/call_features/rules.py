"""Every rule of a user's call features.

The fields are saved by the user services like any other user field (`user_update`,
`extension_update`, the imports): those call `normalise` before checking a user and `check`
after, so a page, the API, a CSV file and a phone are judged alike.
"""

from django.core.exceptions import ValidationError

from directory.users.call_features.fields import LIST_SEPARATOR, OUTSIDE, split_list
from directory.users.models import PbxUser

# The three forwards, by the AstDB family FreePBX keeps each in (and the field that holds it).
FORWARDS = {"CF": "cf", "CFB": "cfb", "CFU": "cfu"}
FORWARD_WORDS = {"cf": "all calls", "cfb": "calls when busy", "cfu": "unanswered calls"}
# The fields the call features add to a user (the "Call features" section, the API's fields).
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
