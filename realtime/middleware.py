"""WebSocket authentication from the query string: ?ticket=<single use> or ?token=<access JWT>.

Neither value is ever logged. A failure leaves an anonymous user in the scope, and the
consumer closes with 4401 before saying anything else."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts import selectors as account_selectors
from accounts import services as account_services


@database_sync_to_async
def _authenticate(query_string: bytes) -> tuple[object, int | None]:
    params = parse_qs(query_string.decode("latin-1"))
    ticket = (params.get("ticket") or [""])[0]
    token = (params.get("token") or [""])[0]
    if ticket:
        redeemed = account_services.ws_ticket_redeem(ticket=ticket)
        if redeemed is None:
            return AnonymousUser(), None
        user = account_selectors.user_get_active(user_id=redeemed["user_id"])
        return (user or AnonymousUser()), redeemed.get("expires_at")
    if token:
        try:
            access = AccessToken(token)
        except TokenError:
            return AnonymousUser(), None
        user = account_selectors.user_get_for_access_token(
            user_id=access.get("user_id"), session_id=access.get("sid")
        )
        return (user or AnonymousUser()), access.get("exp")
    return AnonymousUser(), None


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        scope["user"], scope["token_expires_at"] = await _authenticate(scope.get("query_string", b""))
        return await super().__call__(scope, receive, send)
