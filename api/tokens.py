"""Making, revoking and checking API tokens (the API tokens page and the API's authentication)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from audit import trail
from directory.validators import no_control_characters

# Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "pbx_"  # noqa: S105 (a marker, not a secret)
# Characters after TOKEN_PREFIX kept in clear (ApiToken.prefix).
SHOWN = 8
# last_used_at is written at most this often per token: not one UPDATE per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def token_create(*, user, name: str, created_by=None) -> tuple[ApiToken, str]:
    """A new token for `user`, made by `created_by` (`user` when not given): the row (hash
    only) and the token itself, to show once."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Say what the token is for."})
    try:
        no_control_characters(name)
    except ValidationError as e:
        raise ValidationError({"name": e.error_list}) from None
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationError({"name": "At most 80 characters."})
    # The person's row locked: two tokens made at once are counted one after the other.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    limit = settings.PBXADMIN_API_TOKENS_PER_PERSON
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= limit:
        raise ValidationError(
            f"{user.get_username()} has {limit} active API tokens, the most one person may hold "
            "(PBXADMIN_API_TOKENS_PER_PERSON): revoke one first."
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + SHOWN],
        secret_hash=hash_token(raw),
        created_by=created_by or user,
    )
    trail.created(token)
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken) -> ApiToken:
    """Stop a token from working, at once and for good (the row stays, for the record)."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        before = trail.snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        trail.changed(before, token)
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token whose hash matches, with its user; None for anything else."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user", "created_by")
        .filter(secret_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
