"""The list's total is cached per user and filter, dropped on every write, and (with Redis)
read in the same round trip as the throttle's counters."""

import pytest

from core.throttling import shared_redis_client
from ledger.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db
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
