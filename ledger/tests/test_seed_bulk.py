"""seed_bulk: realistic bulk data, written in the order a ledger accrues it."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from ledger.management.commands import seed_bulk
from ledger.models import ImportBatch, Transaction

pytestmark = pytest.mark.django_db


def test_seed_bulk_writes_three_years_of_statements_for_the_user(user):
    call_command("seed_bulk", "--user", user.email, "--transactions", "600", "--seed", "7", stdout=io.StringIO())
    rows = Transaction.objects.filter(user=user)
    assert rows.count() == 600
    today = datetime.date.today()
    dates = list(rows.values_list("date", flat=True))
    assert min(dates) >= today - datetime.timedelta(days=3 * 365) and max(dates) <= today
    assert rows.filter(category__slug="salary", amount__gt=0).exists()
    assert rows.filter(merchant__isnull=False).count() > 500
    # Imported with the month's statement: after the row's date, never in the future.
    now = timezone.now()
    for date, created_at in rows.values_list("date", "created_at"):
        assert date <= created_at.date() and created_at <= now
    # Each row came in its account's statement for its month, with a fingerprint of its own.
    for date, account_id, batch_account_id, filename in rows.values_list(
        "date", "account_id", "import_batch__account_id", "import_batch__filename"
    ):
        assert batch_account_id == account_id and filename.endswith(f"{date:%Y-%m}.csv")
    fingerprints = list(rows.values_list("fingerprint", flat=True))
    assert all(len(value) == 64 for value in fingerprints) and len(set(fingerprints)) == 600
    batches = ImportBatch.objects.filter(user=user)
    assert {batch.status for batch in batches} == {"completed"} and {batch.format for batch in batches} == {"csv"}
    assert sum(batch.imported for batch in batches) == 600
    assert all(batch.imported == batch.total_rows == batch.transactions.count() for batch in batches)


def test_seed_bulk_can_run_again_for_the_same_user(user):
    # As the benchmark tops a ledger up: another seed, new statements.
    call_command("seed_bulk", "--user", user.email, "--transactions", "300", "--seed", "1", stdout=io.StringIO())
    call_command("seed_bulk", "--user", user.email, "--transactions", "300", "--seed", "2", stdout=io.StringIO())
    assert Transaction.objects.filter(user=user).count() == 600
    assert ImportBatch.objects.filter(user=user, imported__gt=0).count() > 12


def test_seed_bulk_writes_rows_in_date_order(user, monkeypatch):
    written = []

    def capture(self, rows, batch):
        rows = list(rows)
        written.extend(rows)
        return original(self, iter(rows), batch)

    original = seed_bulk.Command._write
    monkeypatch.setattr(seed_bulk.Command, "_write", capture)
    call_command("seed_bulk", "--user", user.email, "--transactions", "400", stdout=io.StringIO())
    dates = [row[seed_bulk.COPY_COLUMNS.index("date")] for row in written]
    assert len(dates) == 400 and dates == sorted(dates)
    assert Transaction.objects.filter(user=user).count() == 400
