"""Throttling per token (settings.PBXADMIN_API_RATE), not per address: many tools share one proxy."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class PerTokenThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self) -> str:
        # Read per request, not at import: an installation (or a test) may change it.
        return settings.PBXADMIN_API_RATE

    def get_cache_key(self, request, view):
        token = request.auth
        if token is None:
            return None  # unauthenticated requests are refused before they cost anything
        # The hash, not the row id: ids restart with a fresh database, the cache may not.
        return f"api-throttle:{token.secret_hash}"
