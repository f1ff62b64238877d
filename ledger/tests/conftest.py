import datetime
from decimal import Decimal

import pytest

from ledger.models import Transaction
from ledger.signals import transactions_changed
from ledger.tests.factories import (
    AccountFactory,
    CategoryFactory,
    ImportBatchFactory,
    TransactionFactory,
    system_category,
)
from merchants.models import Merchant, MerchantAlias
from merchants.services import normalise_descriptor


@pytest.fixture
def signal_log():
    """Every transactions_changed payload sent while the test runs."""
    received = []

    def receiver(sender, signal=None, **payload):
        received.append(payload)

    transactions_changed.connect(receiver, dispatch_uid="ledger-test-signal-log")
    yield received
    transactions_changed.disconnect(dispatch_uid="ledger-test-signal-log")


@pytest.fixture
def starbucks(db):
    merchant = Merchant.objects.create(canonical_name="Zebra Beans Roastery", category="coffee")
    MerchantAlias.objects.create(merchant=merchant, alias="ZEBRA BEANS 1234", normalised=normalise_descriptor("ZEBRA BEANS 1234"))
    return merchant


@pytest.fixture
def ledger_rows(user, other_user, starbucks):
    account = AccountFactory(user=user)
    own = CategoryFactory(user=user, slug="side_hustle")
    batch = ImportBatchFactory(user=user)
    rows = [
        TransactionFactory(user=user, account=account, merchant=starbucks, merchant_raw="ZEBRA BEANS 1234",
                           category=system_category("coffee"), amount=Decimal("-4.75"), anomaly_score=0.73),
        TransactionFactory(user=user, account=None, amount=Decimal("0.10"), note='a "quoted"\nline\ttab \\ é ü 日本 \u2028',
                           confidence={}, import_batch=batch, date=datetime.date(2024, 3, 14)),
        TransactionFactory(user=user, amount=Decimal("0.20"), merchant_raw="Pizza Place", note="birthday",
                           category=system_category("dining"), source="ofx", anomaly_score=1.0, date=datetime.date(2024, 3, 13)),
        TransactionFactory(user=user, amount=Decimal("-123456789.01"), merchant_raw="CITY_TRAIN 100%", category=own,
                           confidence={"method": "merchant", "category": 0.9, "merchant": 1, "nested": {"a": [1, 2.5, None]}},
                           date=datetime.date(2023, 12, 31)),
        TransactionFactory(user=user, amount=Decimal("0.00"), merchant_raw="", date=datetime.date(2024, 3, 15)),
        TransactionFactory(user=user, is_deleted=True, deleted_at=datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC)),
        TransactionFactory(user=other_user, merchant_raw="ZEBRA BEANS 1234"),
    ]
    # Timestamps with and without a fraction of a second: DRF prints the fraction only when set.
    Transaction.objects.filter(pk=rows[0].pk).update(created_at=datetime.datetime(2024, 3, 15, 9, 30, tzinfo=datetime.UTC))
    Transaction.objects.filter(pk=rows[1].pk).update(
        created_at=datetime.datetime(2024, 3, 15, 9, 30, 0, 120, tzinfo=datetime.UTC),
        updated_at=datetime.datetime(1999, 1, 2, 3, 4, 5, 999999, tzinfo=datetime.UTC),
    )
    return {"account": account, "starbucks": starbucks, "rows": rows}
