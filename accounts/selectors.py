from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import DeviceSession, User


def session_list(*, user: User) -> QuerySet[DeviceSession]:
    """The user's devices that still hold a usable refresh token, most recently used first."""
    return DeviceSession.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())


def user_get_active(*, user_id: str) -> User | None:
    return User.objects.filter(id=user_id, is_active=True).first()


def user_get_for_access_token(*, user_id: str | None, session_id: str | None) -> User | None:
    """The active user an access token names, provided its device session is still open."""
    if not user_id:
        return None
    users = User.objects.filter(id=user_id, is_active=True)
    if session_id:
        users = users.filter(device_sessions__id=session_id, device_sessions__revoked_at__isnull=True)
    return users.first()
