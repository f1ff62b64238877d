import uuid
from functools import cache

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import DeviceSession, User
from core.sql import model_loader, prepared_cursor


def session_list(*, user: User) -> QuerySet[DeviceSession]:
    """The user's devices that still hold a usable refresh token, most recently used first."""
    return DeviceSession.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())


def user_get_active(*, user_id: str) -> User | None:
    return User.objects.filter(id=user_id, is_active=True).first()


def user_get_for_access_token(*, user_id: str | None, session_id: str | None) -> User | None:
    """The active user an access token names, provided its device session is still open.

    Runs on every authenticated request, so it is one hand-written statement that PostgreSQL
    prepares once per connection (core.sql, decision 0007)."""
    if not user_id:
        return None
    if not session_id:
        return User.objects.filter(id=user_id, is_active=True).first()
    try:
        user_key, session_key = uuid.UUID(str(user_id)), uuid.UUID(str(session_id))
    except ValueError:
        return None
    sql, load = _token_user_sql()
    with prepared_cursor() as cursor:
        cursor.execute(sql, [_db_uuid(user_key), True, _db_uuid(session_key)])
        row = cursor.fetchone()
    return None if row is None else load(row)


def _db_uuid(value: uuid.UUID):
    return User._meta.pk.get_db_prep_value(value, connection)


@cache
def _token_user_sql():
    quote = connection.ops.quote_name
    columns, load = model_loader(User, connection)
    sql = (
        f"SELECT {', '.join(f'u.{column}' for column in columns)} FROM {quote(User._meta.db_table)} u "  # noqa: S608
        f"JOIN {quote(DeviceSession._meta.db_table)} s ON s.{quote('user_id')} = u.{quote('id')} "
        f"WHERE u.{quote('id')} = %s AND u.{quote('is_active')} = %s "
        f"AND s.{quote('id')} = %s AND s.{quote('revoked_at')} IS NULL"
    )
    return sql, load
