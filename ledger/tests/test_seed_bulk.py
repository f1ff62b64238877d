"""seed_bulk: realistic bulk data, written in the order a ledger accrues it."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from ledger.models import Transaction

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


def test_seed_bulk_writes_rows_in_date_order(user, monkeypatch):
    from ledger.management.commands import seed_bulk

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
