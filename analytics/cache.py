"""Dashboard results cached per user and query (Redis in production, local memory on the
embedded default). Invalidation is one versioned key per user: a ledger write for that user
replaces the version, so every cached answer of that user (and only that user) is orphaned at
once, without scanning keys. An answer computed while a write commits is stored under the old
version and never read again."""

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction


def _version_key(user_id) -> str:
    return f"analytics:version:{user_id}"


def user_version(user_id) -> str:
    key = _version_key(user_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return version


def cached_for_user(*, user_id, name: str, params: dict[str, Any], compute: Callable[[], Any]) -> Any:
    """`compute()` once per (user, name, params) until the user's ledger changes."""
    signature = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:20]
    key = f"analytics:{user_id}:{user_version(user_id)}:{name}:{signature}"
    value = cache.get(key)
    if value is None:
        value = _computed(compute)
        cache.set(key, value, timeout=settings.ANALYTICS_CACHE_SECONDS)
    return value


def _computed(compute: Callable[[], Any]) -> Any:
    """On PostgreSQL, without JIT compilation: an aggregate over a year of a big ledger costs
    enough for the planner to JIT it, and compiling took 100-380 ms of a ~500 ms query here
    (2 cores; measured in docs/performance.md). `SET LOCAL` keeps it to this transaction."""
    if connection.vendor != "postgresql" or not settings.ANALYTICS_JIT_OFF:
        return compute()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        return compute()


def user_cache_forget(*, user_id) -> None:
    """Drop every cached dashboard answer of this user (and no one else's)."""
    cache.set(_version_key(user_id), uuid.uuid4().hex, timeout=None)
