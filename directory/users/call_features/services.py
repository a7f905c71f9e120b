"""What a phone's feature codes do (FastAGI: asterisk/call_features/agi.py).

Each operation is a `user_update` call: the rules (`rules.py`), the audit log, the outbox and
the sync follow as for a page, with the phone's device as the one who acted
(audit.actors.phone).
"""

from django.db import transaction

from directory.users.call_features.rules import FORWARD_WORDS
from directory.users.models import PbxUser
from directory.users.services import user_update


def dnd_set(*, user: PbxUser, on: bool) -> PbxUser:
    """*78 / *79."""
    return user_update(user=user, dnd=on)


@transaction.atomic
def dnd_toggle(*, user: PbxUser) -> PbxUser:
    """*76: read and flip under the row's lock, so two presses never cancel out."""
    current = PbxUser.objects.select_for_update().get(pk=user.pk)
    return user_update(user=current, dnd=not current.dnd)


def forward_set(*, user: PbxUser, field: str, number: str) -> PbxUser:
    """*72<number>, *90<number>, *52<number> (and their questions); an empty number ends it
    (*73, *91, *53). Raises ValidationError for a number the rules refuse."""
    if field not in FORWARD_WORDS:
        raise ValueError(f"no forward {field!r}")
    return user_update(user=user, **{field: number})


def callwaiting_set(*, user: PbxUser, on: bool) -> PbxUser:
    """*70 / *71."""
    return user_update(user=user, callwaiting=on)


@transaction.atomic
def followme_toggle(*, user: PbxUser) -> PbxUser:
    """*21: follow me on or off. A user with no follow-me list has nothing to turn on
    (ValidationError), as in FreePBX, where *21 does nothing without a follow-me."""
    current = PbxUser.objects.select_for_update().get(pk=user.pk)
    return user_update(user=current, followme=not current.followme)
