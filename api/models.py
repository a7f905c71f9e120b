"""Per-person API tokens: only a hash is kept; the token itself is shown once, when it is made."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. HR onboarding.")
    # The token's first characters, kept in clear so a person can tell their tokens apart
    # (and the audit log can say which one acted); far too short to guess the rest from.
    prefix = models.CharField(max_length=12, unique=True)
    # SHA-256 of the whole token. Tokens are 256 random bits: a fast hash is enough (no
    # password stretching is needed against a search space that large), and it keeps
    # every API call to one indexed lookup.
    secret_hash = models.CharField(max_length=64, unique=True)
    # Who made it: its owner, or an administrator who made it for them. A token acts as its
    # owner; the audit log also names who made it when that was someone else.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name} ({self.user.get_username()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
