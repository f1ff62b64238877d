import pytest

from ledger.signals import transactions_changed
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
