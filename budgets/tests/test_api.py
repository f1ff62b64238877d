import datetime
from decimal import Decimal

import pytest

from budgets.models import Budget, BudgetPeriod
from budgets.tests.factories import BudgetFactory
from ledger.tests.factories import CategoryFactory, TransactionFactory, system_category

pytestmark = pytest.mark.django_db
URL = "/api/v1/budgets/"
FIELDS = {
    "id", "category", "amount", "period", "start_date", "end_date", "auto_renew", "spent", "remaining",
    "percentage", "suggested_amount", "state", "created_at", "updated_at",
}


def detail(budget):
    return f"{URL}{budget.pk}/"


def txn(user, amount, day=15, month=10, **fields):
    return TransactionFactory(user=user, amount=Decimal(amount), date=datetime.date(2026, month, day), **fields)


# --- list and create -------------------------------------------------------------------------
def test_the_list_shows_my_budgets_with_their_figures(auth_client, user, other_user):
    BudgetFactory(user=user, amount=Decimal("200.00"))
    BudgetFactory(user=other_user)
    txn(user, "-170.00")
    txn(user, "-5.00", month=9)
    response = auth_client.get(URL)
    assert response.status_code == 200
    [item] = response.json()
    assert set(item) == FIELDS
    assert (item["category"], item["amount"], item["spent"], item["remaining"]) == ("groceries", "200.00", "170.00", "30.00")
    assert item["percentage"] == 85.0
    assert item["state"] == "at_risk"
    # (170 + 5) / 3 x 1.1 = 64.17, rounded up to 65
    assert item["suggested_amount"] == "65.00"
    assert (item["period"], item["start_date"], item["end_date"], item["auto_renew"]) == ("monthly", "2026-10-01", "2026-10-31", False)


def test_the_list_filters_active_and_category(auth_client, user):
    current = BudgetFactory(user=user)
    BudgetFactory(user=user, start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2026, 9, 30))
    dining = BudgetFactory(user=user, category=system_category("dining"))
    assert {item["id"] for item in auth_client.get(URL, {"active": "true"}).json()} == {str(current.pk), str(dining.pk)}
    assert [item["start_date"] for item in auth_client.get(URL, {"active": "false"}).json()] == ["2026-09-01"]
    assert [item["id"] for item in auth_client.get(URL, {"category": "dining"}).json()] == [str(dining.pk)]
    assert auth_client.get(URL, {"active": "maybe"}).status_code == 400


