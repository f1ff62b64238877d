import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets import tasks
from budgets.models import AlertLevel, Budget, BudgetAlert
from budgets.tests.conftest import NOW
from budgets.tests.factories import BudgetFactory
from ledger import services as ledger
from ledger.models import Transaction
from ledger.signals import send_transactions_changed_on_commit
from ledger.tests.factories import TransactionFactory, system_category

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def spend(user, account, django_capture_on_commit_callbacks):
    """A manual transaction through the ledger's service, committed: the signal, the budgets
    receiver and (inline) the evaluation task all run."""

    def spend(amount: str, day: int = 15, category: str = "groceries"):
        with django_capture_on_commit_callbacks(execute=True):
            return ledger.transaction_create(
                user=user, date=D(2026, 10, day), amount=amount, merchant_raw="CORNER GROCER", account=account.pk,
                category=category,
            )

    return spend


def levels(published):
    return [(message["type"], message["data"]["level"]) for message in published]


def test_each_threshold_crossed_upward_sends_its_level(user, spend, published, evaluations):
    budget = BudgetFactory(user=user)
    spend("-79.99")
    assert published == []
    spend("-0.01")
    spend("-10.00")
    spend("-10.00")
    spend("-10.00")
    spend("-50.00")  # still severe: nothing new
    assert levels(published) == [
        ("budget_alert", "warning"), ("budget_alert", "critical"), ("budget_alert", "exceeded"), ("budget_alert", "severe"),
    ]
    assert published[0] == {
        "user_id": str(user.pk), "type": "budget_alert",
        "data": {
            "budget_id": str(budget.pk), "category": "groceries", "level": "warning", "budget": "100.00",
            "spent": "80.00", "percentage": 80.0, "remaining": "20.00", "start_date": "2026-10-01", "end_date": "2026-10-31",
        },
    }
    assert len(evaluations) == 6
    budget.refresh_from_db()
    assert budget.alert_level == AlertLevel.SEVERE
    assert list(BudgetAlert.objects.order_by("level").values_list("level", "percentage")) == [
        (1, Decimal("80.00")), (2, Decimal("90.00")), (3, Decimal("100.00")), (4, Decimal("110.00")),
    ]


def test_a_jump_past_several_thresholds_sends_the_highest_once(user, spend, published):
    BudgetFactory(user=user)
    spend("-105.00")
    assert levels(published) == [("budget_alert", "exceeded")]


def test_a_parent_budget_alerts_on_a_child_categorys_spending(user, spend, published):
    BudgetFactory(user=user, category=system_category("dining"), amount=Decimal("10.00"))
    spend("-9.00", category="coffee")
    assert [message["data"]["category"] for message in published] == ["dining"]


def test_the_same_level_again_within_the_hour_is_not_sent(user, spend, published, monkeypatch):
    BudgetFactory(user=user)
    spend("-85.00")
    spend("20.00")  # a refund: 65 %, the level falls back silently
    spend("-20.00")  # 85 % again, 5 minutes later as far as the limit cares
    assert levels(published) == [("budget_alert", "warning")]
    assert Budget.objects.get().alert_level == AlertLevel.WARNING
    monkeypatch.setattr(timezone, "now", lambda: NOW + datetime.timedelta(minutes=61))
    spend("20.00")
    spend("-20.00")
    assert levels(published) == [("budget_alert", "warning"), ("budget_alert", "warning")]


def test_crossing_100_percent_always_alerts(user, spend, published):
    BudgetFactory(user=user)
    spend("-100.00")
    spend("10.00")  # 90 %
    spend("-10.00")  # 100 % again within the hour: sent again
    spend("5.00")  # 95 %
    spend("-5.00")
    assert levels(published) == [("budget_alert", "exceeded")] * 3


def test_the_90_percent_level_is_rate_limited_too(user, spend, published):
    BudgetFactory(user=user)
    spend("-91.00")
    spend("5.00")  # 86 %: warning level, silently
    spend("-5.00")
    assert levels(published) == [("budget_alert", "critical")]


