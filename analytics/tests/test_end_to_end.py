"""A real daphne and a real Celery worker: a manual entry posted over HTTP is scored by the
worker, whose `anomaly_alert` reaches the user's socket; the nightly task, run by the worker,
sends a `subscription_reminder` to the same socket."""

import datetime
import importlib
import json
from decimal import Decimal

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from accounts.services import session_open
from accounts.tests.factories import UserFactory
from analytics.recurrence import add_months
from config.celery import app as celery_app
from ledger.models import Transaction
from ledger.tests.factories import AccountFactory, TransactionFactory, system_category
from tests.live import receive_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def system_categories():
    """A transactional test before this one may have flushed the migration-seeded taxonomy."""
    from django.apps import apps

    importlib.import_module("ledger.migrations.0002_seed_system_categories").load_system_categories(apps, None)


def test_a_workers_anomaly_alert_and_subscription_reminder_reach_the_socket(system_categories, live_stack):
    user = UserFactory()
    account = AccountFactory(user=user)
    today = datetime.date.today()
    for weeks in range(1, 11):
        TransactionFactory(user=user, account=account, date=today - datetime.timedelta(weeks=weeks),
                           amount=Decimal("-55.00") - weeks, merchant_raw="CORNER GROCER", anomaly_score=0.0)
    due = today + datetime.timedelta(days=2)
    for months in range(1, 6):
        TransactionFactory(user=user, account=account, date=add_months(due, -months, due.day), amount=Decimal("-15.49"),
                           merchant_raw="NETFLIX.COM", category=system_category("subscriptions"), anomaly_score=0.0)
    tokens = session_open(user=user, ip_address="127.0.0.1", user_agent="e2e")
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    ticket = httpx.post(f"{live_stack['http']}/api/v1/auth/ws-ticket/", headers=headers, timeout=10).json()["ticket"]
    with ws_connect(f"{live_stack['ws']}/ws/?ticket={ticket}", open_timeout=10) as websocket:
        assert json.loads(websocket.recv(timeout=10))["type"] == "connected"
        created = httpx.post(f"{live_stack['http']}/api/v1/transactions/", headers=headers, timeout=10, json={
            "account": str(account.pk), "date": today.isoformat(), "amount": "-640.00",
            "merchant_raw": "CORNER GROCER", "category": "groceries",
        })
        assert created.status_code == 201, created.text
        alert = receive_until(websocket, "anomaly_alert", timeout=60)
        assert alert["data"]["transaction_id"] == created.json()["id"]
        assert alert["data"]["amount"] == "-640.00"
        assert alert["data"]["reasons"][0]["rule"] == "amount_outlier"
        assert Transaction.objects.get(pk=created.json()["id"]).anomaly_score >= 0.8

        celery_app.send_task("analytics.tasks.scheduled_detect_subscriptions", queue="scheduled")
        reminder = receive_until(websocket, "subscription_reminder", timeout=60)
        assert reminder["data"]["name"] == "Netflix"
        assert reminder["data"]["next_expected_date"] == due.isoformat()
        assert reminder["data"]["days_until"] == 2
    assert "analytics.tasks.refresh_after_change" in live_stack["logs"]["worker"].read_text()
