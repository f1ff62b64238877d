from urllib.parse import urlparse

from channels.security.websocket import OriginValidator
from django.conf import settings
from django.http.request import validate_host


class AllowedOriginValidator(OriginValidator):
    """Browsers must come from a host in ALLOWED_HOSTS or an origin in CORS_ALLOWED_ORIGINS.

    A request with no Origin header is not a browser (a CLI, a phone app, a server), so the
    cross-site attack the check exists for cannot happen: it passes to authentication."""

    def __init__(self, application):
        super().__init__(application, allowed_origins=[])

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        origin = f"{parsed_origin.scheme}://{parsed_origin.netloc}".lower()
        cors_origins = {value.lower().rstrip("/") for value in settings.CORS_ALLOWED_ORIGINS}
        if origin in cors_origins:
            return True
        return bool(parsed_origin.hostname) and validate_host(parsed_origin.hostname, settings.ALLOWED_HOSTS)


def origin_host(origin: str) -> str | None:
    return urlparse(origin).hostname
