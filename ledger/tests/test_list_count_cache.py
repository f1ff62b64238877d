"""The list's total is cached per user and filter, dropped on every write, and (with Redis)
read in the same round trip as the throttle's counters."""

import threading
import time

import pytest
from django.core.cache import cache

from core.throttling import shared_redis_client
from ledger import count_cache, selectors
from ledger.tests.factories import TransactionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_paths_on")]
URL = "/api/v1/transactions/"


def test_the_cached_total_follows_every_write(auth_client, user):
    rows = TransactionFactory.create_batch(3, user=user)
    assert auth_client.get(URL).json()["count"] == 3
    assert auth_client.get(URL, {"limit": 1}).json()["count"] == 3  # the same filter, from the cache
    created = auth_client.post(URL, {"date": "2024-03-01", "amount": "-4.10", "merchant_raw": "KIOSK", "category": "coffee"})
    assert created.status_code == 201
    assert auth_client.get(URL).json()["count"] == 4
    assert auth_client.delete(f"{URL}{rows[0].pk}/").status_code == 204
    assert auth_client.get(URL).json()["count"] == 3
    assert auth_client.get(URL, {"limit": 1}).json()["count"] == 3


@pytest.mark.redis
def test_a_cached_total_rides_on_the_throttle_round_trip(auth_client, user, monkeypatch):
    TransactionFactory.create_batch(2, user=user)
    assert auth_client.get(URL).json()["count"] == 2  # a miss: counted and cached
    client = shared_redis_client()
    reads = []
    original = client.hget
    monkeypatch.setattr(client, "hget", lambda *args: reads.append(args) or original(*args))
    response = auth_client.get(URL)
    assert response.json()["count"] == 2
    assert reads == []  # no separate HGET: the throttle's script read it


@pytest.mark.redis
def test_without_a_throttle_the_total_is_read_on_its_own(auth_client, user, settings, monkeypatch):
    settings.THROTTLE_RATES = {"anon": None, "user": None}
    TransactionFactory.create_batch(2, user=user)
    assert auth_client.get(URL).json()["count"] == 2
    client = shared_redis_client()
    reads = []
    original = client.hget
    monkeypatch.setattr(client, "hget", lambda *args: reads.append(args) or original(*args))
    assert auth_client.get(URL).json()["count"] == 2
    assert len(reads) == 1


@pytest.mark.redis
def test_a_count_that_a_write_overtook_is_not_kept(auth_client, user, monkeypatch):
    """A write that commits (and drops the counts) while a request is counting: the request's
    count may predate it, so it is answered once but never cached."""

    TransactionFactory.create_batch(2, user=user)
    original = selectors._count_of

    def count_then_a_write_lands(queryset):
        value = original(queryset)  # 2: counted before the write
        TransactionFactory(user=user)
        selectors.transaction_counts_forget(user_id=user.pk)  # the write's after-commit forget
        return value

    monkeypatch.setattr(selectors, "_count_of", count_then_a_write_lands)
    assert auth_client.get(URL).json()["count"] == 2
    monkeypatch.setattr(selectors, "_count_of", original)
    assert auth_client.get(URL).json()["count"] == 3  # recounted, not the overtaken 2
    assert auth_client.get(URL).json()["count"] == 3


def _hash_and_field(user, filters=None):
    return cache.make_and_validate_key(selectors._count_cache_key(user.pk)), selectors._filter_signature(filters or {})


def _counts_refused(monkeypatch):
    def refuse(queryset):
        raise AssertionError("counted, where the cached total was to be answered")

    monkeypatch.setattr(selectors, "_count_of", refuse)


@pytest.mark.redis
def test_a_stale_total_is_answered_while_another_request_counts_afresh(auth_client, user, monkeypatch):
    TransactionFactory.create_batch(2, user=user)
    assert auth_client.get(URL).json()["count"] == 2
    client = shared_redis_client()
    key, field = _hash_and_field(user)
    stale_since = time.time() - count_cache.FRESH_SECONDS - 1
    client.hset(key, field, f"7:{stale_since:.0f}")  # a total counted long ago (by a writer that sent no signal)
    client.set(f"{key}:counting:{field}", "another request", px=5000)
    with monkeypatch.context() as patched:
        _counts_refused(patched)
        assert auth_client.get(URL).json()["count"] == 7  # stale, answered at once: another request is counting
    client.delete(f"{key}:counting:{field}")
    assert auth_client.get(URL).json()["count"] == 2  # this one claims the count and refreshes it
    assert count_cache.fresh(client.hget(key, field)) == 2
    assert client.exists(f"{key}:counting:{field}") == 0  # the claim is released


@pytest.mark.redis
def test_a_missing_total_is_counted_once_while_others_wait_for_it(auth_client, user, monkeypatch):
    TransactionFactory.create_batch(2, user=user)
    client = shared_redis_client()
    key, field = _hash_and_field(user)
    auth_client.get(URL, {"source": "csv"})  # the hash and its epoch exist
    client.set(f"{key}:counting:{field}", "another request", px=5000)

    def the_other_request_stores_its_count():
        time.sleep(0.1)
        client.hset(key, field, f"2:{time.time():.0f}")
        client.delete(f"{key}:counting:{field}")

    other = threading.Thread(target=the_other_request_stores_its_count)
    other.start()
    with monkeypatch.context() as patched:
        _counts_refused(patched)
        assert auth_client.get(URL).json()["count"] == 2  # waited, and took the other request's total
    other.join()


@pytest.mark.redis
def test_a_claim_that_ends_without_a_total_leaves_the_waiting_request_to_count(auth_client, user, monkeypatch):
    TransactionFactory.create_batch(3, user=user)
    client = shared_redis_client()
    key, field = _hash_and_field(user)
    client.set(f"{key}:counting:{field}", "a request whose count a write overtook", px=150)
    started = time.monotonic()
    assert auth_client.get(URL).json()["count"] == 3
    assert time.monotonic() - started < count_cache.CLAIM_MILLISECONDS / 1000  # not the whole claim window
    assert count_cache.fresh(client.hget(key, field)) == 3


@pytest.mark.redis
def test_a_user_with_too_many_filters_starts_over(auth_client, user, monkeypatch):
    monkeypatch.setattr(count_cache, "MAX_FILTERS", 2)
    TransactionFactory(user=user, amount="-5.00")
    client = shared_redis_client()
    key, _ = _hash_and_field(user)
    for bound in ("-1", "-2"):
        assert auth_client.get(URL, {"max_amount": bound}).json()["count"] == 1
    assert client.hlen(key) == 3  # two totals and the epoch
    assert auth_client.get(URL, {"max_amount": "-3"}).json()["count"] == 1
    assert client.exists(key) == 0  # a third filter: the hash was dropped
    assert auth_client.get(URL, {"max_amount": "-9"}).json()["count"] == 0
    assert client.hlen(key) == 2


@pytest.mark.redis
def test_a_count_that_fails_hands_its_claim_back_at_once(user):
    client = shared_redis_client()
    key, field = _hash_and_field(user)

    def failing_count():
        raise TimeoutError("canceling statement due to statement timeout")

    with pytest.raises(TimeoutError):
        count_cache.count(client, key=key, field=field, counter=failing_count)
    assert client.exists(f"{key}:counting:{field}") == 0  # the next request need not wait 5 s for it
    assert count_cache.count(client, key=key, field=field, counter=lambda: 4) == 4
