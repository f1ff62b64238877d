"""accounts.authentication: the verified-token cache is bounded and thread-safe, and a
token stops working within REVOCATION_SECONDS (0: at once) of logout, session revocation,
deactivation or deletion, whether or not it is cached."""

import threading

import pytest
from rest_framework.test import APIClient

from accounts import authentication
from accounts.models import User
from accounts.services import session_open
from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_paths_on")]
ME = "/api/v1/auth/me/"


@pytest.fixture
def signed_in():
    user = UserFactory()
    pair = session_open(user=user, ip_address="127.0.0.1", user_agent="pytest")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    assert client.get(ME).status_code == 200  # now cached
    assert pair.access_token.encode() in authentication._verified_tokens
    return user, pair, client


def test_the_revocation_delay_is_zero_seconds():
    assert authentication.REVOCATION_SECONDS == 0


def test_a_cached_token_stops_working_at_logout(signed_in):
    user, pair, client = signed_in
    assert client.post("/api/v1/auth/logout/", {"refresh_token": pair.refresh_token}).status_code == 204
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_cached_token_stops_working_when_its_user_is_deleted(signed_in):
    user, pair, client = signed_in
    User.objects.filter(pk=user.pk).delete()
    assert client.get(ME).status_code == 401


def test_a_cached_token_stops_working_when_its_user_is_deactivated(signed_in):
    user, pair, client = signed_in
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(ME).status_code == 401


def test_the_cache_is_bounded_least_recently_used_first_out():
    cache = authentication.VerifiedTokens(max_size=3)
    tokens = {f"t{i}".encode(): _Token(exp=4_000_000_000) for i in range(5)}
    for raw, token in list(tokens.items())[:3]:
        cache.put(raw, token)
    assert cache.get(b"t0") is tokens[b"t0"]  # t0 is now the most recently used
    cache.put(b"t3", tokens[b"t3"])
    cache.put(b"t4", tokens[b"t4"])
    assert len(cache) == 3
    assert [raw for raw in tokens if raw in cache] == [b"t0", b"t3", b"t4"]


def test_an_expired_entry_is_never_answered():
    cache = authentication.VerifiedTokens(max_size=3)
    cache.put(b"old", _Token(exp=1))
    assert cache.get(b"old") is None
    assert b"old" not in cache


def test_size_zero_keeps_nothing(settings, signed_in):
    settings.ACCESS_TOKEN_CACHE_SIZE = 0
    authentication._verified_tokens.clear()
    user, pair, client = signed_in  # the same client, its token no longer cached
    assert client.get(ME).status_code == 200
    assert len(authentication._verified_tokens) == 0


def test_concurrent_use_keeps_the_bound_and_loses_nothing_it_answers():
    cache = authentication.VerifiedTokens(max_size=50)
    errors = []

    def hammer(worker: int):
        try:
            for i in range(2000):
                raw = f"{worker}-{i % 120}".encode()
                token = _Token(exp=4_000_000_000, name=raw)
                cache.put(raw, token)
                found = cache.get(raw)
                assert found is None or found.name == raw
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=hammer, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) == 50


class _Token:
    def __init__(self, *, exp: int, name: bytes = b""):
        self.payload = {"exp": exp}
        self.name = name
