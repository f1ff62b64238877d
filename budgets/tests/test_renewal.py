import datetime
from decimal import Decimal

import pytest

from budgets import services, tasks
from budgets.models import Budget, BudgetPeriod
from budgets.periods import add_months, calendar_period, next_period, period_end
from budgets.tests.factories import BudgetFactory
from ledger.tests.factories import TransactionFactory, system_category

URL = "/api/v1/budgets/"
D = datetime.date


def renew_url(budget):
    return f"{URL}{budget.pk}/renew/"


# --- calendar -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "period", "expected"),
    [
        (D(2026, 10, 1), D(2026, 10, 31), "monthly", (D(2026, 11, 1), D(2026, 11, 30))),
        (D(2026, 1, 1), D(2026, 1, 31), "monthly", (D(2026, 2, 1), D(2026, 2, 28))),
        (D(2027, 12, 1), D(2027, 12, 31), "monthly", (D(2028, 1, 1), D(2028, 1, 31))),
        (D(2026, 9, 15), D(2026, 10, 14), "monthly", (D(2026, 10, 15), D(2026, 11, 14))),
        (D(2026, 10, 12), D(2026, 10, 18), "weekly", (D(2026, 10, 19), D(2026, 10, 25))),
        (D(2026, 7, 1), D(2026, 9, 30), "quarterly", (D(2026, 10, 1), D(2026, 12, 31))),
        (D(2026, 10, 1), D(2026, 12, 31), "quarterly", (D(2027, 1, 1), D(2027, 3, 31))),
        (D(2026, 1, 1), D(2026, 12, 31), "yearly", (D(2027, 1, 1), D(2027, 12, 31))),
        (D(2023, 3, 1), D(2024, 2, 29), "yearly", (D(2024, 3, 1), D(2025, 2, 28))),
        (D(2026, 10, 1), D(2026, 10, 10), "custom", (D(2026, 10, 11), D(2026, 10, 20))),
        (D(2026, 2, 20), D(2026, 3, 5), "custom", (D(2026, 3, 6), D(2026, 3, 19))),
    ],
)
def test_the_next_period_is_the_next_calendar_period_or_as_many_days(start, end, period, expected):
    assert next_period(start=start, end=end, period=period) == expected


def test_calendar_helpers():
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert period_end(D(2026, 10, 1), "monthly") == D(2026, 10, 31)
    assert calendar_period(D(2026, 10, 20), "week") == (D(2026, 10, 19), D(2026, 10, 25))
    assert calendar_period(D(2026, 2, 3), "quarter") == (D(2026, 1, 1), D(2026, 3, 31))
    with pytest.raises(ValueError):
        period_end(D(2026, 10, 1), "custom")


# --- renew over the API (today is 20 October 2026) -------------------------------------------------
@pytest.mark.django_db
def test_renewing_a_september_budget_gives_october_and_its_history(auth_client, user):
    ended = BudgetFactory(
        user=user, amount=Decimal("80.00"), start_date=D(2026, 9, 1), end_date=D(2026, 9, 30), auto_renew=True
    )
    TransactionFactory(user=user, amount=Decimal("-100.00"), date=D(2026, 9, 30))
    TransactionFactory(user=user, amount=Decimal("-20.00"), date=D(2026, 10, 2))
    response = auth_client.post(renew_url(ended))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["start_date"], body["end_date"], body["amount"], body["period"], body["auto_renew"]) == (
        "2026-10-01", "2026-10-31", "80.00", "monthly", True,
    )
    assert (body["spent"], body["percentage"]) == ("20.00", 25.0)
    [period] = BudgetPeriod.objects.all()
    assert (period.budget_id, period.start_date, period.end_date, period.amount, period.spent, period.percentage) == (
        ended.pk, D(2026, 9, 1), D(2026, 9, 30), Decimal("80.00"), Decimal("100.00"), Decimal("125.00"),
    )
    history = auth_client.get(f"{URL}{body['id']}/history/").json()
    assert history == [{
        "id": str(period.pk), "budget": str(ended.pk), "category": "groceries", "start_date": "2026-09-01",
        "end_date": "2026-09-30", "amount": "80.00", "spent": "100.00", "remaining": "-20.00", "percentage": 125.0,
        "closed_at": history[0]["closed_at"],
    }]


@pytest.mark.django_db
def test_a_custom_budget_renews_for_as_many_days(auth_client, user):
    ended = BudgetFactory(user=user, period="custom", start_date=D(2026, 10, 1), end_date=D(2026, 10, 10))
    body = auth_client.post(renew_url(ended)).json()
    assert (body["start_date"], body["end_date"], body["period"]) == ("2026-10-11", "2026-10-20", "custom")


@pytest.mark.django_db
def test_renewal_is_refused_before_the_end(auth_client, user):
    running = BudgetFactory(user=user)  # October: runs until the 31st
    last_day_today = BudgetFactory(
        user=user, category=system_category("dining"), period="custom", start_date=D(2026, 10, 11), end_date=D(2026, 10, 20)
    )
    for budget in (running, last_day_today):
        response = auth_client.post(renew_url(budget))
        assert (response.status_code, response.json()["code"]) == (409, "budget_not_ended")
    assert Budget.objects.count() == 2 and not BudgetPeriod.objects.exists()


