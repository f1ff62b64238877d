"""DRF throttles whose rates are read from settings.THROTTLE_RATES on every request.

DRF's own classes copy the rates at import time, so neither tests nor a settings reload could
change them. They also keep a list of every request's timestamp per client in the cache and
read and rewrite the whole list on every request: at a few hundred requests a second that is
tens of thousands of pickled floats per request, and two cache operations, each of which
Django's RedisCache serves with a freshly built redis-py client. Here a client costs one
round trip (a Lua script) on a client kept for the process: two per-window counters, weighted into
a sliding estimate (the previous window counts for the part of it the sliding window still
covers), so a burst across a window boundary is limited like one inside a window."""

import contextlib
import functools
import math

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework import throttling


@functools.cache
def shared_redis_client():
    """A redis-py client over the default cache's connection pool, made once per process,
    or None when the default cache is not Redis. For hot paths that would otherwise pay for
    Django's per-operation client; keys must come from `cache.make_and_validate_key` so
    `cache.delete()` and `cache.clear()` still reach them. Thread-safe (the pool is), and
    fork-safe (redis-py's pool notices a new pid)."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


class _WindowCounterThrottle(throttling.SimpleRateThrottle):
    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        window, into = divmod(self.timer(), self.duration)
        fraction = into / self.duration
        current_key, previous_key = f"{self.key}:{int(window)}", f"{self.key}:{int(window) - 1}"
        ride_along = _ride_along(request, view)
        current, previous, fetched = _count_and_peek(current_key, previous_key, ttl=2 * self.duration, ride_along=ride_along)
        if ride_along is not None:
            request.redis_prefetched = {ride_along: fetched}
        if previous * (1 - fraction) + current <= self.num_requests:
            return True
        # Like DRF, a refused request is not counted: a client that keeps knocking is let in
        # again when its accepted requests age out.
        _uncount(current_key)
        self.wait_seconds = self._seconds_until_allowed(current - 1, previous, fraction)
        return False

    def _seconds_until_allowed(self, current: int, previous: int, fraction: float) -> float:
        limit = self.num_requests
        if limit < 1:
            return self.duration
        if current + 1 <= limit and previous > 0:
            # Later in this window, once enough of the previous one has slid out.
            needed = 1 - (limit - current - 1) / previous
            return max(needed - fraction, 0) * self.duration
        later = max(1 - (limit - 1) / current, 0) if current > 0 else 0
        return (1 - fraction + later) * self.duration

    def wait(self):
        return math.ceil(getattr(self, "wait_seconds", 0)) or 1


# One round trip, one command: count this request in the current window, keep the window for
# two periods, and read the previous window's count. (A three-command pipeline did the same in
# one round trip at more client CPU: redis-py packs and parses each command in Python.)
# A view may have one hash field read in the same round trip (`redis_prefetch`, below). One
# Redis, not a cluster: the keys need not share a slot.
COUNT_AND_PEEK_LUA = """
local current = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if KEYS[3] then
    return {current, previous, redis.call('HGET', KEYS[3], ARGV[2])}
end
return {current, previous}
"""


@functools.cache
def _count_and_peek_script():
    client = shared_redis_client()
    return None if client is None else client.register_script(COUNT_AND_PEEK_LUA)


def _ride_along(request, view) -> tuple[str, str] | None:
    """The (hash key, field) the view wants read with the throttle's round trip: a view defines
    `redis_prefetch(request)` and finds the value in `request.redis_prefetched[(key, field)]`
    (None when the field is missing). Only with Redis, and only for a request the throttle
    counts."""
    prefetch = getattr(view, "redis_prefetch", None)
    if prefetch is None or not settings.THROTTLE_PREFETCH or _count_and_peek_script() is None:
        return None
    return prefetch(request)


def _count_and_peek(current_key: str, previous_key: str, *, ttl: int, ride_along=None) -> tuple[int, int, str | None]:
    script = _count_and_peek_script()
    if script is not None:
        keys = [cache.make_and_validate_key(current_key), cache.make_and_validate_key(previous_key)]
        args = [ttl]
        if ride_along is not None:
            keys.append(ride_along[0])
            args.append(ride_along[1])
        current, previous, *fetched = script(keys=keys, args=args)
        return int(current), int(previous), (fetched[0] if fetched else None)
    cache.add(current_key, 0, ttl)
    try:
        current = cache.incr(current_key)
    except ValueError:  # expired between add and incr
        cache.set(current_key, 1, ttl)
        current = 1
    return current, int(cache.get(previous_key) or 0), None


def _uncount(current_key: str) -> None:
    client = shared_redis_client()
    if client is not None:
        client.decr(cache.make_and_validate_key(current_key))
        return
    with contextlib.suppress(ValueError):  # the window expired meanwhile
        cache.decr(current_key)


class AnonymousRateThrottle(_WindowCounterThrottle, throttling.AnonRateThrottle):
    scope = "anon"


class UserRateThrottle(_WindowCounterThrottle, throttling.UserRateThrottle):
    scope = "user"
