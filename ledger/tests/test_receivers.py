"""ledger.receivers: the ledger's own reactions to signals."""

import datetime

import pytest

from ledger.tests.factories import TransactionFactory
from merchants.models import Merchant
from merchants.services import merchant_merge

pytestmark = pytest.mark.django_db
URL = "/api/v1/transactions/"


def test_a_merchant_merge_announces_each_owners_repointed_rows_after_commit(
    auth_client, user, other_user, signal_log, django_capture_on_commit_callbacks
):
    source = Merchant.objects.create(canonical_name="Blorpmart", category="groceries")
    into = Merchant.objects.create(canonical_name="Blorp Market", category="groceries")
    TransactionFactory(user=user, merchant=source, date=datetime.date(2024, 3, 1))
    TransactionFactory(user=user, merchant=source, date=datetime.date(2024, 3, 2))
    TransactionFactory(user=user, merchant=into, date=datetime.date(2024, 3, 3))
    TransactionFactory(user=other_user, merchant=source, date=datetime.date(2024, 4, 1))
    TransactionFactory(user=other_user, date=datetime.date(2024, 5, 1))  # another merchant: not named
    # The total for the merged-into merchant is cached before the merge...
    assert auth_client.get(URL, {"merchant": str(into.pk)}).json()["count"] == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        merchant_merge(source_id=source.pk, into_id=into.pk)
    assert signal_log == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert sorted(signal_log, key=lambda payload: payload["dates"]) == [
        {"user_id": str(user.pk), "category_ids": [], "dates": [datetime.date(2024, 3, 1), datetime.date(2024, 3, 2)]},
        {"user_id": str(other_user.pk), "category_ids": [], "dates": [datetime.date(2024, 4, 1)]},
    ]
    # ...and is not answered stale after it.
    assert auth_client.get(URL, {"merchant": str(into.pk)}).json()["count"] == 3
