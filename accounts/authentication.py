from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from accounts.selectors import user_get_for_access_token


class BearerAuthentication(JWTAuthentication):
    """simplejwt's header auth, plus: the token's device session must still be open.

    The session check rides on the user lookup (one query), so logout and session revocation
    end access tokens at once instead of after their 60 minutes."""

    def get_user(self, validated_token):
        user = user_get_for_access_token(user_id=validated_token.get("user_id"), session_id=validated_token.get("sid"))
        if user is None:
            raise AuthenticationFailed(_("Token is no longer valid."), code="token_not_valid")
        return user
