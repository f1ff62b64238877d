"""ledger.signals: `transactions_changed` once per write, only after commit; and what it drives."""

import datetime

import pytest

from ledger.tests.factories import TransactionFactory, system_category

pytestmark = pytest.mark.django_db
URL = "/api/v1/transactions/"


def test_transactions_changed_fires_once_per_write_and_only_after_commit(
    auth_client, user, signal_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = auth_client.post(URL, {"date": "2024-03-15", "amount": "-5.00", "merchant_raw": "X", "category": "gifts"})
    assert created.status_code == 201
    assert signal_log == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert signal_log == [
        {"user_id": str(user.pk), "category_ids": [str(system_category("gifts").pk)], "dates": [datetime.date(2024, 3, 15)]}
    ]
    row_url = f"{URL}{created.json()['id']}/"
    writes = [
        lambda: auth_client.patch(row_url, {"date": "2024-03-16"}),
        lambda: auth_client.post(f"{URL}correct/", {"transaction_id": created.json()["id"], "new_category": "dining"}),
        lambda: auth_client.post(f"{URL}bulk-categorize/", {"ids": [created.json()["id"]], "category": "shopping"}),
        lambda: auth_client.delete(row_url),
        lambda: auth_client.post(f"{row_url}restore/"),
    ]
    for write in writes:
        signal_log.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert write().status_code in (200, 204)
        assert len(signal_log) == 1
    assert signal_log[0]["dates"] == [datetime.date(2024, 3, 16)]


def test_a_failed_write_sends_nothing(auth_client, user, signal_log, django_capture_on_commit_callbacks):
    row = TransactionFactory(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(f"{URL}bulk-categorize/", {"ids": [str(row.pk), "00000000-0000-4000-8000-000000000000"], "category": "dining"})
    assert signal_log == []


def test_a_write_drops_the_cached_list_count(auth_client, user):
    TransactionFactory(user=user)
    assert auth_client.get(URL).json()["count"] == 1
    auth_client.post(URL, {"date": "2024-03-15", "amount": "-5.00", "merchant_raw": "X"})
    assert auth_client.get(URL).json()["count"] == 2
