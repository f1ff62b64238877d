import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.spending import budget_spending
from budgets.tests.factories import BudgetFactory
from ledger.models import Transaction
from ledger.tests.factories import CategoryFactory, TransactionFactory, system_category

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 10, 20)
URL = "/api/v1/budgets/"


def spent_of(budget) -> Decimal:
    return budget_spending(user_id=budget.user_id, budget_id=budget.pk, today=TODAY)[0].spent


def txn(user, amount, day=15, month=10, **fields):
    return TransactionFactory(user=user, amount=Decimal(amount), date=datetime.date(2026, month, day), **fields)


def test_spending_is_minus_the_sum_so_refunds_reduce_it(user):
    budget = BudgetFactory(user=user)
    txn(user, "-40.00")
    txn(user, "-25.50")
    txn(user, "10.25")  # a refund
    assert spent_of(budget) == Decimal("55.25")


def test_child_and_grandchild_categories_count_toward_the_parent(user):
    budget = BudgetFactory(user=user, category=system_category("dining"))
    own = CategoryFactory(user=user, slug="espresso_bars", parent=system_category("coffee"))
    txn(user, "-30.00", category=system_category("dining"))
    txn(user, "-4.50", category=system_category("coffee"))
    txn(user, "-12.00", category=system_category("fast_food"))
    txn(user, "-3.20", category=own)
    txn(user, "-99.00", category=system_category("groceries"))  # not under dining
    assert spent_of(budget) == Decimal("49.70")


def test_a_child_budget_does_not_count_its_parent(user):
    budget = BudgetFactory(user=user, category=system_category("coffee"))
    txn(user, "-30.00", category=system_category("dining"))
    txn(user, "-4.50", category=system_category("coffee"))
    assert spent_of(budget) == Decimal("4.50")


def test_first_and_last_day_are_inside_the_days_around_them_outside(user):
    budget = BudgetFactory(user=user)
    txn(user, "-1.00", day=30, month=9)
    txn(user, "-2.00", day=1, month=10)
    txn(user, "-4.00", day=31, month=10)
    txn(user, "-8.00", day=1, month=11)
    assert spent_of(budget) == Decimal("6.00")


def test_soft_deleted_rows_are_left_out(user):
    budget = BudgetFactory(user=user)
    txn(user, "-5.00")
    txn(user, "-50.00", is_deleted=True, deleted_at=datetime.datetime(2026, 10, 16, tzinfo=datetime.UTC))
    assert spent_of(budget) == Decimal("5.00")


def test_other_users_rows_are_left_out_even_in_a_shared_category(user, other_user):
    budget = BudgetFactory(user=user)
    txn(user, "-5.00")
    txn(other_user, "-70.00")
    # another user's own category placed under groceries does not pull their rows in either
    theirs = CategoryFactory(user=other_user, slug="organic", parent=system_category("groceries"))
    txn(other_user, "-9.00", category=theirs)
    assert spent_of(budget) == Decimal("5.00")


def test_a_budget_without_rows_has_spent_nothing_and_no_suggestion(user):
    budget = BudgetFactory(user=user)
    row = budget_spending(user_id=user.pk, budget_id=budget.pk, today=TODAY)[0]
    assert (row.spent, row.recent_spending) == (Decimal("0.00"), None)


def test_recent_spending_covers_the_90_days_to_today_with_children(user):
    budget = BudgetFactory(user=user, category=system_category("dining"))
    txn(user, "-10.00", day=23, month=7, category=system_category("coffee"))  # 20 Oct - 89 days
    txn(user, "-20.00", day=22, month=7, category=system_category("dining"))  # 90 days back: outside
    txn(user, "-40.00", day=20, month=10, category=system_category("dining"))
    txn(user, "-80.00", day=21, month=10, category=system_category("dining"))  # tomorrow: outside
    row = budget_spending(user_id=user.pk, budget_id=budget.pk, today=TODAY)[0]
    assert row.recent_spending == Decimal("50.00")
    assert row.spent == Decimal("120.00")


def test_a_cycle_of_own_categories_ends(user):
    first = CategoryFactory(user=user, slug="loop_a")
    second = CategoryFactory(user=user, slug="loop_b", parent=first)
    type(first).objects.filter(pk=first.pk).update(parent=second)
    budget = BudgetFactory(user=user, category=first)
    txn(user, "-3.00", category=first)
    txn(user, "-4.00", category=second)
    assert spent_of(budget) == Decimal("7.00")


def test_the_list_reads_every_budgets_spending_in_one_query(auth_client, user, settings):
    settings.BUDGETS_SPENDING_CACHE_SECONDS = 0
    slugs = ["groceries", "dining", "coffee", "transport", "fuel", "shopping", "utilities", "rent"]
    for index, slug in enumerate(slugs):
        BudgetFactory(user=user, category=system_category(slug), amount=Decimal(100 + index))
        txn(user, f"-{index + 1}.00", category=system_category(slug))
    BudgetFactory(user=user, start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2026, 9, 30))
    with CaptureQueriesContext(connection) as captured:
        response = auth_client.get(URL)
    assert response.status_code == 200
    assert len(response.json()) == 9
    statements = [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]]
    assert len([sql for sql in statements if Transaction._meta.db_table in sql]) == 1
    # The token's user, (on PostgreSQL: the planner settings), the statement; nothing per budget.
    assert len(statements) == 2 + (connection.vendor == "postgresql")
    by_category = {item["category"]: item["spent"] for item in response.json() if item["start_date"] == "2026-10-01"}
    # dining includes coffee (3.00); transport includes fuel (5.00)
    assert by_category == {
        "groceries": "1.00", "dining": "5.00", "coffee": "3.00", "transport": "9.00", "fuel": "5.00",
        "shopping": "6.00", "utilities": "7.00", "rent": "8.00",
    }


def test_the_query_count_does_not_grow_with_budgets(auth_client, user, settings):
    settings.BUDGETS_SPENDING_CACHE_SECONDS = 0
    BudgetFactory(user=user)
    with CaptureQueriesContext(connection) as one:
        auth_client.get(URL)
    for slug in ["dining", "coffee", "transport", "fuel", "shopping", "utilities", "rent", "health"]:
        BudgetFactory(user=user, category=system_category(slug))
    with CaptureQueriesContext(connection) as nine:
        auth_client.get(URL)
    assert len(nine.captured_queries) == len(one.captured_queries)