@pytest.mark.django_db
def test_a_second_renewal_is_refused(auth_client, user):
    ended = BudgetFactory(user=user, start_date=D(2026, 9, 1), end_date=D(2026, 9, 30))
    first = auth_client.post(renew_url(ended))
    second = auth_client.post(renew_url(ended))
    assert first.status_code == 201
    assert (second.status_code, second.json()["code"]) == (409, "budget_already_renewed")
    assert second.json()["existing"] == {"id": first.json()["id"]}
    assert Budget.objects.count() == 2 and BudgetPeriod.objects.count() == 1


@pytest.mark.django_db
def test_a_budget_that_ended_more_than_a_period_ago_is_not_renewed(auth_client, user):
    ended = BudgetFactory(user=user, start_date=D(2026, 8, 1), end_date=D(2026, 8, 31))
    response = auth_client.post(renew_url(ended))
    assert (response.status_code, response.json()["code"]) == (409, "budget_renewal_expired")
    assert "create a new budget" in response.json()["detail"]
    assert Budget.objects.count() == 1 and not BudgetPeriod.objects.exists()


@pytest.mark.django_db
def test_renewal_uses_the_users_own_today(auth_client, user):
    # 20 Oct 12:00 UTC is 21 Oct 01:00 in Auckland: a budget ending on the 20th has ended there.
    user.preferences = {**user.preferences, "timezone": "Pacific/Auckland"}
    user.save()
    budget = BudgetFactory(user=user, period="custom", start_date=D(2026, 10, 11), end_date=D(2026, 10, 20))
    assert auth_client.post(renew_url(budget)).status_code == 201


# --- the nightly task ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_nightly_task_renews_auto_renewing_budgets_once(user, other_user):
    auto = BudgetFactory(user=user, start_date=D(2026, 9, 1), end_date=D(2026, 9, 30), auto_renew=True, amount=Decimal("50.00"))
    manual = BudgetFactory(user=user, category=system_category("dining"), start_date=D(2026, 9, 1), end_date=D(2026, 9, 30))
    theirs = BudgetFactory(user=other_user, period="weekly", start_date=D(2026, 10, 12), end_date=D(2026, 10, 18), auto_renew=True)
    running = BudgetFactory(user=user, category=system_category("rent"), auto_renew=True)
    TransactionFactory(user=user, amount=Decimal("-30.00"), date=D(2026, 9, 5))
    assert tasks.scheduled_renew_budgets() == {"closed": 3, "renewed": 2}
    assert tasks.scheduled_renew_budgets() == {"closed": 0, "renewed": 0}
    renewed = Budget.objects.get(user=user, category=auto.category, start_date=D(2026, 10, 1))
    assert (renewed.end_date, renewed.amount, renewed.auto_renew) == (D(2026, 10, 31), Decimal("50.00"), True)
    assert Budget.objects.get(user=other_user, start_date=D(2026, 10, 19)).end_date == D(2026, 10, 25)
    assert not Budget.objects.filter(user=user, category=manual.category, start_date=D(2026, 10, 1)).exists()
    assert set(BudgetPeriod.objects.values_list("budget_id", "spent")) == {
        (auto.pk, Decimal("30.00")), (manual.pk, Decimal("0.00")), (theirs.pk, Decimal("0.00")),
    }
    assert not BudgetPeriod.objects.filter(budget=running).exists()
    assert Budget.objects.count() == 6


@pytest.mark.django_db
def test_the_nightly_task_catches_up_missed_periods(user):
    BudgetFactory(user=user, period="weekly", start_date=D(2026, 9, 21), end_date=D(2026, 9, 27), auto_renew=True)
    assert tasks.scheduled_renew_budgets() == {"closed": 4, "renewed": 4}
    starts = list(Budget.objects.order_by("start_date").values_list("start_date", flat=True))
    assert starts == [D(2026, 9, 21), D(2026, 9, 28), D(2026, 10, 5), D(2026, 10, 12), D(2026, 10, 19)]
    assert BudgetPeriod.objects.count() == 4
    assert tasks.scheduled_renew_budgets() == {"closed": 0, "renewed": 0}


@pytest.mark.django_db
def test_a_renewal_already_made_by_hand_is_not_made_again(user):
    ended = BudgetFactory(user=user, start_date=D(2026, 9, 1), end_date=D(2026, 9, 30), auto_renew=True)
    BudgetFactory(user=user, amount=Decimal("70.00"))  # October, made by the user
    assert services.budgets_close_ended() == {"closed": 1, "renewed": 0}
    assert Budget.objects.get(start_date=D(2026, 10, 1)).amount == Decimal("70.00")
    assert BudgetPeriod.objects.get().budget_id == ended.pk


def test_the_nightly_task_is_scheduled_at_three_on_the_scheduled_queue(settings):
    from config.celery import app

    [entry] = [spec for spec in settings.BEAT_SCHEDULES.values() if spec["task"] == "budgets.tasks.scheduled_renew_budgets"]
    assert entry["crontab"] == {"minute": "0", "hour": "3"}
    assert app.amqp.router.route({}, "budgets.tasks.scheduled_renew_budgets")["queue"].name == "scheduled"