def test_create_derives_the_calendar_end_and_answers_201(auth_client, user):
    response = auth_client.post(URL, {"category": "groceries", "amount": "450.00", "start_date": "2026-10-01"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["end_date"], body["period"], body["amount"], body["spent"]) == ("2026-10-31", "monthly", "450.00", "0.00")
    budget = Budget.objects.get(pk=body["id"])
    assert (budget.user_id, budget.category.slug) == (user.pk, "groceries")


def test_posting_the_same_category_and_start_again_updates_it(auth_client, user):
    first = auth_client.post(URL, {"category": "groceries", "amount": "450.00", "start_date": "2026-10-01"}, format="json")
    second = auth_client.post(
        URL,
        {"category": "groceries", "amount": "300.00", "start_date": "2026-10-01", "period": "custom",
         "end_date": "2026-10-15", "auto_renew": True},
        format="json",
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    budget = Budget.objects.get(user=user)
    assert (budget.amount, budget.period, budget.end_date, budget.auto_renew) == (
        Decimal("300.00"), "custom", datetime.date(2026, 10, 15), True,
    )


def test_another_users_budget_for_the_same_category_and_date_is_not_touched(auth_client, user, other_user):
    theirs = BudgetFactory(user=other_user)
    response = auth_client.post(URL, {"category": "groceries", "amount": "50.00", "start_date": "2026-10-01"}, format="json")
    assert response.status_code == 201
    theirs.refresh_from_db()
    assert theirs.amount == Decimal("100.00")
    assert Budget.objects.count() == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": 12.5}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"end_date": "2026-10-01"}, "end_date"),
        ({"end_date": "2026-09-30"}, "end_date"),
        ({"category": "no_such_thing"}, "category"),
        ({"period": "fortnightly"}, "period"),
        ({"period": "custom"}, "end_date"),
        ({"start_date": "yesterday"}, "start_date"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(auth_client, user, payload, field):
    body = {"category": "groceries", "amount": "100.00", "start_date": "2026-10-01", **payload}
    response = auth_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert not Budget.objects.exists()


def test_a_budget_cannot_use_another_users_category(auth_client, user, other_user):
    CategoryFactory(user=other_user, slug="their_hobby")
    response = auth_client.post(URL, {"category": "their_hobby", "amount": "10.00", "start_date": "2026-10-01"}, format="json")
    assert response.status_code == 400
    assert "category" in response.json()["errors"]


def test_my_own_category_can_be_budgeted(auth_client, user):
    own = CategoryFactory(user=user, slug="board_games")
    txn(user, "-30.00", category=own)
    response = auth_client.post(URL, {"category": "board_games", "amount": "60.00", "start_date": "2026-10-01"}, format="json")
    assert response.status_code == 201
    assert (response.json()["spent"], response.json()["percentage"]) == ("30.00", 50.0)


# --- one budget --------------------------------------------------------------------------------
def test_retrieve_patch_and_delete_my_budget(auth_client, user):
    budget = BudgetFactory(user=user)
    txn(user, "-50.00")
    assert auth_client.get(detail(budget)).json()["spent"] == "50.00"
    response = auth_client.patch(detail(budget), {"amount": "250.00", "auto_renew": True}, format="json")
    assert response.status_code == 200
    assert (response.json()["amount"], response.json()["percentage"], response.json()["auto_renew"]) == ("250.00", 20.0, True)
    assert auth_client.delete(detail(budget)).status_code == 204
    assert not Budget.objects.exists()


def test_patching_the_period_kind_moves_the_end_to_its_calendar_end(auth_client, user):
    budget = BudgetFactory(user=user)
    body = auth_client.patch(detail(budget), {"period": "weekly", "start_date": "2026-10-19"}, format="json").json()
    assert (body["period"], body["start_date"], body["end_date"]) == ("weekly", "2026-10-19", "2026-10-25")
    body = auth_client.patch(detail(budget), {"period": "custom"}, format="json").json()
    assert body["end_date"] == "2026-10-25"


def test_patch_refuses_an_end_before_the_start_and_a_taken_start(auth_client, user):
    budget = BudgetFactory(user=user)
    BudgetFactory(user=user, start_date=datetime.date(2026, 11, 1), end_date=datetime.date(2026, 11, 30))
    response = auth_client.patch(detail(budget), {"end_date": "2026-09-01"}, format="json")
    assert response.status_code == 400
    assert "end_date" in response.json()["errors"]
    response = auth_client.patch(detail(budget), {"start_date": "2026-11-01", "end_date": "2026-11-30"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "budget_exists")
    budget.refresh_from_db()
    assert (budget.start_date, budget.end_date) == (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))


def test_another_users_budget_is_404_everywhere_and_unchanged(auth_client, other_user):
    theirs = BudgetFactory(user=other_user, auto_renew=True, start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2026, 9, 30))
    assert auth_client.get(detail(theirs)).status_code == 404
    assert auth_client.patch(detail(theirs), {"amount": "1.00"}, format="json").status_code == 404
    assert auth_client.post(f"{detail(theirs)}renew/").status_code == 404
    assert auth_client.get(f"{detail(theirs)}history/").status_code == 404
    response = auth_client.delete(detail(theirs))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    theirs.refresh_from_db()
    assert theirs.amount == Decimal("100.00")
    assert Budget.objects.filter(user=other_user).count() == 1
    assert not BudgetPeriod.objects.exists()
    assert auth_client.get(URL).json() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("post", ""), ("get", "status/"), ("get", "suggestions/"), ("get", "comparison/"),
     ("get", "{id}/"), ("patch", "{id}/"), ("delete", "{id}/"), ("post", "{id}/renew/"), ("get", "{id}/history/")],
)
def test_anonymous_requests_are_401(api_client, user, method, path):
    budget = BudgetFactory(user=user)
    response = getattr(api_client, method)(URL + path.format(id=budget.pk))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert Budget.objects.get(pk=budget.pk).amount == Decimal("100.00")


def test_an_unknown_id_is_a_json_404(auth_client):
    response = auth_client.get(f"{URL}not-a-uuid/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- status -------------------------------------------------------------------------------------
def test_status_totals_and_groups_the_current_budgets(auth_client, user, other_user):
    BudgetFactory(user=user, category=system_category("groceries"), amount=Decimal("100.00"))
    BudgetFactory(user=user, category=system_category("dining"), amount=Decimal("200.00"))
    BudgetFactory(user=user, category=system_category("transport"), amount=Decimal("50.00"))
    BudgetFactory(user=user, category=system_category("rent"), amount=Decimal("1000.00"), start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2026, 9, 30))
    BudgetFactory(user=other_user, amount=Decimal("1.00"))
    txn(user, "-120.00", category=system_category("groceries"))
    txn(user, "-170.00", category=system_category("coffee"))
    txn(user, "-10.00", category=system_category("fuel"))
    txn(user, "-900.00", category=system_category("rent"), month=9)
    txn(other_user, "-500.00")
    body = auth_client.get(f"{URL}status/").json()
    assert {key: body[key] for key in ("date", "total_budgeted", "total_spent", "total_remaining", "percentage")} == {
        "date": "2026-10-20", "total_budgeted": "350.00", "total_spent": "300.00", "total_remaining": "50.00", "percentage": 85.71,
    }
    assert (body["over_budget_count"], body["at_risk_count"], body["healthy_count"]) == (1, 1, 1)
    assert [(item["category"], item["percentage"]) for item in body["over_budget"]] == [("groceries", 120.0)]
    assert [(item["category"], item["percentage"]) for item in body["at_risk"]] == [("dining", 85.0)]
    assert [(item["category"], item["percentage"]) for item in body["healthy"]] == [("transport", 20.0)]


