import pytest
from django.core.management import call_command
from django.db import connection

from ledger.models import Transaction

pytestmark = pytest.mark.django_db


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "ledger_transaction")
    return {name for name, constraint in constraints.items() if constraint["index"]}


def test_seed_bulk_loads_rows_and_keeps_every_index_when_it_rebuilds_them():
    before = index_names()
    call_command("seed_bulk", "--user", "seed@example.com", "--transactions", "300", "--rebuild-indexes-above", "100")
    assert Transaction.objects.filter(user__email="seed@example.com").count() == 300
    assert index_names() == before
    assert "txn_user_date_order" in before
