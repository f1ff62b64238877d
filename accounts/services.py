"""Writes of the accounts app: registration, tokens and sessions, passwords, verification."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken

from accounts import tasks
from accounts.emails import (  # noqa: F401 (public here too)
    EMAIL_VERIFICATION_SALT,
    email_verification_send,
    email_verification_token,
    password_reset_email_send,
)
from accounts.housekeeping import expired_tokens_purge  # noqa: F401 (public here too)
from accounts.models import DeviceSession, User, default_preferences
from core.exceptions import ApplicationError, AuthenticationError, NotFoundError, ThrottledError
from core.on_commit import enqueue_on_commit

WS_TICKET_PREFIX = "ws-ticket:"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


# --- registration ---------------------------------------------------------------------


@transaction.atomic
def user_register(*, email: str, password: str, full_name: str, phone: str = "") -> User:
    email = User.objects.normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            "A user with this email already exists.",
            code="email_taken",
            errors={"email": ["A user with this email already exists."]},
        )
    candidate = User(email=email, full_name=full_name, phone=phone)
    _validate_password(password, user=candidate)
    user = User.objects.create_user(email, password, full_name=full_name, phone=phone, preferences=default_preferences())
    enqueue_on_commit(tasks.send_verification_email, str(user.id))
    return user


def _validate_password(password: str, *, user: User, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as error:
        raise ApplicationError(error.messages[0], code="weak_password", errors={field: list(error.messages)}) from error


# --- login, tokens, sessions ----------------------------------------------------------


def _login_failure_key(ip_address: str, email: str) -> str:
    digest = hashlib.sha256(f"{ip_address}|{email.strip().lower()}".encode()).hexdigest()
    return f"login-failures:{digest}"


def _login_retry_after(key: str) -> int | None:
    """Seconds until this IP+email may try again, or None when it may now."""
    record = cache.get(key)
    if not record or record["count"] < settings.LOGIN_FAILURE_LIMIT:
        return None
    remaining = int(record["window_started"] + settings.LOGIN_FAILURE_WINDOW_SECONDS - time.time())
    return max(remaining, 1)


def _login_failure_record(key: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    record = cache.get(key) or {"count": 0, "window_started": time.time()}
    record["count"] += 1
    remaining = int(record["window_started"] + window - time.time())
    cache.set(key, record, timeout=max(remaining, 1))


def auth_login(*, email: str, password: str, ip_address: str | None, user_agent: str) -> tuple[User, TokenPair]:
    """Check credentials (throttled per IP+email) and open a device session."""
    key = _login_failure_key(ip_address or "", email)
    retry_after = _login_retry_after(key)
    if retry_after is not None:
        raise ThrottledError(
            f"Too many failed login attempts. Try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )
    # ModelBackend refuses inactive users, so they get the same answer as a wrong password.
    user = authenticate(username=User.objects.normalize_email(email), password=password)
    if user is None:
        _login_failure_record(key)
        raise AuthenticationError("Invalid email or password.", code="invalid_credentials")
    cache.delete(key)
    return user, session_open(user=user, ip_address=ip_address, user_agent=user_agent)


@transaction.atomic
def session_open(*, user: User, ip_address: str | None, user_agent: str) -> TokenPair:
    session_id = uuid.uuid4()
    refresh = _refresh_for(user, session_id)
    DeviceSession.objects.create(
        id=session_id,
        user=user,
        refresh_jti=refresh["jti"],
        ip_address=ip_address,
        user_agent=user_agent[:300],
        expires_at=datetime.fromtimestamp(refresh["exp"], tz=UTC),
    )
    return _pair(refresh)


def _refresh_for(user: User, session_id: uuid.UUID | str) -> RefreshToken:
    refresh = RefreshToken.for_user(user)
    refresh["sid"] = str(session_id)
    # for_user recorded the token before the sid claim existed; keep the stored copy true.
    OutstandingToken.objects.filter(jti=refresh["jti"]).update(token=str(refresh))
    return refresh


def _pair(refresh: RefreshToken) -> TokenPair:
    access = refresh.access_token
    return TokenPair(
        access_token=str(access),
        refresh_token=str(refresh),
        expires_in=int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
    )


_INVALID_REFRESH = "Refresh token is invalid, expired or already used."


def auth_refresh(*, refresh_token: str) -> TokenPair:
    """Rotate: the old refresh token is blacklisted and the session moves to the new one.

    Reusing a rotated token is a sign it was stolen, so the whole session is revoked."""
    try:
        old = RefreshToken(refresh_token)
    except TokenError as error:
        _revoke_session_of_reused_token(refresh_token)
        raise AuthenticationError(_INVALID_REFRESH, code="token_not_valid") from error

    user = User.objects.filter(id=old["user_id"], is_active=True).first()
    session_id = old.get("sid")
    if user is None or session_id is None:
        raise AuthenticationError(_INVALID_REFRESH, code="token_not_valid")

    with transaction.atomic():
        new = _refresh_for(user, session_id)
        # Compare-and-swap: of two concurrent refreshes with one token, only one wins.
        moved = DeviceSession.objects.filter(
            id=session_id, refresh_jti=old["jti"], revoked_at__isnull=True
        ).update(
            refresh_jti=new["jti"],
            last_used_at=timezone.now(),
            expires_at=datetime.fromtimestamp(new["exp"], tz=UTC),
        )
        if not moved:
            transaction.set_rollback(True)
            raise AuthenticationError(_INVALID_REFRESH, code="token_not_valid")
        old.blacklist()
    return _pair(new)


def _revoke_session_of_reused_token(refresh_token: str) -> None:
    try:
        payload = UntypedToken(refresh_token).payload  # signature and expiry still checked
    except TokenError:
        return
    if payload.get("token_type") != "refresh" or not payload.get("sid"):
        return
    if BlacklistedToken.objects.filter(token__jti=payload.get("jti")).exists():
        session = DeviceSession.objects.filter(id=payload["sid"], revoked_at__isnull=True).first()
        if session is not None:
            session_revoke(user=session.user, session_id=session.id)


def auth_logout(*, refresh_token: str) -> None:
    try:
        refresh = RefreshToken(refresh_token)
    except TokenError as error:
        raise AuthenticationError(_INVALID_REFRESH, code="token_not_valid") from error
    session = DeviceSession.objects.filter(id=refresh.get("sid"), revoked_at__isnull=True).first()
    if session is not None:
        session_revoke(user=session.user, session_id=session.id)
    else:
        refresh.blacklist()


@transaction.atomic
def session_revoke(*, user: User, session_id: uuid.UUID | str) -> None:
    """End a device session: its refresh token is blacklisted and its access tokens stop working."""
    session = DeviceSession.objects.select_for_update().filter(id=session_id, user=user).first()
    if session is None:
        raise NotFoundError("Session not found.")
    if session.revoked_at is None:
        session.revoked_at = timezone.now()
        session.save(update_fields=["revoked_at"])
    _blacklist_jti(session.refresh_jti)


def _blacklist_jti(jti: str) -> None:
    outstanding = OutstandingToken.objects.filter(jti=jti).first()
    if outstanding is not None:
        BlacklistedToken.objects.get_or_create(token=outstanding)


def sessions_revoke_all(*, user: User, except_session_id: str | None = None) -> int:
    sessions = DeviceSession.objects.filter(user=user, revoked_at__isnull=True)
    if except_session_id:
        sessions = sessions.exclude(id=except_session_id)
    count = 0
    for session_id in list(sessions.values_list("id", flat=True)):
        session_revoke(user=user, session_id=session_id)
        count += 1
    return count


# --- profile and passwords ------------------------------------------------------------


@transaction.atomic
def user_update(*, user: User, data: dict) -> User:
    """Update the profile fields a user owns. Preferences merge key by key."""
    for field in ("full_name", "phone", "wallet_addresses"):
        if field in data:
            setattr(user, field, data[field])
    if "preferences" in data:
        merged = {**default_preferences(), **(user.preferences or {})}
        for key, value in data["preferences"].items():
            if key == "notifications":
                merged["notifications"] = {**merged.get("notifications", {}), **value}
            else:
                merged[key] = value
        user.preferences = merged
    user.save()
    return user


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str, current_session_id: str | None) -> None:
    if not user.check_password(old_password):
        raise ApplicationError(
            "Current password is wrong.", code="wrong_password", errors={"old_password": ["Current password is wrong."]}
        )
    _validate_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    # Other devices must log in again with the new password.
    sessions_revoke_all(user=user, except_session_id=current_session_id)


def password_reset_request(*, email: str) -> None:
    """Always succeeds from the caller's view: whether the email exists is never revealed."""
    user = User.objects.filter(email__iexact=User.objects.normalize_email(email), is_active=True).first()
    if user is not None:
        enqueue_on_commit(tasks.send_password_reset_email, str(user.id))


