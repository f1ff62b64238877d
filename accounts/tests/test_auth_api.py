"""Register, login, refresh rotation, logout, throttling: the flows and how they fail."""

import datetime as real
from datetime import timedelta

import jwt.api_jwt
import pytest
import rest_framework_simplejwt.tokens
from django.core import mail
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import authentication
from accounts.models import DeviceSession, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "an-unusual-passphrase-7"


def register(client, **overrides):
    payload = {"email": "ada@example.com", "password": STRONG_PASSWORD, "full_name": "Ada Lovelace", **overrides}
    return client.post("/api/v1/auth/register/", payload)


def login(client, email, password=DEFAULT_PASSWORD, **extra):
    return client.post("/api/v1/auth/login/", {"email": email, "password": password}, **extra)


def test_register_returns_tokens_and_the_user(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client, email="Ada@Example.COM", phone="+44 20 7946 0000")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["is_verified"] is False
    assert body["user"]["is_admin"] is False
    assert body["user"]["preferences"]["currency"] == "USD"
    user = User.objects.get(email="ada@example.com")
    assert user.password.startswith("argon2")
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]
    assert "verify-email?token=" in mail.outbox[0].body


def test_register_refuses_a_taken_email_whatever_its_case(api_client):
    UserFactory(email="ada@example.com")
    response = register(api_client, email="ADA@example.com")
    assert response.status_code == 400
    assert response.json()["code"] == "email_taken"
    assert response.json()["errors"]["email"] == ["A user with this email already exists."]
    assert User.objects.count() == 1


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901", "ada@example.com"])
def test_register_refuses_weak_passwords(api_client, password):
    response = register(api_client, password=password)
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert not User.objects.exists()


def test_register_lists_every_missing_field(api_client):
    response = api_client.post("/api/v1/auth/register/", {})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "password", "full_name"}


def test_login_is_case_insensitive_and_opens_a_device_session(api_client):
    user = UserFactory(email="grace@example.com")
    response = login(api_client, "Grace@Example.com", HTTP_USER_AGENT="Firefox on Linux")
    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(user.id)
    session = DeviceSession.objects.get(user=user)
    assert session.user_agent == "Firefox on Linux"
    assert session.revoked_at is None


@pytest.mark.parametrize("email", ["grace@example.com", "nobody@example.com"])
def test_wrong_credentials_answer_401_without_saying_which(api_client, email):
    UserFactory(email="grace@example.com")
    response = login(api_client, email, "not-the-password")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid email or password.", "code": "invalid_credentials"}


def test_inactive_users_get_no_tokens(api_client):
    UserFactory(email="gone@example.com", is_active=False)
    assert login(api_client, "gone@example.com").status_code == 401
    assert not DeviceSession.objects.exists()


def test_five_failures_lock_that_ip_and_email_for_a_while(api_client):
    UserFactory(email="grace@example.com")
    for _ in range(5):
        assert login(api_client, "grace@example.com", "wrong").status_code == 401
    locked = login(api_client, "grace@example.com")  # even the right password
    assert locked.status_code == 429
    assert locked.json()["code"] == "throttled"
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    # Another address from the same IP, and the same address from another IP, are not locked.
    UserFactory(email="other@example.com")
    assert login(api_client, "other@example.com").status_code == 200
    assert login(api_client, "grace@example.com", REMOTE_ADDR="10.9.9.9").status_code == 200


def test_a_success_clears_earlier_failures(api_client):
    UserFactory(email="grace@example.com")
    for _ in range(4):
        login(api_client, "grace@example.com", "wrong")
    assert login(api_client, "grace@example.com").status_code == 200
    for _ in range(4):
        login(api_client, "grace@example.com", "wrong")
    assert login(api_client, "grace@example.com").status_code == 200


