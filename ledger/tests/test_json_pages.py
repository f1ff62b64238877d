"""The PostgreSQL list path (the database builds each row's JSON, ledger.json_pages) against
the Python path (`.values()` rows, `transaction_to_dict`, DRF's renderer): same rows, same
order, same keys and values for every filter."""

import datetime
import json
from decimal import Decimal

import pytest
from rest_framework.renderers import JSONRenderer

from ledger import selectors
from ledger.json_pages import transaction_page_json
from ledger.models import Transaction
from ledger.tests.factories import (
    AccountFactory,
    CategoryFactory,
    ImportBatchFactory,
    TransactionFactory,
    system_category,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


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


def python_page(user, params, offset=0, limit=50):
    rows = selectors.transaction_rows(selectors.transaction_list(user=user, filters=params))[offset : offset + limit]
    return json.loads(JSONRenderer().render([selectors.transaction_to_dict(row) for row in rows]))


def database_page(user, params, offset=0, limit=50):
    cleaned = selectors.transaction_filters(filters=params)
    return [json.loads(text) for text in transaction_page_json(user_id=user.pk, cleaned=cleaned, offset=offset, limit=limit)]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"since": "2024-03-14"},
        {"until": "2024-03-14", "since": "01/01/2024"},
        {"category": "dining"},
        {"category": "groceries, dining,side_hustle"},
        {"category": "no_such_slug"},
        {"source": "ofx"},
        {"min_amount": "0.10", "max_amount": "1e3"},
        {"max_amount": "-4.75"},
        {"merchant": "zebra"},
        {"merchant": "train 100%"},
        {"merchant": "_"},
        {"q": "pizza"},
        {"q": "birth piz"},
        {"q": "!!"},
        {"ordering": "amount"},
        {"ordering": "-merchant_raw,date"},
        {"ordering": "created_at,"},
    ],
)
def test_the_database_built_page_equals_the_python_page(user, ledger_rows, params):
    expected = python_page(user, params)
    assert database_page(user, params) == expected


def test_it_filters_by_account_and_merchant_id_and_pages_alike(user, ledger_rows):
    for params in ({"account": str(ledger_rows["account"].pk)}, {"merchant": str(ledger_rows["starbucks"].pk)}):
        assert database_page(user, params) == python_page(user, params)
        assert len(database_page(user, params)) == 1
    assert database_page(user, {}, offset=1, limit=2) == python_page(user, {}, offset=1, limit=2)


def test_the_forms_match_what_the_api_promises(user, ledger_rows):
    page = {row["merchant_raw"]: row for row in database_page(user, {})}
    coffee = page["ZEBRA BEANS 1234"]
    assert coffee["amount"] == "-4.75"
    assert coffee["created_at"] == "2024-03-15T09:30:00Z"
    assert coffee["merchant"]["canonical_name"] == "Zebra Beans Roastery"
    assert page["Pizza Place"]["anomaly_score"] == 1.0
    unicode_row = next(row for row in page.values() if row["amount"] == "0.10")
    assert unicode_row["created_at"] == "2024-03-15T09:30:00.000120Z"
    assert unicode_row["updated_at"] == "1999-01-02T03:04:05.999999Z"
    assert unicode_row["confidence"] == {} and unicode_row["account"] is None and unicode_row["merchant"] is None


def test_the_list_endpoint_serves_the_database_page(auth_client, user, ledger_rows):
    body = auth_client.get("/api/v1/transactions/", {"limit": 2, "offset": 1}).json()
    assert body["count"] == 5
    assert body["results"] == python_page(user, {}, offset=1, limit=2)
    assert body["next"].endswith("/api/v1/transactions/?limit=2&offset=3")
    assert body["previous"].endswith("/api/v1/transactions/?limit=2")


def test_the_stored_search_document_is_found_from_inside_a_subquery(user, ledger_rows):
    # The document is not a model field; its expression names the query's own table alias,
    # which Django renames (U0) when the queryset becomes a subquery.
    matching = selectors.transaction_list(user=user, filters={"q": "pizza"}).order_by().values("id")
    assert list(Transaction.objects.filter(pk__in=matching).values_list("merchant_raw", flat=True)) == ["Pizza Place"]


def test_the_search_document_follows_edits(user, ledger_rows):
    row = ledger_rows["rows"][4]
    Transaction.objects.filter(pk=row.pk).update(note="quarterly espresso machine")
    assert [item["id"] for item in database_page(user, {"q": "espress"})] == [str(row.pk)]