_INVALID_RESET = "The reset link is invalid or has already been used."


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    try:
        user_id = force_str(urlsafe_base64_decode(uid))
        user = User.objects.select_for_update().get(id=uuid.UUID(user_id), is_active=True)
    except (ValueError, TypeError, OverflowError, User.DoesNotExist) as error:
        raise ApplicationError(_INVALID_RESET, code="invalid_token") from error
    # The token hashes the password: once used it no longer matches, so it is single use.
    if not default_token_generator.check_token(user, token):
        raise ApplicationError(_INVALID_RESET, code="invalid_token")
    _validate_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    sessions_revoke_all(user=user)
    return user


# --- email verification ---------------------------------------------------------------


def email_verification_resend(*, user: User) -> None:
    if not user.is_verified:
        enqueue_on_commit(tasks.send_verification_email, str(user.id))


@transaction.atomic
def email_verify(*, token: str) -> User:
    try:
        payload = signing.loads(
            token, salt=EMAIL_VERIFICATION_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS
        )
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature
        raise ApplicationError("The verification link is invalid or has expired.", code="invalid_token") from error
    # The email is part of the token: a link sent before an email change verifies nothing.
    user = User.objects.filter(id=payload.get("user_id"), email=payload.get("email"), is_active=True).first()
    if user is None:
        raise ApplicationError("The verification link is invalid or has expired.", code="invalid_token")
    if not user.is_verified:
        user.is_verified = True
        user.save(update_fields=["is_verified", "updated_at"])
    return user


# --- WebSocket tickets ----------------------------------------------------------------


def ws_ticket_create(*, user: User, token_expires_at: int | None, session_id: str | None) -> str:
    """A single-use, 60-second ticket, so no long-lived token lands in a proxy's URL log."""
    ticket = secrets.token_urlsafe(32)
    cache.set(
        WS_TICKET_PREFIX + ticket,
        {"user_id": str(user.id), "expires_at": token_expires_at, "session_id": session_id},
        timeout=settings.WS_TICKET_LIFETIME_SECONDS,
    )
    return ticket


def ws_ticket_redeem(*, ticket: str) -> dict | None:
    """{user_id, expires_at, session_id} once; None when unknown, expired or already used."""
    key = WS_TICKET_PREFIX + ticket
    value = cache.get(key)
    # delete() answers True for one caller only: two sockets racing on one ticket get one user.
    if value is None or not cache.delete(key):
        return None
    return value
