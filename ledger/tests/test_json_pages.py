"""ledger.json_pages beyond the per-field and per-filter parity (test_transaction_fields.py,
test_list_filters.py): the forms values take, the endpoint, the stored search document, and
the full-text window strategy."""

import datetime

import pytest
from django.db import connection

from ledger import json_pages, selectors
from ledger.json_pages import transaction_page_json
from ledger.models import Transaction
from ledger.tests.factories import TransactionFactory
from ledger.tests.pages import database_page, python_page

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.usefixtures("fast_paths_on")]


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


# --- full-text pages through the covering date index (json_pages.SEARCH_WINDOW_ROWS) ------
COMMON = 1_000_000  # a cached total that makes a word common enough to try the window


@pytest.fixture
def searches(monkeypatch) -> list[str]:
    """Which page strategies ran, in order: "window" (the covering date index) or "planned"."""
    ran: list[str] = []
    for name, function in (("window", json_pages._search_window_page), ("planned", json_pages._planned_page)):
        def spy(*args, _name=name, _function=function, **kwargs):
            ran.append(_name)
            return _function(*args, **kwargs)

        monkeypatch.setattr(json_pages, f"_{'search_window' if name == 'window' else 'planned'}_page", spy)
    return ran


@pytest.fixture
def search_rows(user, other_user):
    """30 days, newest first: odd days are "ZEBRA BEANS" coffee, even days a grocer; day 3 holds
    the word only far into a long note (no head: checked against the full document)."""
    start = datetime.date(2024, 6, 30)
    for day in range(30):
        name = "ZEBRA BEANS 12" if day % 2 else "GROCER"
        note = ("x" * 700 + " zebra") if day == 3 else ""
        TransactionFactory(user=user, merchant_raw="GROCER" if day == 3 else name, note=note,
                           date=start - datetime.timedelta(days=day))
    TransactionFactory(user=other_user, merchant_raw="ZEBRA BEANS 12", date=start)
    TransactionFactory(user=user, merchant_raw="ZEBRA BEANS 12", date=start, is_deleted=True,
                       deleted_at=datetime.datetime(2024, 7, 1, tzinfo=datetime.UTC))


@pytest.mark.parametrize(
    ("params", "offset", "limit"),
    [({"q": "zebra"}, 0, 5), ({"q": "zebra"}, 5, 5), ({"q": "zeb bean"}, 2, 4),
     ({"q": "zebra", "since": "2024-06-10", "until": "2024-06-25"}, 0, 3)],
)
def test_a_search_page_read_from_the_date_index_equals_the_python_page(user, search_rows, searches, params, offset, limit):
    page = database_page(user, params, offset=offset, limit=limit, match_count=COMMON)
    assert searches == ["window"]
    assert page == python_page(user, params, offset=offset, limit=limit)
    assert len(page) == limit


def test_a_long_note_without_a_head_is_still_found_in_its_place(user, search_rows):
    page = database_page(user, {"q": "zebra"}, offset=0, limit=3, match_count=COMMON)
    assert [row["date"] for row in page] == ["2024-06-29", "2024-06-27", "2024-06-25"]
    assert database_page(user, {"q": "zebra"}, offset=1, limit=1, match_count=COMMON)[0]["date"] == "2024-06-27"
    assert database_page(user, {"q": "grocer zebra"}, limit=1, match_count=COMMON)[0]["date"] == "2024-06-27"


def test_when_the_window_holds_no_whole_page_the_planned_query_answers(user, search_rows, searches, monkeypatch):
    monkeypatch.setattr(json_pages, "SEARCH_WINDOW_ROWS", 4)  # 2 matches in the newest 4 rows
    page = database_page(user, {"q": "zebra"}, offset=0, limit=5, match_count=COMMON)
    assert searches == ["window", "planned"]
    assert page == python_page(user, {"q": "zebra"}, offset=0, limit=5)


@pytest.mark.parametrize(
    ("params", "offset", "limit", "match_count"),
    [({"q": "zebra"}, 0, 5, 2000), ({"q": "zebra"}, 0, 5, None), ({"q": "zebra"}, 480, 50, COMMON),
     ({"q": "zebra", "source": "csv"}, 0, 5, COMMON), ({"q": "zebra", "ordering": "-date"}, 0, 5, COMMON),
     ({"q": "zebra", "category": "groceries"}, 0, 5, COMMON)],
)
def test_few_matches_deep_pages_and_other_filters_go_straight_to_the_planned_query(
    user, search_rows, searches, params, offset, limit, match_count
):
    cleaned = selectors.transaction_filters(filters=params)
    transaction_page_json(user_id=user.pk, cleaned=cleaned, offset=offset, limit=limit, match_count=match_count)
    assert searches == ["planned"]


@pytest.mark.redis
@pytest.mark.parametrize("window", [10_000, 1])
def test_a_search_list_request_stays_within_three_queries(
    auth_client, user, search_rows, searches, monkeypatch, django_assert_max_num_queries, window
):
    monkeypatch.setattr(json_pages, "SEARCH_FEW_MATCHES", 3)  # 15 matches: "common" here
    monkeypatch.setattr(json_pages, "SEARCH_WINDOW_ROWS", window)  # 1: the window never holds a page
    params = {"q": "zebra", "limit": 4, "offset": 4}
    for cache in ("cold", "warm"):
        searches.clear()
        with django_assert_max_num_queries(3):
            body = auth_client.get("/api/v1/transactions/", params).json()
        assert body["count"] == 15
        assert body["results"] == python_page(user, {"q": "zebra"}, offset=4, limit=4)
        # cold: the count (ORM), then the planned page; warm (cached count): the window, then
        # the planned page only when the window fell short of a page
        fell_short = ["window", "planned"] if window == 1 else ["window"]
        assert searches == (["planned"] if cache == "cold" else fell_short)


def test_the_date_index_carries_the_head_and_a_huge_note_still_fits(user):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef('txn_user_date_order'::regclass)")
        assert cursor.fetchone()[0].endswith("(user_id, date, created_at, id) INCLUDE (is_deleted, search_head)")
    # Two thousand characters of distinct short words in three scripts: the full document is
    # far over a b-tree entry's ~2.7 kB, so the row must carry no head (else the INSERT fails).
    words = [f"{chr(0x4E00 + index)}{chr(0x0410 + index % 32)}{index}" for index in range(500)]
    row = TransactionFactory(user=user, merchant_raw="HUGE NOTE", note=" ".join(words)[:2000])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_head IS NULL, pg_column_size(search_document) FROM ledger_transaction WHERE id = %s", [row.pk]
        )
        head_is_null, document_bytes = cursor.fetchone()
    assert head_is_null and document_bytes > 2700
    assert [item["id"] for item in database_page(user, {"q": words[123]})] == [str(row.pk)]
