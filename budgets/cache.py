"""A user's budget figures, kept between their writes.

The figures of all of a user's budgets come from one aggregate statement (budgets.spending):
~1-5 ms for a ledger of a few thousand rows, but ~100 ms at a million, over the 30 ms a
budgets page may take. Reads outnumber writes by far, so the result is kept in the cache,
valid while the user's *generation* (a random token) is the one it was computed under:
- every write that can move a figure replaces the token: the `transactions_changed`
  receiver (any ledger or ingest write, once per call or batch, after commit) and every
  budget service (after commit);
- the token is read before the statement runs, so figures computed while a write committed
  are stored under the token that write replaced, and never served (no lost update);
- a random token, not a counter: an evicted counter restarting at 1 could meet old figures.
A category moved under another parent sends no signal: its budgets' figures follow within
BUDGETS_SPENDING_CACHE_SECONDS (the figures' lifetime). 0 turns the cache off: every read
runs the statement. Why and the measurements: docs/decisions/budgets-spending-cache.md."""

import datetime
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")
GENERATION_SECONDS = 7 * 24 * 3600


def _generation_key(user_id) -> str:
    return f"budgets:generation:{user_id}"


def _figures_key(user_id) -> str:
    return f"budgets:figures:{user_id}"


def remember(*, user_id, today: datetime.date, compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned under the user's current generation on `today`."""
    seconds = settings.BUDGETS_SPENDING_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    generation_key, figures_key = _generation_key(user_id), _figures_key(user_id)
    found = cache.get_many([generation_key, figures_key])
    generation = found.get(generation_key)
    if generation is None:
        cache.add(generation_key, uuid.uuid4().hex, GENERATION_SECONDS)
        generation = cache.get(generation_key)
    stored = found.get(figures_key)
    if stored is not None and stored[0] == generation and stored[1] == today:
        return stored[2]
    value = compute()
    cache.set(figures_key, (generation, today, value), seconds)
    return value


def forget(*, user_id) -> None:
    """The user's figures may have moved: whatever was kept is not served again."""
    if settings.BUDGETS_SPENDING_CACHE_SECONDS > 0:
        cache.set(_generation_key(user_id), uuid.uuid4().hex, GENERATION_SECONDS)
