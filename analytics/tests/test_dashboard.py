"""Each KPI on the hand-computed ledger of conftest.py: January 2024 has salary 3000, groceries
100 + 60 (Corner Grocer), shopping 200 with a 50 refund (Big Shop), dining 40, beans 10 (the
user's category under dining), a 500 transfer between own accounts, a deleted row, another
user's row; December 2023 has salary 2000 and groceries 80 (on the 31st)."""

import pytest

from ledger import services as ledger_services

pytestmark = pytest.mark.django_db
BASE = "/api/v1/analytics/"
JANUARY = {"since": "2024-01-01", "until": "2024-01-31"}


def test_the_summary_of_january(auth_client, ledger):
    body = auth_client.get(f"{BASE}summary/", JANUARY).json()
    assert body["income"] == "3000.00"
    assert body["expenses"] == "360.00"  # 100 + 200 - 50 + 40 + 10 + 60: the refund reduces it
    assert body["net"] == "2640.00"
    assert body["savings_rate"] == 0.88
    assert body["average_daily_spend"] == "11.61"  # 360 / 31
    assert body["transaction_count"] == 7  # transfers, the deleted row and February left out
    assert [(c["slug"], c["spent"], c["share"]) for c in body["top_categories"]] == [
        ("groceries", "160.00", 0.4444), ("shopping", "150.00", 0.4167), ("dining", "40.00", 0.1111), ("beans", "10.00", 0.0278),
    ]
    assert [(m["name"], m["spent"], m["share"]) for m in body["top_merchants"]] == [
        ("Corner Grocer", "160.00", 0.4444), ("Big Shop", "150.00", 0.4167),
    ]
    assert body["top_merchants"][0]["id"] == str(ledger["grocer"].pk)


def test_the_summary_compares_with_the_previous_period_of_equal_length(auth_client, ledger):
    body = auth_client.get(f"{BASE}summary/", JANUARY).json()
    previous = body["previous"]
    assert (previous["since"], previous["until"]) == ("2023-12-01", "2023-12-31")
    assert (previous["income"], previous["expenses"], previous["net"]) == ("2000.00", "80.00", "1920.00")
    assert previous["transaction_count"] == 2
    assert body["change"] == {
        "income": {"amount": "1000.00", "percent": 50.0},
        "expenses": {"amount": "280.00", "percent": 350.0},
        "net": {"amount": "720.00", "percent": 37.5},
        "transaction_count": 5,
    }


def test_the_summary_of_one_account_and_of_an_empty_range(auth_client, ledger):
    savings = auth_client.get(f"{BASE}summary/", {**JANUARY, "account": str(ledger["savings"].pk)}).json()
    assert (savings["income"], savings["expenses"], savings["transaction_count"]) == ("0.00", "0.00", 0)
    empty = auth_client.get(f"{BASE}summary/", {"since": "2025-01-01", "until": "2025-01-31"}).json()
    assert empty["income"] == empty["expenses"] == empty["net"] == "0.00"
    assert empty["savings_rate"] is None
    assert empty["top_categories"] == empty["top_merchants"] == []
    assert empty["change"]["income"] == {"amount": "0.00", "percent": None}


def test_a_year_crosses_the_year_boundary(auth_client, ledger):
    body = auth_client.get(f"{BASE}summary/", {"since": "2023-12-31", "until": "2024-01-01"}).json()
    assert (body["income"], body["expenses"], body["transaction_count"]) == ("3000.00", "80.00", 2)


def test_the_monthly_timeseries_by_category_is_gap_filled(auth_client, ledger):
    body = auth_client.get(f"{BASE}timeseries/", {"since": "2023-11-01", "until": "2024-01-31", "interval": "month"}).json()
    assert body["labels"] == ["2023-11", "2023-12", "2024-01"]
    assert [(s["name"], s["values"]) for s in body["series"]] == [
        ("Groceries", ["0.00", "80.00", "160.00"]),
        ("Shopping", ["0.00", "0.00", "150.00"]),
        ("Dining", ["0.00", "0.00", "40.00"]),
        ("Beans", ["0.00", "0.00", "10.00"]),
    ]
    assert body["series"][3]["key"] == str(ledger["beans"].pk)


def test_the_weekly_timeseries_by_merchant(auth_client, ledger):
    body = auth_client.get(
        f"{BASE}timeseries/", {**JANUARY, "interval": "week", "group_by": "merchant"}
    ).json()
    # 2024-01-01 is a Monday; the week of the 29th holds the 31st.
    assert body["labels"] == ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29"]
    assert {s["name"]: s["values"] for s in body["series"]} == {
        "Corner Grocer": ["100.00", "0.00", "0.00", "0.00", "60.00"],
        "Big Shop": ["0.00", "150.00", "0.00", "0.00", "0.00"],
        "Unmatched": ["0.00", "0.00", "50.00", "0.00", "0.00"],
    }


