"""A budget alert for real: a manual transaction posted to daphne's HTTP API crosses 80 % of
a budget; the ledger's signal enqueues the evaluation on Redis, a Celery worker runs it and
publishes through the Redis channel layer, and the alert arrives on the user's socket."""

import datetime
import json

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from accounts.services import session_open
from accounts.tests.factories import UserFactory
from budgets.models import AlertLevel, Budget, BudgetAlert
from ledger.models import Category
from ledger.tests.factories import AccountFactory
from tests.live import receive_until, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manual_transaction_crossing_80_percent_sends_a_budget_alert(live_stack):
    # An earlier transactional test's flush may have emptied the seeded taxonomy.
    Category.objects.get_or_create(user=None, slug="groceries", defaults={"name": "Groceries", "is_system": True})
    user = UserFactory()
    account = AccountFactory(user=user)
    headers = {"Authorization": f"Bearer {session_open(user=user, ip_address='127.0.0.1', user_agent='e2e').access_token}"}
    http = live_stack["http"]
    today = datetime.datetime.now(datetime.UTC).date()

    created = httpx.post(
        f"{http}/api/v1/budgets/", headers=headers, timeout=10,
        json={"category": "groceries", "amount": "100.00", "period": "monthly", "start_date": today.replace(day=1).isoformat()},
    )
    assert created.status_code == 201, created.text
    budget_id = created.json()["id"]

    ticket = httpx.post(f"{http}/api/v1/auth/ws-ticket/", headers=headers, timeout=10).json()["ticket"]
    with ws_connect(f"{live_stack['ws']}/ws/?ticket={ticket}", open_timeout=10) as websocket:
        assert json.loads(websocket.recv(timeout=10))["type"] == "connected"
        posted = httpx.post(
            f"{http}/api/v1/transactions/", headers=headers, timeout=10,
            json={"date": today.isoformat(), "amount": "-85.00", "merchant_raw": "CORNER GROCER 12",
                  "category": "groceries", "account": str(account.pk)},
        )
        assert posted.status_code == 201, posted.text
        alert = receive_until(websocket, "budget_alert", timeout=60)

    assert alert["data"] == {
        "budget_id": budget_id, "category": "groceries", "level": "warning", "budget": "100.00", "spent": "85.00",
        "percentage": 85.0, "remaining": "15.00", "start_date": created.json()["start_date"],
        "end_date": created.json()["end_date"],
    }
    assert Budget.objects.get(pk=budget_id).alert_level == AlertLevel.WARNING
    assert BudgetAlert.objects.filter(budget_id=budget_id, level=AlertLevel.WARNING).count() == 1
    wait_until(lambda: "budgets.tasks.evaluate_budget_alerts" in live_stack["logs"]["worker"].read_text(), "worker log", 10)
    listed = httpx.get(f"{http}/api/v1/budgets/{budget_id}/", headers=headers, timeout=10).json()
    assert (listed["spent"], listed["state"]) == ("85.00", "at_risk")
