"""Throttling per token (settings.PBXADMIN_API_RATE), not per address: many tools share one proxy.

A fixed window per clock period ("600/minute": at most 600 calls from 12:00:00
to 12:00:59), counted with one atomic increment, so parallel calls cannot both
read the same count and both pass. Redis increments atomically; the file cache
(no broker) does not, so there the count is taken under a lock shared by every
process on the machine.
"""

import contextlib
import fcntl
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The clock, a name of its own so a test can hold it still (a window may end mid-test).
_now = time.time


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/minute" -> (600, 60): calls allowed, and the window in seconds."""
    calls, _, period = rate.partition("/")
    return int(calls), _PERIODS[period[:1]]


@contextlib.contextmanager
def _counting():
    if isinstance(cache, RedisCache):
        yield
        return
    with open(settings.VAR_DIR / ".api-throttle.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _count_call(key: str, period: int) -> int:
    """This call's number in its window."""
    with _counting():
        for _ in range(3):
            cache.add(key, 0, timeout=period * 2)
            try:
                return cache.incr(key)
            except ValueError:  # expired between add and incr: start it again
                continue
    raise RuntimeError(f"could not count API calls in the cache ({key})")


class PerTokenThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        token = request.auth
        if token is None:
            return True  # unauthenticated requests are refused before they cost anything
        allowed, period = parse_rate(settings.PBXADMIN_API_RATE)  # per request: tests change it
        now = _now()
        # The hash, not the row id: ids restart with a fresh database, the cache may not.
        key = f"api-throttle:{token.secret_hash}:{int(now // period)}"
        if _count_call(key, period) <= allowed:
            return True
        self._wait = period - now % period
        return False

    def wait(self) -> float:
        return self._wait
