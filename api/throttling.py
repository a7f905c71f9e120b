"""Throttling per token (settings.PBXADMIN_API_RATE) and per person across all their tokens
(PBXADMIN_API_RATE_PER_PERSON: ten tokens are not ten allowances), not per address: many
tools share one proxy.

A fixed window per clock period ("600/minute": at most 600 calls from 12:00:00
to 12:00:59), counted with one atomic increment, so parallel calls cannot both
read the same count and both pass. Redis increments atomically; the file cache
(no broker) does not, so there the count is taken under a lock shared by every
process on the machine.
"""

import fcntl
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The clock, a name of its own so a test can hold it still (a window may end mid-test).
_now = time.time


@contextmanager
def _counting():
    """The file cache lives on this machine, so every process that counts in it is here:
    an exclusive flock on a file beside it is the lock they share."""
    with open(settings.VAR_DIR / ".api-throttle.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/minute" -> (600, 60): calls allowed, and the window in seconds."""
    calls, _, period = rate.partition("/")
    return int(calls), _PERIODS[period[:1]]


def _count_call(key: str, period: int) -> int:
    """This call's number in its window."""
    store = caches["default"]
    if isinstance(store, RedisCache):
        # INCR is atomic and keeps the key's expiry.
        store.add(key, 0, timeout=period * 2)
        return store.incr(key)
    # Other caches' incr is a get then a set, which also resets the expiry to the
    # default (5 minutes: an hourly window would restart): count under a lock.
    with _counting():
        calls = (store.get(key) or 0) + 1
        store.set(key, calls, timeout=period * 2)
        return calls


class _WindowThrottle(BaseThrottle):
    """Calls counted per clock window under a key of the caller; beyond the rate, refused."""

    def rate(self) -> str:
        raise NotImplementedError

    def key(self, token) -> str:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        token = request.auth
        if token is None:
            return True  # unauthenticated requests are refused before they cost anything
        allowed, period = parse_rate(self.rate())  # per request: tests change it
        now = _now()
        window = int(now // period)
        key = self.key(token)
        calls = _count_call(f"{key}:{window}", period)
        if calls == 1:
            # A new window: the last one's count is done with (the file cache keeps
            # expired entries until it culls, at random, live counts among them).
            caches["default"].delete(f"{key}:{window - 1}")
        if calls <= allowed:
            return True
        self._wait = period - now % period
        return False

    def wait(self) -> float:
        return self._wait


class PerTokenThrottle(_WindowThrottle):
    def rate(self) -> str:
        return settings.PBXADMIN_API_RATE

    def key(self, token) -> str:
        # The hash, not the row id: ids restart with a fresh database, the cache may not.
        return f"api-throttle:{token.secret_hash}"


class PerPersonThrottle(_WindowThrottle):
    def rate(self) -> str:
        return settings.PBXADMIN_API_RATE_PER_PERSON

    def key(self, token) -> str:
        # The id with when the account was made: a fresh database's person 1 is not the old one.
        user = token.user
        return f"api-throttle-person:{user.pk}:{user.date_joined.timestamp():.0f}"