def test_status_without_budgets_is_all_zero(auth_client):
    body = auth_client.get(f"{URL}status/").json()
    assert body["total_budgeted"] == "0.00" and body["percentage"] == 0.0
    assert body["over_budget"] == body["at_risk"] == body["healthy"] == []


# --- suggestions and comparison --------------------------------------------------------------------
def test_suggestions_average_the_last_90_days_with_a_floor_and_a_flag(auth_client, user, other_user):
    BudgetFactory(user=user, category=system_category("health"))
    txn(user, "-300.00", category=system_category("groceries"), month=8)
    txn(user, "-60.00", category=system_category("groceries"), month=10)
    txn(user, "-2.00", category=system_category("coffee"), month=9)
    txn(user, "-45000.00", category=system_category("travel"), month=9)
    txn(user, "4200.00", category=system_category("salary"), month=9)
    txn(user, "-999.00", category=system_category("groceries"), day=1, month=7)  # before the window
    txn(other_user, "-777.00", category=system_category("rent"))
    body = {item["category"]: item for item in auth_client.get(f"{URL}suggestions/").json()}
    assert set(body) == {"travel", "groceries", "dining", "coffee", "health"}
    assert body["groceries"] == {
        "category": "groceries", "average_monthly_spending": "120.00", "suggested_amount": "132.00",
        "current_budget": None, "budget_id": None, "flagged": False, "flag_reason": None,
    }
    # 2.00 / 3 x 1.1 = 0.74: the floor
    assert (body["coffee"]["suggested_amount"], body["dining"]["suggested_amount"]) == ("10.00", "10.00")
    assert (body["travel"]["average_monthly_spending"], body["travel"]["suggested_amount"]) == ("15000.00", "16500.00")
    assert (body["travel"]["flagged"], body["travel"]["flag_reason"]) == (True, "unusually_high")
    assert body["health"]["suggested_amount"] is None and body["health"]["current_budget"] == "100.00"


def test_comparison_of_this_month_with_the_last(auth_client, user, other_user):
    txn(user, "-100.00", category=system_category("groceries"), month=9)
    txn(user, "-150.00", category=system_category("groceries"), month=10)
    txn(user, "-40.00", category=system_category("dining"), month=9)
    txn(user, "-20.00", category=system_category("coffee"), month=10)
    txn(user, "-999.00", category=system_category("coffee"), day=25, month=10)  # after today
    txn(user, "4200.00", category=system_category("salary"), month=10)
    txn(other_user, "-500.00", category=system_category("groceries"), month=10)
    body = auth_client.get(f"{URL}comparison/", {"period": "month"}).json()
    assert body["current"] == {"start_date": "2026-10-01", "end_date": "2026-10-31", "through": "2026-10-20"}
    assert body["previous"] == {"start_date": "2026-09-01", "end_date": "2026-09-30"}
    assert body["categories"] == [
        {"category": "groceries", "current": "150.00", "previous": "100.00", "change": "50.00", "change_percentage": 50.0},
        {"category": "coffee", "current": "20.00", "previous": "0.00", "change": "20.00", "change_percentage": None},
        {"category": "dining", "current": "0.00", "previous": "40.00", "change": "-40.00", "change_percentage": -100.0},
    ]
    assert body["totals"] == {"current": "170.00", "previous": "140.00", "change": "30.00", "change_percentage": 21.43}


def test_comparison_takes_other_periods_and_refuses_unknown_ones(auth_client, user):
    body = auth_client.get(f"{URL}comparison/", {"period": "quarter"}).json()
    assert (body["current"]["start_date"], body["previous"]["start_date"], body["previous"]["end_date"]) == ("2026-10-01", "2026-07-01", "2026-09-30")
    week = auth_client.get(f"{URL}comparison/", {"period": "week"}).json()
    assert (week["current"]["start_date"], week["previous"]["end_date"]) == ("2026-10-19", "2026-10-18")
    assert auth_client.get(f"{URL}comparison/").json()["period"] == "month"
    response = auth_client.get(f"{URL}comparison/", {"period": "decade"})
    assert response.status_code == 400 and "period" in response.json()["errors"]


def test_the_schema_documents_every_budget_endpoint(auth_client):
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path in ["/api/v1/budgets/", "/api/v1/budgets/status/", "/api/v1/budgets/suggestions/",
                 "/api/v1/budgets/comparison/", "/api/v1/budgets/{budget_id}/", "/api/v1/budgets/{budget_id}/renew/",
                 "/api/v1/budgets/{budget_id}/history/"]:
        assert path in paths, path
        for operation in paths[path].values():
            assert "401" in operation["responses"], path
    assert "409" in paths["/api/v1/budgets/{budget_id}/renew/"]["post"]["responses"]
    assert "404" in paths["/api/v1/budgets/{budget_id}/"]["get"]["responses"]
