"""The call features' feature codes, on the FastAGI service that hot desking uses (`manage.py
fastagi`): the dialplan's `sub-callfeature` asks `call-feature` with the feature and any digits
dialled after the code.

Why here and not in the dialplan: the change is the database's first (one truth, which a sync
never undoes), through the same services and rules as the pages, and the audit log names the
phone's device. The phone is known by its channel (`agi_channel`, what Asterisk authenticated),
never by its caller ID; the user is whoever is on that device now (FreePBX's AMPUSER). Every
number a phone sends is checked by the services' rules before anything is saved or said back.
"""

import logging

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError

from asterisk import prompts
from asterisk.hotdesk_agi import Session, _ask_digits, _say
from directory.users.call_features import services
from directory.users.models import PbxUser

log = logging.getLogger(__name__)

# What each forward is called, in FreePBX's words.
_FORWARD_PROMPTS = {
    "cf": prompts.FORWARD_ALL,
    "cfb": prompts.FORWARD_BUSY,
    "cfu": prompts.FORWARD_NO_ANSWER,
}
NUMBER_TRIES = 2


def _user_on(device) -> PbxUser | None:
    """Who is on the calling device now (read again: a login may have moved it)."""
    user_id = type(device).objects.filter(pk=device.pk).values_list("user_id", flat=True).first()
    return PbxUser.objects.filter(pk=user_id).first() if user_id else None


async def _on_off(request: Session, what: str, on: bool) -> None:
    await _say(request, what, prompts.ACTIVATED if on else prompts.DEACTIVATED)


async def _own_number_only(request: Session, user: PbxUser, digits: str) -> bool:
    """`*76<ext>` / `*21<ext>` (a BLF key pressed) toggle the caller's own feature only."""
    if digits and digits != user.extension:
        await _say(request, prompts.INVALID)
        return False
    return True


async def _forward_on(request: Session, user: PbxUser, field: str, digits: str) -> PbxUser | None:
    number = digits
    for _ in range(NUMBER_TRIES):
        if number:
            break
        number = await _ask_digits(request, prompts.ASK_NUMBER, 20)
    if not number:
        await _say(request, prompts.GOODBYE)
        return None
    try:
        user = await sync_to_async(services.forward_set)(user=user, field=field, number=number)
    except ValidationError:
        await _say(request, prompts.INVALID)
        return None
    # "Call forwarding unconditional for extension 2001 is set to 2003", as FreePBX says it.
    await _say(request, _FORWARD_PROMPTS[field], prompts.FOR, prompts.EXTENSION)
    await request.send_command(f'SAY DIGITS {user.extension} ""')
    await _say(request, prompts.IS_SET_TO)
    await request.send_command(f'SAY DIGITS {number} ""')
    return user


async def _run(request: Session, user: PbxUser, feature: str, digits: str) -> PbxUser | None:
    """Do `feature` for `user`; the prompts say what happened. None: nothing changed."""
    if feature in ("dnd-on", "dnd-off"):
        user = await sync_to_async(services.dnd_set)(user=user, on=feature == "dnd-on")
        await _on_off(request, prompts.DND, user.dnd)
    elif feature == "dnd-toggle":
        if not await _own_number_only(request, user, digits):
            return None
        user = await sync_to_async(services.dnd_toggle)(user=user)
        await _on_off(request, prompts.DND, user.dnd)
    elif feature in ("cf-on", "cfb-on", "cfu-on"):
        return await _forward_on(request, user, feature.partition("-")[0], digits)
    elif feature in ("cf-off", "cfb-off", "cfu-off"):
        field = feature.partition("-")[0]
        user = await sync_to_async(services.forward_set)(user=user, field=field, number="")
        await _say(request, _FORWARD_PROMPTS[field], prompts.DEACTIVATED)
    elif feature in ("cw-on", "cw-off"):
        user = await sync_to_async(services.callwaiting_set)(user=user, on=feature == "cw-on")
        await _on_off(request, prompts.CALL_WAITING, user.callwaiting)
    elif feature == "followme-toggle":
        if not await _own_number_only(request, user, digits):
            return None
        try:
            user = await sync_to_async(services.followme_toggle)(user=user)
        except ValidationError:
            await _say(request, prompts.INVALID)  # no follow-me list to turn on
            return None
        await _say(request, prompts.ACTIVATED if user.followme else prompts.DEACTIVATED)
    else:
        log.warning("call feature: unknown feature %r", feature)
        await _say(request, prompts.INVALID)
        return None
    return user


async def call_feature(request: Session) -> None:
    """The `call-feature` route: argument 1 the feature (`dnd-on`, `cf-on`…), 2 the digits."""
    feature = request.headers.get("agi_arg_1", "").strip()
    digits = request.headers.get("agi_arg_2", "").strip()
    channel = request.headers.get("agi_channel", "")
    device = request.device
    if device is None:
        log.warning("call feature %s refused: channel %r is no device of the portal", feature, channel)
        await _say(request, prompts.INVALID)
        return
    user = await sync_to_async(_user_on)(device)
    if user is None:
        # An adhoc phone nobody is logged into has no user to change: log in with *11 first.
        await _say(request, prompts.SORRY, prompts.GOODBYE)
        return
    if await _run(request, user, feature, digits) is not None:
        log.info(
            "call feature %s for user %s from device %s (channel %r)", feature, user.pk, device.id, channel
        )


def add_routes(app) -> None:
    app.add_route("call-feature", call_feature)