def test_refresh_rotates_and_the_old_token_is_dead(api_client):
    UserFactory(email="grace@example.com")
    first = login(api_client, "grace@example.com").json()
    rotated = api_client.post("/api/v1/auth/refresh/", {"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    body = rotated.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["refresh_token"] != first["refresh_token"]
    reused = api_client.post("/api/v1/auth/refresh/", {"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"


def test_reusing_a_rotated_token_ends_the_whole_session(api_client):
    UserFactory(email="grace@example.com")
    stolen = login(api_client, "grace@example.com").json()["refresh_token"]
    current = api_client.post("/api/v1/auth/refresh/", {"refresh_token": stolen}).json()
    assert api_client.post("/api/v1/auth/refresh/", {"refresh_token": stolen}).status_code == 401
    # The legitimate holder's newer tokens die with the session.
    assert api_client.post("/api/v1/auth/refresh/", {"refresh_token": current["refresh_token"]}).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {current['access_token']}")
    assert api_client.get("/api/v1/auth/me/").status_code == 401


def test_forged_expired_and_wrong_type_tokens_are_refused(api_client, settings):
    user = UserFactory(email="grace@example.com")
    tokens = login(api_client, "grace@example.com").json()
    header, payload, signature = tokens["refresh_token"].split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    expired = RefreshToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    for bad in (forged, str(expired), tokens["access_token"], "not-a-jwt"):
        response = api_client.post("/api/v1/auth/refresh/", {"refresh_token": bad})
        assert response.status_code == 401, bad
        assert response.json()["code"] == "token_not_valid"


def test_access_tokens_are_checked_on_every_request(api_client):
    user = UserFactory(email="grace@example.com")
    tokens = login(api_client, "grace@example.com").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}x")
    assert api_client.get("/api/v1/auth/me/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api_client.get("/api/v1/auth/me/").status_code == 200
    User.objects.filter(id=user.id).update(is_active=False)
    response = api_client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_logout_revokes_the_refresh_token_and_its_access_tokens(api_client):
    UserFactory(email="grace@example.com")
    tokens = login(api_client, "grace@example.com").json()
    assert api_client.post("/api/v1/auth/logout/", {"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert api_client.post("/api/v1/auth/refresh/", {"refresh_token": tokens["refresh_token"]}).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api_client.get("/api/v1/auth/me/").status_code == 401


def test_paths_work_with_and_without_the_trailing_slash(api_client):
    UserFactory(email="grace@example.com")
    assert api_client.post("/api/v1/auth/login", {"email": "grace@example.com", "password": DEFAULT_PASSWORD}).status_code == 200
    assert api_client.post("/api/v1/auth/password/reset", {"email": "x@example.com"}).status_code == 202


def test_anonymous_requests_are_throttled_with_retry_after(api_client, settings):
    settings.THROTTLE_RATES = {"anon": "2/min", "user": "100/min"}
    for _ in range(2):
        assert api_client.post("/api/v1/auth/password/reset/", {"email": "x@example.com"}).status_code == 202
    throttled = api_client.post("/api/v1/auth/password/reset/", {"email": "x@example.com"})
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0


def test_authenticated_requests_are_throttled_per_user(auth_client, settings):
    settings.THROTTLE_RATES = {"anon": "100/min", "user": "3/min"}
    assert [auth_client.get("/api/v1/auth/me/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_signed_tokens_with_malformed_ids_are_refused_not_crashed(api_client):
    user = UserFactory()
    for claims in ({"sid": "not-a-uuid"}, {"user_id": "12", "sid": "also-bad"}):
        token = AccessToken.for_user(user)
        for key, value in claims.items():
            token[key] = value
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = api_client.get("/api/v1/auth/me/")
        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"


def test_a_token_naming_someone_elses_session_does_not_authenticate(api_client):
    owner, intruder = UserFactory(), UserFactory()
    login(api_client, owner.email)
    owners_session = DeviceSession.objects.get(user=owner)
    forged = AccessToken.for_user(intruder)
    forged["sid"] = str(owners_session.id)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert api_client.get("/api/v1/auth/me/").status_code == 401


@pytest.mark.usefixtures("fast_paths_on")
def test_a_verified_token_is_refused_once_it_expires(api_client, monkeypatch):
    UserFactory(email="grace@example.com")
    token = login(api_client, "grace@example.com").json()["access_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/api/v1/auth/me/").status_code == 200
    assert token.encode() in authentication._verified_tokens
    expires = authentication._verified_tokens.get(token.encode()).payload["exp"]
    monkeypatch.setattr(authentication.time, "time", lambda: expires + 1)
    # Verifying again (PyJWT, simplejwt) reads the clock its own way: move those clocks too.

    later = _FrozenDatetime.at(expires + 120)
    monkeypatch.setattr(jwt.api_jwt, "datetime", later)
    monkeypatch.setattr(rest_framework_simplejwt.tokens, "aware_utcnow", lambda: later.now())
    response = api_client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


@pytest.mark.usefixtures("fast_paths_on")
def test_a_forged_token_is_never_remembered(api_client):
    UserFactory(email="grace@example.com")
    token = login(api_client, "grace@example.com").json()["access_token"]
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}AA"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert api_client.get("/api/v1/auth/me/").status_code == 401
    assert api_client.get("/api/v1/auth/me/").status_code == 401
    assert forged.encode() not in authentication._verified_tokens


class _FrozenDatetime:
    @staticmethod
    def at(timestamp: float):
        class Frozen(real.datetime):
            @classmethod
            def now(cls, tz=None):
                return real.datetime.fromtimestamp(timestamp, tz or real.UTC)

        return Frozen
