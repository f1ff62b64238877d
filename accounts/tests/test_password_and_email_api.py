import re

import pytest
from django.core import mail

from accounts.models import User
from accounts.services import email_verification_token
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import authenticated_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"


def reset_link_parts(body: str) -> dict[str, str]:
    match = re.search(r"uid=([^&\s]+)&token=([^\s]+)", body)
    assert match, body
    return {"uid": match.group(1), "token": match.group(2)}


def test_password_reset_always_answers_202_and_mails_only_real_accounts(api_client, django_capture_on_commit_callbacks):
    UserFactory(email="grace@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        unknown = api_client.post("/api/v1/auth/password/reset/", {"email": "nobody@example.com"})
        known = api_client.post("/api/v1/auth/password/reset/", {"email": "GRACE@example.com"})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    assert [message.to for message in mail.outbox] == [["grace@example.com"]]


def test_password_reset_link_sets_a_new_password_once(api_client, django_capture_on_commit_callbacks):
    user = UserFactory(email="grace@example.com")
    old_device = authenticated_client(user)
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/password/reset/", {"email": "grace@example.com"})
    parts = reset_link_parts(mail.outbox[0].body)

    confirmed = api_client.post("/api/v1/auth/password/reset/confirm/", {**parts, "new_password": NEW_PASSWORD})
    assert confirmed.status_code == 200
    again = api_client.post("/api/v1/auth/password/reset/confirm/", {**parts, "new_password": "yet-another-pass-99"})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"

    login = {"email": "grace@example.com", "password": NEW_PASSWORD}
    assert api_client.post("/api/v1/auth/login/", login).status_code == 200
    # Every device logged in before the reset is logged out.
    assert old_device.get("/api/v1/auth/me/").status_code == 401


def test_password_reset_confirm_refuses_garbage_and_weak_passwords(api_client, django_capture_on_commit_callbacks):
    user = UserFactory(email="grace@example.com")
    bad = api_client.post(
        "/api/v1/auth/password/reset/confirm/", {"uid": "!!", "token": "nope", "new_password": NEW_PASSWORD}
    )
    assert bad.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/v1/auth/password/reset/", {"email": "grace@example.com"})
    parts = reset_link_parts(mail.outbox[0].body)
    weak = api_client.post("/api/v1/auth/password/reset/confirm/", {**parts, "new_password": "123"})
    assert weak.status_code == 400
    assert "new_password" in weak.json()["errors"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_needs_the_old_password_and_logs_out_other_devices(user):
    laptop = authenticated_client(user)
    phone = authenticated_client(user)
    wrong = laptop.post("/api/v1/auth/password/change/", {"old_password": "nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == {"old_password": ["Current password is wrong."]}
    weak = laptop.post("/api/v1/auth/password/change/", {"old_password": DEFAULT_PASSWORD, "new_password": "abc"})
    assert weak.status_code == 400
    changed = laptop.post("/api/v1/auth/password/change/", {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert laptop.get("/api/v1/auth/me/").status_code == 200
    assert phone.get("/api/v1/auth/me/").status_code == 401


def test_email_verification_token_from_the_email_verifies(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(
            "/api/v1/auth/register/",
            {"email": "ada@example.com", "password": "an-unusual-passphrase-7", "full_name": "Ada"},
        )
    token = re.search(r"verify-email\?token=(\S+)", mail.outbox[0].body).group(1)
    response = api_client.post("/api/v1/auth/email/verify/", {"token": token})
    assert response.status_code == 200
    assert User.objects.get(email="ada@example.com").is_verified is True


def test_email_verification_refuses_tampered_tokens_and_old_addresses(api_client):
    user = UserFactory(email="grace@example.com", is_verified=False)
    token = email_verification_token(user=user)
    assert api_client.post("/api/v1/auth/email/verify/", {"token": token + "x"}).status_code == 400
    User.objects.filter(id=user.id).update(email="new@example.com")
    response = api_client.post("/api/v1/auth/email/verify/", {"token": token})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.is_verified is False