def test_the_timeseries_by_account_and_by_day(auth_client, ledger):
    body = auth_client.get(f"{BASE}timeseries/", {"since": "2024-01-30", "until": "2024-02-01", "interval": "day", "group_by": "account"}).json()
    assert body["labels"] == ["2024-01-30", "2024-01-31", "2024-02-01"]
    assert [(s["name"], s["values"]) for s in body["series"]] == [("Checking", ["0.00", "60.00", "1000.00"])]


def test_the_cashflow_per_month_with_running_balance(auth_client, ledger):
    body = auth_client.get(f"{BASE}cashflow/", {"since": "2023-12-01", "until": "2024-01-31"}).json()
    assert body["buckets"] == [
        {"label": "2023-12", "start": "2023-12-01", "in": "2000.00", "out": "80.00", "net": "1920.00", "running_balance": "1920.00"},
        {"label": "2024-01", "start": "2024-01-01", "in": "3050.00", "out": "410.00", "net": "2640.00", "running_balance": "4560.00"},
    ]
    assert (body["total_in"], body["total_out"], body["net"]) == ("5050.00", "490.00", "4560.00")


def test_the_category_tree_rolls_children_up(auth_client, ledger):
    body = auth_client.get(f"{BASE}categories/", JANUARY).json()
    assert body["total_spent"] == "360.00"
    tree = {n["slug"]: n for n in body["categories"]}
    assert list(tree) == ["dining", "groceries", "income", "shopping"]
    assert (tree["dining"]["spent"], tree["dining"]["total"]) == ("40.00", "50.00")
    assert [(c["slug"], c["total"]) for c in tree["dining"]["children"]] == [("beans", "10.00")]
    assert (tree["income"]["spent"], tree["income"]["total"], tree["income"]["is_income"]) == ("0.00", "-3000.00", True)
    assert tree["income"]["children"][0]["slug"] == "salary"
    assert tree["shopping"]["total"] == "150.00"


@pytest.mark.parametrize("params", [
    {"since": "2024-02-01", "until": "2024-01-01"},
    {"since": "not-a-date"},
    {"account": "not-a-uuid"},
    {"since": "2000-01-01", "until": "2024-01-01"},
])
def test_bad_scopes_are_400(auth_client, ledger, params):
    response = auth_client.get(f"{BASE}summary/", params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_bad_series_parameters_are_400(auth_client, ledger):
    assert auth_client.get(f"{BASE}timeseries/", {"interval": "hour"}).status_code == 400
    assert auth_client.get(f"{BASE}timeseries/", {"group_by": "weekday"}).status_code == 400
    too_many = auth_client.get(f"{BASE}cashflow/", {"since": "2015-01-01", "until": "2024-01-01", "interval": "day"})
    assert too_many.status_code == 400


def test_another_users_account_is_a_400_and_reveals_nothing(auth_client, ledger, other_user):
    from ledger.tests.factories import AccountFactory

    foreign = AccountFactory(user=other_user)
    response = auth_client.get(f"{BASE}summary/", {**JANUARY, "account": str(foreign.pk)})
    assert response.status_code == 400
    assert response.json()["errors"] == {"account": ["Unknown account."]}


def test_a_write_is_visible_in_the_next_summary(auth_client, user, ledger, django_capture_on_commit_callbacks):
    assert auth_client.get(f"{BASE}summary/", JANUARY).json()["expenses"] == "360.00"
    with django_capture_on_commit_callbacks(execute=True):
        ledger_services.transaction_create(user=user, date=ledger["rows"]["dining"].date, amount="-15.00", category="dining", merchant_raw="Cafe")
    assert auth_client.get(f"{BASE}summary/", JANUARY).json()["expenses"] == "375.00"
    with django_capture_on_commit_callbacks(execute=True):
        ledger_services.transaction_delete(user=user, transaction_id=ledger["rows"]["shopping"].pk)
    assert auth_client.get(f"{BASE}summary/", JANUARY).json()["expenses"] == "175.00"


def test_answers_are_cached_until_the_users_ledger_changes(auth_client, user, other_user, ledger, django_assert_num_queries, is_postgres):
    auth_client.get(f"{BASE}summary/", JANUARY)
    from analytics.cache import user_cache_forget
    from conftest import authenticated_client

    with django_assert_num_queries(1):  # authentication only
        cached = auth_client.get(f"{BASE}summary/", JANUARY)
    assert cached.json()["expenses"] == "360.00"
    user_cache_forget(user_id=other_user.pk)  # another user's write leaves mine cached
    with django_assert_num_queries(1):
        auth_client.get(f"{BASE}summary/", JANUARY)
    user_cache_forget(user_id=user.pk)
    with django_assert_num_queries(4 + 3 * is_postgres):  # + aggregate, categories, merchant names (+ SET LOCAL jit, savepoint)
        auth_client.get(f"{BASE}summary/", JANUARY)
    assert authenticated_client(other_user).get(f"{BASE}summary/", JANUARY).json()["expenses"] == "777.00"


@pytest.mark.postgres
def test_postgresql_has_the_covering_index_for_the_aggregates():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'txn_user_date_analytics'")
        definition = cursor.fetchone()[0]
    assert "(user_id, date) INCLUDE (amount, category_id, merchant_id, account_id) WHERE (NOT is_deleted)" in definition
