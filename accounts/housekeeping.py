"""Periodic clean-up of what can never be used again."""

from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import DeviceSession


def expired_tokens_purge() -> int:
    """Delete refresh tokens and device sessions past their expiry (they can never be used again)."""
    now = timezone.now()
    sessions, _ = DeviceSession.objects.filter(expires_at__lt=now).delete()
    tokens, _ = OutstandingToken.objects.filter(expires_at__lt=now).delete()
    return sessions + tokens
