import time

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import Token

from accounts.selectors import user_get_for_access_token

# Access tokens this process has verified, by their raw bytes. PyJWT checks a token's base64
# character by character in Python (~0.3 ms of a list request's ~3 ms); a client sends the same
# token for up to an hour. Only tokens that passed every check are stored, and a stored one is
# used only while it has not expired, so the answer is the one verifying again would give; the
# device-session check (revocation, logout) still runs on every request. Bounded per process.
VERIFIED_TOKENS_MAX = 10_000
_verified_tokens: dict[bytes, Token] = {}


class BearerAuthentication(JWTAuthentication):
    """simplejwt's header auth, plus: the token's device session must still be open.

    The session check rides on the user lookup (one query), so logout and session revocation
    end access tokens at once instead of after their 60 minutes."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = _verified_tokens.get(raw_token)
        if token is not None and token.payload.get("exp", 0) > time.time():
            return token
        token = super().get_validated_token(raw_token)
        if len(_verified_tokens) >= VERIFIED_TOKENS_MAX:
            _verified_tokens.clear()
        _verified_tokens[raw_token] = token
        return token

    def get_user(self, validated_token):
        user = user_get_for_access_token(user_id=validated_token.get("user_id"), session_id=validated_token.get("sid"))
        if user is None:
            raise AuthenticationFailed(_("Token is no longer valid."), code="token_not_valid")
        return user
