"""core.sql: hot statements prepared once per connection, whole-model rows from raw SQL, and
the health check skipped only for a connection that just finished a request cleanly."""

import uuid

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.selectors import user_get_for_access_token
from accounts.services import session_open
from core import sql
from ledger.tests.factories import TransactionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_paths_on")]


def _executions(fragment: str, plans: str = "generic_plans + custom_plans") -> int:
    """How many times the prepared statements whose text contains `fragment` have run."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM({plans}), 0) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%" + fragment + "%"],
        )
        return int(cursor.fetchone()[0])


PAGE = "NOT t.is_deleted ORDER BY t.date DESC, t.created_at DESC, t.id DESC LIMIT 2"
TOKEN_USER = 'JOIN "accounts_devicesession" s'


@pytest.mark.postgres
def test_the_list_page_and_the_token_user_are_prepared_once_and_reused(auth_client, user):
    TransactionFactory.create_batch(3, user=user)
    first = auth_client.get("/api/v1/transactions/?limit=2")
    pages, token_users = _executions(PAGE), _executions(TOKEN_USER)
    second = auth_client.get("/api/v1/transactions/?limit=2")
    assert first.status_code == second.status_code == 200
    assert first.json()["results"] == second.json()["results"]
    assert pages >= 1 and token_users >= 1
    assert (_executions(PAGE), _executions(TOKEN_USER)) == (pages + 1, token_users + 1)


@pytest.mark.postgres
def test_the_first_page_settles_on_a_generic_plan(auth_client, user):
    TransactionFactory.create_batch(3, user=user)
    for _ in range(8):
        assert auth_client.get("/api/v1/transactions/?limit=2").status_code == 200
    assert _executions(PAGE, plans="generic_plans") > 0


@pytest.mark.postgres
def test_full_text_pages_are_planned_for_their_word(auth_client, user):
    TransactionFactory.create_batch(3, user=user, note="rare-word")
    for _ in range(3):
        assert auth_client.get("/api/v1/transactions/?q=rare").status_code == 200
    assert _executions("to_tsquery") == 0


@pytest.mark.postgres
def test_prepared_and_unprepared_runs_answer_the_same(settings):
    with sql.prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 1, %s::text", [41, "x"])
        prepared = cursor.fetchall()
    settings.DB_PREPARED_STATEMENTS = False
    with sql.prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 1, %s::text", [41, "x"])
        plain = cursor.fetchall()
    assert prepared == plain == [(42, "x")]


def test_logged_queries_show_their_values_and_are_still_counted(user):
    with CaptureQueriesContext(connection) as captured, sql.prepared_cursor() as cursor:
        cursor.execute("SELECT %s", ["marker-value-7"])
        assert cursor.fetchone() == ("marker-value-7",)
    assert len(captured.captured_queries) == 1
    assert "marker-value-7" in captured.captured_queries[0]["sql"]


def test_the_token_user_is_the_user_the_orm_loads(user):
    User.objects.filter(pk=user.pk).update(
        preferences={"currency": "EUR", "alerts": {"budget": True}}, wallet_addresses=["0x" + "a" * 40]
    )
    session = session_open(user=user, ip_address="127.0.0.1", user_agent="pytest")

    claims = AccessToken(session.access_token)
    loaded = user_get_for_access_token(user_id=claims["user_id"], session_id=claims["sid"])
    expected = User.objects.get(pk=user.pk)
    assert loaded is not None and loaded._state.adding is False
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.preferences["alerts"] == {"budget": True}


class _Probe:
    """A connection that has just finished a request cleanly, counting its health checks."""

    def __init__(self, monkeypatch):
        self.calls = 0
        self.target = connections["default"]
        self.target.ensure_connection()
        original = self.target.is_usable

        def counting():
            self.calls += 1
            return original()

        monkeypatch.setattr(self.target, "is_usable", counting)
        monkeypatch.setattr(self.target, "health_check_enabled", True)
        sql.note_clean_finish()

    def next_request(self) -> None:
        # What django.db.close_old_connections does at request start, then our receiver, then
        # the request's first query.
        self.target.health_check_done = False
        sql.skip_recent_health_check()
        self.target.cursor().close()


@pytest.fixture
def probe(monkeypatch) -> _Probe:
    return _Probe(monkeypatch)


def test_a_connection_that_just_served_a_request_is_not_health_checked_again(probe, settings):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 60
    probe.next_request()
    assert probe.calls == 0


def test_a_connection_idle_past_the_grace_period_is_health_checked(probe, settings, monkeypatch):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 1
    finished = getattr(probe.target, sql._LAST_CLEAN_FINISH)
    monkeypatch.setattr(sql.time, "monotonic", lambda: finished + 5)
    probe.next_request()
    assert probe.calls == 1


def test_a_connection_with_errors_is_health_checked(probe, settings, monkeypatch):
    settings.DB_HEALTH_CHECK_IDLE_SECONDS = 60
    monkeypatch.setattr(probe.target, "errors_occurred", True)
    probe.target.health_check_done = False
    sql.skip_recent_health_check()
    assert probe.target.health_check_done is False
    monkeypatch.setattr(probe.target, "errors_occurred", False)
    probe.target.cursor().close()
    assert probe.calls == 1


@pytest.mark.parametrize(
    "values",
    [
        ["plain", "", "NULL", "null", "a,b", "{braces}", 'say "hi"', "back\\slash", "trailing\\", " spaced ", "café ☕"],
        [None, "after a null"],
        [],
    ],
)
def test_an_array_literal_reaches_the_database_as_exactly_those_values(values):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT %s::text[]", [sql.array_literal(values)])
            assert cursor.fetchone()[0] == values
        else:  # the literal is PostgreSQL syntax; elsewhere check its text
            assert sql.array_literal(["a", None]) == '{"a",NULL}'


@pytest.mark.postgres
def test_an_array_literal_of_uuids_casts_to_uuid_array():
    ids = [uuid.uuid4() for _ in range(3)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::uuid[]", [sql.array_literal(ids)])
        assert cursor.fetchone()[0] == ids
