import datetime

import pytest
from django.utils import timezone

from ledger.signals import transactions_changed
from ledger.tests.factories import AccountFactory

# Every budgets test runs on 20 October 2026, noon UTC, whatever the wall clock says.
NOW = datetime.datetime(2026, 10, 20, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def account(user):
    return AccountFactory(user=user)


@pytest.fixture
def published(monkeypatch):
    """Every realtime message the budgets services publish, in order."""
    sent = []

    def record(user_id, event_type, data):
        sent.append({"user_id": str(user_id), "type": event_type, "data": data})

    monkeypatch.setattr("budgets.services.publish_on_commit", record)
    return sent


@pytest.fixture
def evaluations(monkeypatch):
    """Calls of budgets' alert evaluation (the real one still runs)."""
    from budgets import services

    calls = []
    real = services.budget_alerts_evaluate

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "budget_alerts_evaluate", counting)
    return calls


@pytest.fixture
def signal_log():
    received = []

    def receiver(sender, signal=None, **payload):
        received.append(payload)

    transactions_changed.connect(receiver, dispatch_uid="budgets-test-signal-log")
    yield received
    transactions_changed.disconnect(dispatch_uid="budgets-test-signal-log")
