import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets import cache as spending_cache
from budgets.tests.factories import BudgetFactory
from ledger.models import Transaction
from ledger.tests.factories import TransactionFactory, system_category

pytestmark = pytest.mark.django_db
URL = "/api/v1/budgets/"
D = datetime.date


def reads_of_transactions(captured) -> int:
    return sum(Transaction._meta.db_table in query["sql"] for query in captured.captured_queries)


def test_a_second_read_is_served_from_the_cache(auth_client, user):
    BudgetFactory(user=user)
    TransactionFactory(user=user, amount=Decimal("-40.00"), date=D(2026, 10, 3))
    first = auth_client.get(URL).json()
    with CaptureQueriesContext(connection) as captured:
        second = auth_client.get(URL).json()
        status = auth_client.get(f"{URL}status/").json()
    assert reads_of_transactions(captured) == 0
    assert first == second
    assert status["total_spent"] == "40.00"


def test_a_transaction_write_drops_the_cached_figures(auth_client, user, account, django_capture_on_commit_callbacks):
    BudgetFactory(user=user)
    assert auth_client.get(URL).json()[0]["spent"] == "0.00"
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            "/api/v1/transactions/",
            {"date": "2026-10-05", "amount": "-12.34", "merchant_raw": "CORNER GROCER", "category": "groceries", "account": str(account.pk)},
            format="json",
        )
    assert response.status_code == 201
    assert auth_client.get(URL).json()[0]["spent"] == "12.34"


def test_a_budget_write_drops_the_cached_figures(auth_client, user, django_capture_on_commit_callbacks):
    budget = BudgetFactory(user=user)
    assert auth_client.get(URL).json()[0]["amount"] == "100.00"
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.patch(f"{URL}{budget.pk}/", {"amount": "150.00"}, format="json")
    assert auth_client.get(URL).json()[0]["amount"] == "150.00"
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.delete(f"{URL}{budget.pk}/")
    assert auth_client.get(URL).json() == []


def test_figures_computed_while_a_write_committed_are_not_served(user):
    computed = []

    def compute_racing_a_write():
        # The write commits (and drops the figures) while this computation is under way.
        spending_cache.forget(user_id=user.pk)
        computed.append("stale")
        return "stale"

    today = D(2026, 10, 20)
    assert spending_cache.remember(user_id=user.pk, today=today, compute=compute_racing_a_write) == "stale"
    assert spending_cache.remember(user_id=user.pk, today=today, compute=lambda: "fresh") == "fresh"
    assert spending_cache.remember(user_id=user.pk, today=today, compute=lambda: "never") == "fresh"


def test_figures_are_kept_per_day(user):
    assert spending_cache.remember(user_id=user.pk, today=D(2026, 10, 20), compute=lambda: "monday") == "monday"
    assert spending_cache.remember(user_id=user.pk, today=D(2026, 10, 21), compute=lambda: "tuesday") == "tuesday"


def test_with_and_without_the_cache_the_figures_agree(auth_client, user, settings):
    for slug, amount in [("groceries", "-40.00"), ("coffee", "-7.00"), ("dining", "-30.00"), ("groceries", "5.00")]:
        TransactionFactory(user=user, amount=Decimal(amount), date=D(2026, 10, 3), category=system_category(slug))
    BudgetFactory(user=user)
    BudgetFactory(user=user, category=system_category("dining"), amount=Decimal("40.00"))
    cached = [auth_client.get(URL).json(), auth_client.get(URL).json(), auth_client.get(f"{URL}status/").json()]
    settings.BUDGETS_SPENDING_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as captured:
        plain = [auth_client.get(URL).json(), auth_client.get(URL).json(), auth_client.get(f"{URL}status/").json()]
    assert reads_of_transactions(captured) == 3
    assert cached == plain
    assert [item["spent"] for item in plain[0]] == ["37.00", "35.00"]  # dining includes coffee; the refund counts