def test_an_import_batch_is_evaluated_once(user, account, published, evaluations, django_capture_on_commit_callbacks):
    BudgetFactory(user=user)
    BudgetFactory(user=user, category=system_category("dining"), amount=Decimal("50.00"))
    rows = [
        Transaction(
            user=user, account=account, date=D(2026, 10, 1 + index % 20), amount=Decimal("-3.00"), currency="USD",
            category=system_category("groceries" if index % 2 else "coffee"), source="csv",
        )
        for index in range(60)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        Transaction.objects.bulk_create(rows)
        # As the ingest pipeline does: one signal for the whole batch.
        send_transactions_changed_on_commit(
            user_id=user.pk, category_ids={row.category_id for row in rows}, dates={row.date for row in rows}
        )
    assert len(evaluations) == 1
    assert evaluations[0]["since"] == D(2026, 10, 1) and evaluations[0]["until"] == D(2026, 10, 20)
    assert sorted((message["data"]["category"], message["data"]["level"]) for message in published) == [
        ("dining", "severe"), ("groceries", "critical"),  # 90.00 of 50.00; 90.00 of 100.00
    ]


def test_a_bulk_recategorisation_is_evaluated_once(user, account, published, evaluations, django_capture_on_commit_callbacks):
    BudgetFactory(user=user, category=system_category("dining"), amount=Decimal("20.00"))
    moved = TransactionFactory.create_batch(8, user=user, account=account, amount=Decimal("-2.50"), date=D(2026, 10, 3))
    with django_capture_on_commit_callbacks(execute=True):
        ledger.transactions_bulk_categorise(user=user, ids=[row.pk for row in moved], category="dining")
    assert len(evaluations) == 1
    assert levels(published) == [("budget_alert", "exceeded")]


def test_creating_a_budget_already_over_80_does_not_alert_but_lowering_its_amount_does(
    auth_client, user, account, published, django_capture_on_commit_callbacks
):
    TransactionFactory(user=user, account=account, amount=Decimal("-85.00"), date=D(2026, 10, 2))
    with django_capture_on_commit_callbacks(execute=True):
        created = auth_client.post(
            "/api/v1/budgets/", {"category": "groceries", "amount": "100.00", "start_date": "2026-10-01"}, format="json"
        )
    assert created.status_code == 201
    assert published == []
    assert Budget.objects.get().alert_level == AlertLevel.WARNING
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.patch(f"/api/v1/budgets/{created.json()['id']}/", {"amount": "90.00"}, format="json")
    assert levels(published) == [("budget_alert", "critical")]  # 85.00 of 90.00


def test_ended_budgets_and_other_users_are_not_evaluated(user, other_user, spend, published):
    BudgetFactory(user=user, start_date=D(2026, 9, 1), end_date=D(2026, 9, 30), amount=Decimal("1.00"))
    BudgetFactory(user=other_user, amount=Decimal("1.00"))
    spend("-50.00")
    with_september = TransactionFactory(user=user, amount=Decimal("-50.00"), date=D(2026, 9, 10))
    tasks.evaluate_budget_alerts(str(user.pk), since="2026-09-10", until="2026-09-10")
    assert published == [] and with_september.pk
    assert not BudgetAlert.objects.exists()


def test_the_task_run_twice_sends_once(user, published):
    budget = BudgetFactory(user=user)
    TransactionFactory(user=user, amount=Decimal("-95.00"), date=D(2026, 10, 5))
    assert tasks.evaluate_budget_alerts(str(user.pk), since="2026-10-05", until="2026-10-05") == 1
    assert tasks.evaluate_budget_alerts(str(user.pk), since="2026-10-05", until="2026-10-05") == 0
    assert tasks.evaluate_budget_alerts(str(user.pk), budget_ids=[str(budget.pk)]) == 0
    assert levels(published) == [("budget_alert", "critical")]


def test_a_stale_evaluation_loses_the_compare_and_swap(user, published):
    from budgets.services import _move_level
    from budgets.spending import budget_spending

    BudgetFactory(user=user)
    TransactionFactory(user=user, amount=Decimal("-95.00"), date=D(2026, 10, 5))
    [row] = budget_spending(user_id=user.pk, today=D(2026, 10, 20), with_recent=False)
    Budget.objects.update(alert_level=AlertLevel.CRITICAL)  # another worker got there first
    assert _move_level(row, level=AlertLevel.CRITICAL, percentage=Decimal("95.00"), now=NOW) is None
    assert published == [] and not BudgetAlert.objects.exists()


def test_the_receiver_only_enqueues(user, spend, evaluations, django_capture_on_commit_callbacks, account, settings):
    BudgetFactory(user=user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ledger.transaction_create(user=user, date=D(2026, 10, 2), amount="-90.00", merchant_raw="X", account=account.pk)
    assert evaluations == []  # nothing evaluated inside the write
    assert callbacks  # the signal (and its task) wait for the commit
