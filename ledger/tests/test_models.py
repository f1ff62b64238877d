from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from core.categories import system_category_slugs
from ledger import services
from ledger.models import Category, Transaction, UserCorrection
from ledger.tests.factories import AccountFactory, CategoryFactory, TransactionFactory, system_category

pytestmark = pytest.mark.django_db


def test_the_data_migration_loads_the_whole_system_taxonomy():
    seeded = set(Category.objects.filter(user__isnull=True).values_list("slug", flat=True))
    assert seeded == set(system_category_slugs())
    assert Category.objects.get(user__isnull=True, slug="coffee").parent.slug == "dining"
    for required in ("groceries", "dining", "salary", "transfer", "cash", "uncategorized", "pets", "gifts"):
        assert required in seeded


def test_the_database_refuses_a_lowercase_currency():
    row = TransactionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(row).objects.filter(pk=row.pk).update(currency="usd")


def test_the_database_refuses_a_deleted_row_without_deleted_at():
    row = TransactionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(row).objects.filter(pk=row.pk).update(is_deleted=True)


def test_the_database_refuses_two_live_rows_with_one_fingerprint():
    first = TransactionFactory(fingerprint="abc")  # blank fingerprints (manual rows) never collide
    with pytest.raises(IntegrityError), transaction.atomic():
        TransactionFactory(user=first.user, account=first.account, fingerprint="abc")


def test_amounts_keep_their_cents_exactly():
    row = TransactionFactory(amount=Decimal("-0.10"))
    row.refresh_from_db()
    assert row.amount == Decimal("-0.10")


def test_an_account_last4_must_be_four_digits():
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountFactory(last4="12a4")


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("column", "index"), [("category_id", "txn_category_user_date_order"), ("account_id", "txn_account_user_date")]
)
def test_a_foreign_key_lookup_is_served_by_the_composite_index_that_leads_with_it(column, index):
    """Deleting a category or an account makes PostgreSQL look for rows that still use it;
    without an index leading with that column it would read the whole table."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT 1 FROM ledger_transaction WHERE {column} = gen_random_uuid()")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan


@pytest.mark.postgres
def test_the_transactions_table_keeps_room_on_each_page_for_updated_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'ledger_transaction'")
        assert cursor.fetchone()[0] == ["fillfactor=90"]


def test_deleting_categories_and_users_leaves_no_correction_naming_a_missing_row(user):
    """Corrections' references carry no database constraint (UserCorrection); Django's CASCADE
    and SET_NULL must still leave none pointing at a deleted transaction or category."""
    boardgames = CategoryFactory(user=user, slug="boardgames")
    moved_in = TransactionFactory(user=user, category=system_category("groceries"))
    moved_out = TransactionFactory(user=user, category=boardgames)
    services.transaction_correct(user=user, transaction_id=moved_in.pk, new_category="boardgames")
    services.transactions_bulk_categorise(user=user, category="dining", ids=[str(moved_out.pk)])

    services.category_delete(user=user, category_id=boardgames.pk)
    assert not UserCorrection.objects.filter(transaction=moved_in).exists()
    assert list(UserCorrection.objects.filter(transaction=moved_out).values_list("old_category", "new_category__slug")) == [
        (None, "dining")
    ]

    TransactionFactory(user=user)  # a row without corrections goes too
    user.delete()
    assert not Transaction.objects.filter(pk__in=[moved_in.pk, moved_out.pk]).exists()
    assert not UserCorrection.objects.filter(transaction_id=moved_out.pk).exists()
    assert not UserCorrection.objects.exclude(transaction__in=Transaction.objects.all()).exists()
