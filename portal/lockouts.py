"""Locked-out logins (django-axes keeps the failed attempts): list them and lift one."""

import logging

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit import trail
from audit.models import Action, ObjectType

log = logging.getLogger(__name__)


def lockout_list() -> QuerySet[AccessAttempt]:
    """Account and address pairs refused now: failures at the limit, cool-off not over."""
    attempts = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gt=timezone.now() - cool_off)
    return attempts.order_by("-attempt_time")


@transaction.atomic
def lockout_clear(*, attempt_id: int, cleared_by) -> bool:
    """Let this account log in from this address again (on the record). False when it was not
    locked (any more)."""
    attempt = AccessAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        return False
    attempt.delete()
    trail.record(
        action=Action.UNLOCKED,
        kind=ObjectType.PERSON,
        ref=attempt.username or "",
        label=f"{attempt.username} from {attempt.ip_address}",
        changes={"failed attempts": [attempt.failures_since_start, 0]},
    )
    log.info("login lock-out of %r from %s lifted by %s", attempt.username, attempt.ip_address, cleared_by)
    return True
