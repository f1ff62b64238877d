"""The transaction list's cached totals in Redis: one hash per user, one field per filter.

A count costs far more than the page it heads (decision 0002), and a client paging through
one filter asks the same total again and again. Every ledger write drops
the user's hash after it commits (`selectors.transaction_counts_forget`: the services, and the
transactions_changed receiver for writers in other apps), so a total is kept until the ledger changes, with three guards:

- A count that a write overtook is not stored. The hash carries an epoch, made with it; a
  count is stored only if the epoch it read before counting is still there. A write that
  committed meanwhile has deleted the hash (after its commit, so after the count's snapshot
  may have missed it), and the count is answered once but not kept.
- Totals go stale after FRESH_SECONDS, for writers that send no signal. A stale total is still
  answered while one request counts afresh; only that request waits for the database.
- One count per filter at a time. When a total is missing, the first request counts and the
  others wait for its answer (polling the field), instead of all running the same count at
  once.

A field's value is "<count>:<unix time counted>". The field is read within the list's throttle
round trip (core.throttling `redis_prefetch`), so a fresh total costs no request of its own."""

import functools
import time
import uuid
from collections.abc import Callable

EPOCH_FIELD = "~epoch"  # never a filter signature (hex)
FRESH_SECONDS = 300
# A user's hash outlives its freshness so a stale total can be answered while it is refreshed;
# this bounds the memory of users who stopped asking.
HASH_SECONDS = 3600
MAX_FILTERS = 64
# How long a count may hold its filter's claim, and how often a waiting request looks for it.
CLAIM_MILLISECONDS = 5000
POLL_SECONDS = 0.01

# -> {epoch, 1 if this request claimed the filter's count else 0}
CLAIM_LUA = """
local epoch = redis.call('HGET', KEYS[1], ARGV[1])
if not epoch then
    epoch = ARGV[2]
    redis.call('HSET', KEYS[1], ARGV[1], epoch)
    redis.call('EXPIRE', KEYS[1], ARGV[4])
end
if redis.call('SET', KEYS[2], ARGV[5], 'NX', 'PX', ARGV[3]) then
    return {epoch, 1}
end
return {epoch, 0}
"""
# Releases the claim (if still this request's) and stores the value if the epoch is unchanged.
STORE_LUA = """
if redis.call('GET', KEYS[2]) == ARGV[6] then
    redis.call('DEL', KEYS[2])
end
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
    return 0
end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[7]) then
    redis.call('DEL', KEYS[1])
end
return 1
"""
# Releases the claim if it is still this request's.
RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1])
end
"""


def parse(value: bytes | str | None) -> tuple[int, float] | None:
    """A stored field -> (count, when counted); None for a missing or unreadable one."""
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    count, _, counted_at = text.partition(":")
    try:
        return int(count), float(counted_at or 0)
    except ValueError:
        return None


def fresh(value: bytes | str | None) -> int | None:
    """The count in a stored field, if it is fresh."""
    stored = parse(value)
    return stored[0] if _is_fresh(stored) else None


def _is_fresh(stored: tuple[int, float] | None) -> bool:
    return stored is not None and time.time() - stored[1] < FRESH_SECONDS


def count(client, *, key: str, field: str, counter: Callable[[], int], cached: bytes | str | None = None) -> int:
    """The total for `field` in the user's hash `key`; `cached` is the field as the caller
    already read it (None: not read, or missing). `counter` runs the COUNT."""
    stored = parse(cached) if cached is not None else parse(client.hget(key, field))
    if _is_fresh(stored):
        return stored[0]
    claim_lua, store_lua = _registered(client)
    token, lock = uuid.uuid4().hex, f"{key}:counting:{field}"
    epoch, claimed = claim_lua(keys=[key, lock], args=[EPOCH_FIELD, uuid.uuid4().hex, CLAIM_MILLISECONDS, HASH_SECONDS, token])
    if not claimed:
        if stored is not None:
            return stored[0]  # stale, and another request is counting afresh
        waited = _wait_for(client, key=key, field=field, lock=lock)
        if waited is not None:
            return waited
    try:
        value = counter()
    except BaseException:
        # A failed count (a statement timeout, a dropped connection) hands the claim back at
        # once: the requests waiting on it count for themselves instead of waiting it out.
        client.eval(RELEASE_LUA, 1, lock, token)
        raise
    store_lua(
        keys=[key, lock],
        args=[EPOCH_FIELD, epoch, field, f"{value}:{time.time():.0f}", HASH_SECONDS, token, MAX_FILTERS + 1],
    )
    return value


def _wait_for(client, *, key: str, field: str, lock: str) -> int | None:
    """The value another request is counting, once it is stored; None if its claim ends
    without one (its count was overtaken by a write, or it failed): the caller counts."""
    deadline = time.monotonic() + CLAIM_MILLISECONDS / 1000
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        with client.pipeline(transaction=False) as pipeline:
            value, counting = pipeline.hget(key, field).exists(lock).execute()
        stored = parse(value)
        if stored is not None:
            return stored[0]
        if not counting:
            return None
    return None


@functools.cache
def _registered(client) -> tuple:
    return client.register_script(CLAIM_LUA), client.register_script(STORE_LUA)
