"""Shared fixtures. Tests run on the real database (PostgreSQL or SQLite) and, when REDIS_URL
is set, the real Redis cache and channel layer."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import session_open
from accounts.tests.factories import UserFactory
from tests.live import running_stack


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
    skip_redis = pytest.mark.skip(reason="needs Redis (REDIS_URL)")
    is_postgres = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    for item in items:
        if ("postgres" in item.keywords or "e2e" in item.keywords) and not is_postgres:
            item.add_marker(skip_pg)
        if ("redis" in item.keywords or "e2e" in item.keywords) and not django_settings.REDIS_URL:
            item.add_marker(skip_redis)


@pytest.fixture(autouse=True)
def _isolated(settings):
    """Tasks run inline (deterministic), caches start empty, throttles are out of the way."""
    settings.TASK_EXECUTION = "inline"
    settings.THROTTLE_RATES = {"anon": "100000/min", "user": "100000/min"}
    cache.clear()
    yield
    cache.clear()


FAST_PATH_SETTINGS = (
    "LEDGER_SQL_LIST_PAGES", "LEDGER_SQL_BULK_CATEGORISE", "LEDGER_COUNT_CACHE", "LEDGER_STRICT_FILTER_PARSER",
    "DB_PREPARED_STATEMENTS", "THROTTLE_PREFETCH",
)


@pytest.fixture
def fast_paths_on(settings):
    """For tests of a fast path itself: on, whatever FAST_PATHS says (`make test-plain`)."""
    for name in FAST_PATH_SETTINGS:
        setattr(settings, name, True)
    settings.ACCESS_TOKEN_CACHE_SIZE = 10_000
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 1.0


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    """An APIClient authenticated as `user` through a real device session and JWT."""
    return authenticated_client(user)


@pytest.fixture
def admin_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(admin_user) -> APIClient:
    return authenticated_client(admin_user)


def authenticated_client(user) -> APIClient:
    pair = session_open(user=user, ip_address="127.0.0.1", user_agent="pytest")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    client.token_pair = pair
    return client


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def live_stack(tmp_path):
    """daphne + a real Celery worker (all queues) on the test database and Redis; see tests/live.py.
    Use with `pytest.mark.e2e` and `pytest.mark.django_db(transaction=True)`."""
    with running_stack(tmp_path) as stack:
        yield stack
