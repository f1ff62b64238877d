"""Bearer authentication: simplejwt's access tokens, tied to an open device session.

Revocation: a token stops working at once (0 seconds) when its device session is revoked
or logged out, or its user is deactivated or deleted, because that is checked on every
request (one prepared statement, accounts.selectors). The verified-token cache below only
saves re-checking a token's signature and claims (decision 0006); it never answers who
the user is."""

import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from accounts.selectors import user_get_for_access_token

REVOCATION_SECONDS = 0


class VerifiedTokens:
    """Access tokens this process has verified, by their raw bytes: bounded (least recently
    used first out), thread-safe (gthread workers share it), and an entry is only used
    before the token's own expiry, so the answer is the one verifying again would give."""

    def __init__(self, max_size: int | None = None):
        self._max_size = max_size
        self._tokens: OrderedDict[bytes, Token] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def max_size(self) -> int:
        return settings.ACCESS_TOKEN_CACHE_SIZE if self._max_size is None else self._max_size

    def get(self, raw_token: bytes) -> Token | None:
        with self._lock:
            token = self._tokens.get(raw_token)
            if token is None:
                return None
            if token.payload.get("exp", 0) <= time.time():
                del self._tokens[raw_token]
                return None
            self._tokens.move_to_end(raw_token)
            return token

    def put(self, raw_token: bytes, token: Token) -> None:
        limit = self.max_size
        if limit <= 0:
            return
        with self._lock:
            self._tokens[raw_token] = token
            self._tokens.move_to_end(raw_token)
            while len(self._tokens) > limit:
                self._tokens.popitem(last=False)

    def __contains__(self, raw_token: bytes) -> bool:
        with self._lock:
            return raw_token in self._tokens

    def __len__(self) -> int:
        with self._lock:
            return len(self._tokens)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


_verified_tokens = VerifiedTokens()


class BearerAuthentication(JWTAuthentication):
    """simplejwt's header auth, plus: the token's device session must still be open.

    The session check rides on the user lookup (one query), so logout and session revocation
    end access tokens at once instead of after their 60 minutes."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = _verified_tokens.get(raw_token)
        if token is not None:
            return token
        token = super().get_validated_token(raw_token)
        _verified_tokens.put(raw_token, token)
        return token

    def get_user(self, validated_token):
        user = user_get_for_access_token(user_id=validated_token.get("user_id"), session_id=validated_token.get("sid"))
        if user is None:
            raise AuthenticationFailed(_("Token is no longer valid."), code="token_not_valid")
        return user
