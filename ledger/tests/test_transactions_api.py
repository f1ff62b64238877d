import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from ledger import services
from ledger.models import Transaction, UserCorrection
from ledger.services import bulk
from ledger.tests.factories import AccountFactory, CategoryFactory, TransactionFactory, system_category
from merchants.services import normalise_descriptor

pytestmark = pytest.mark.django_db
URL = "/api/v1/transactions/"


def detail(row):
    return f"{URL}{row.pk}/"


@pytest.fixture
def account(user):
    return AccountFactory(user=user, currency="EUR")


# --- list -------------------------------------------------------------------------------
def test_the_list_shows_only_my_live_rows_newest_first(auth_client, user, other_user):
    older = TransactionFactory(user=user, date=datetime.date(2024, 1, 1))
    newer = TransactionFactory(user=user, date=datetime.date(2024, 2, 1))
    TransactionFactory(user=user, is_deleted=True, deleted_at=datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC))
    TransactionFactory(user=other_user)
    response = auth_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [str(newer.pk), str(older.pk)]
    first = body["results"][0]
    assert set(first) == {
        "id", "account", "date", "amount", "currency", "merchant_raw", "merchant", "category", "confidence",
        "source", "note", "anomaly_score", "is_deleted", "import_batch", "created_at", "updated_at",
    }
    assert first["amount"] == "-12.50"
    assert first["category"] == "groceries"
    assert first["is_deleted"] is False


def test_the_list_serialises_the_merchant(auth_client, user, starbucks):
    TransactionFactory(user=user, merchant=starbucks, merchant_raw="ZEBRA BEANS 1234")
    merchant = auth_client.get(URL).json()["results"][0]["merchant"]
    assert merchant == {"id": str(starbucks.pk), "canonical_name": "Zebra Beans Roastery", "category": "coffee"}


def test_the_list_costs_at_most_three_queries(auth_client, user, starbucks, django_assert_max_num_queries):
    account = AccountFactory(user=user)
    for day in range(1, 29):
        TransactionFactory(user=user, account=account, merchant=starbucks, date=datetime.date(2024, 2, day))
        TransactionFactory(user=user, account=account, category=system_category("dining"), date=datetime.date(2024, 2, day))
    with django_assert_max_num_queries(3):
        response = auth_client.get(URL, {"since": "2024-02-01", "category": "groceries,dining", "limit": 50})
    assert response.status_code == 200
    assert response.json()["count"] == 56
    assert len(response.json()["results"]) == 50


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"since": "2024-02-01"}, {"feb", "mar", "refund"}),
        ({"until": "2024-02-01"}, {"jan", "feb"}),
        ({"category": "dining"}, {"feb"}),
        ({"source": "ofx"}, {"mar"}),
        ({"min_amount": "-20"}, {"jan", "mar", "refund"}),
        ({"max_amount": "-20.00"}, {"feb"}),
        ({"min_amount": "0.01"}, {"refund"}),
        ({"q": "pizza"}, {"feb"}),
        ({"q": "birthday"}, {"mar"}),
        ({"merchant": "TRAIN"}, {"jan"}),
    ],
)
def test_each_filter_narrows_the_list(auth_client, user, params, expected):
    rows = {
        "jan": TransactionFactory(user=user, date=datetime.date(2024, 1, 5), amount=Decimal("-3.00"), merchant_raw="CITY TRAIN"),
        "feb": TransactionFactory(
            user=user, date=datetime.date(2024, 2, 1), amount=Decimal("-25.00"), merchant_raw="PIZZA PLACE",
            category=system_category("dining"),
        ),
        "mar": TransactionFactory(
            user=user, date=datetime.date(2024, 3, 1), amount=Decimal("-10.00"), merchant_raw="BOOKSHOP",
            note="birthday present", source="ofx",
        ),
        "refund": TransactionFactory(user=user, date=datetime.date(2024, 3, 2), amount=Decimal("10.00"), merchant_raw="BOOKSHOP"),
    }
    by_id = {str(row.pk): name for name, row in rows.items()}
    response = auth_client.get(URL, params)
    assert response.status_code == 200, response.json()
    assert {by_id[row["id"]] for row in response.json()["results"]} == expected


def test_the_account_and_merchant_id_filters(auth_client, user, starbucks):
    first, second = AccountFactory(user=user), AccountFactory(user=user)
    mine = TransactionFactory(user=user, account=first, merchant=starbucks)
    TransactionFactory(user=user, account=second)
    assert [row["id"] for row in auth_client.get(URL, {"account": str(first.pk)}).json()["results"]] == [str(mine.pk)]
    assert [row["id"] for row in auth_client.get(URL, {"merchant": str(starbucks.pk)}).json()["results"]] == [str(mine.pk)]


def test_ordering_by_amount(auth_client, user):
    for amount in ("-5.00", "-50.00", "7.00"):
        TransactionFactory(user=user, amount=Decimal(amount))
    amounts = [row["amount"] for row in auth_client.get(URL, {"ordering": "amount"}).json()["results"]]
    assert amounts == ["-50.00", "-5.00", "7.00"]


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2024-13-01"},
        {"until": "yesterday"},
        {"min_amount": "ten"},
        {"max_amount": "1e999999"},
        {"account": "not-a-uuid"},
        {"source": "fax"},
        {"ordering": "password"},
        {"limit": "abc"},
        {"limit": "0"},
        {"offset": "-1"},
    ],
)
def test_bad_filters_are_a_400_in_the_error_shape(auth_client, user, params):
    TransactionFactory(user=user)
    response = auth_client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"]
    assert set(body["errors"]) == set(params)


def test_pagination_bounds(auth_client, user):
    account = AccountFactory(user=user)
    Transaction.objects.bulk_create(
        [
            Transaction(user=user, account=account, date=datetime.date(2024, 1, 1) + datetime.timedelta(days=i),
                        amount=Decimal("-1.00"), currency="USD", category=system_category("groceries"))
            for i in range(505)
        ]
    )
    assert len(auth_client.get(URL).json()["results"]) == 50
    big = auth_client.get(URL, {"limit": 1000}).json()
    assert big["count"] == 505 and len(big["results"]) == 500 and big["next"] is not None
    tail = auth_client.get(URL, {"limit": 500, "offset": 500}).json()
    assert len(tail["results"]) == 5 and tail["next"] is None and tail["previous"] is not None
    assert auth_client.get(URL, {"offset": 10_000}).json()["results"] == []


def test_anonymous_is_a_401(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert set(response.json()) >= {"detail", "code"}


# --- create -----------------------------------------------------------------------------
def test_create_makes_a_manual_row_and_suggests_a_category(auth_client, user, starbucks, account):
    response = auth_client.post(
        URL, {"account": str(account.pk), "date": "2024-03-15", "amount": "-4.75", "merchant_raw": "ZEBRA BEANS 1234"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["source"] == "manual"
    assert body["category"] == "coffee"
    assert body["currency"] == "EUR"  # the account's currency
    assert body["merchant"]["id"] == str(starbucks.pk)
    assert body["confidence"]["method"] == "merchant"
    assert Transaction.objects.get(pk=body["id"]).amount == Decimal("-4.75")


def test_create_with_an_explicit_category_and_no_account(auth_client, user):
    response = auth_client.post(
        URL, {"date": "2024-03-15", "amount": "-20", "merchant_raw": "SOMEWHERE", "category": "gifts", "note": "mum"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["category"], body["account"], body["currency"], body["amount"]) == ("gifts", None, "USD", "-20.00")
    assert body["confidence"]["method"] == "user"


def test_income_looking_credits_default_sensibly(auth_client):
    salary = auth_client.post(URL, {"date": "2024-03-01", "amount": "3000.00", "merchant_raw": "ACME PAYROLL MARCH"}).json()
    other = auth_client.post(URL, {"date": "2024-03-01", "amount": "15.00", "merchant_raw": "J SMITH"}).json()
    spend = auth_client.post(URL, {"date": "2024-03-01", "amount": "-15.00", "merchant_raw": "J SMITH"}).json()
    assert (salary["category"], other["category"], spend["category"]) == ("salary", "income", "uncategorized")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": 12.5}, "amount"),
        ({"amount": "twelve"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "1e20"}, "amount"),
        ({"amount": None}, "amount"),
        ({"date": "2024-02-30"}, "date"),
        ({"date": "15/03/2024"}, "date"),
        ({"currency": "XXX"}, "currency"),
        ({"account": "123"}, "account"),
        ({"category": "no_such_category"}, "category"),
    ],
)
def test_create_refuses_bad_input_with_a_400(auth_client, user, payload, field):
    base = {"date": "2024-03-15", "amount": "-1.00", "merchant_raw": "X"}
    response = auth_client.post(URL, {**base, **payload})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Transaction.objects.exists()


def test_create_refuses_another_users_account(auth_client, other_user):
    foreign = AccountFactory(user=other_user)
    response = auth_client.post(URL, {"date": "2024-03-15", "amount": "-1.00", "merchant_raw": "X", "account": str(foreign.pk)})
    assert response.status_code == 400
    assert response.json()["errors"] == {"account": ["Unknown account."]}
    assert not Transaction.objects.exists()


def test_read_only_fields_cannot_be_written(auth_client, user, other_user):
    response = auth_client.post(
        URL,
        {
            "date": "2024-03-15", "amount": "-1.00", "merchant_raw": "X", "user": str(other_user.pk), "source": "ofx",
            "is_deleted": True, "anomaly_score": 0.99, "import_batch": None, "confidence": {"category": 1},
            "id": "00000000-0000-0000-0000-000000000001", "blockchain_hash": "f" * 64,
        },
    )
    assert response.status_code == 201
    row = Transaction.objects.get()
    assert (row.user_id, row.source, row.is_deleted, row.anomaly_score, row.blockchain_hash) == (user.pk, "manual", False, None, "")
    assert str(row.pk) != "00000000-0000-0000-0000-000000000001"


def test_cents_add_up_exactly(auth_client, user):
    for amount in ("0.10", "0.20"):
        assert auth_client.post(URL, {"date": "2024-03-15", "amount": amount, "merchant_raw": "X"}).status_code == 201
    assert Transaction.objects.filter(user=user).aggregate(total=Sum("amount"))["total"] == Decimal("0.30")
    amounts = sorted(Decimal(row["amount"]) for row in auth_client.get(URL).json()["results"])
    assert amounts == [Decimal("0.10"), Decimal("0.20")]
    assert sum(amounts) == Decimal("0.30")


# --- retrieve / patch / delete / restore ------------------------------------------------------
def test_retrieve_patch_delete_restore(auth_client, user):
    row = TransactionFactory(user=user)
    assert auth_client.get(detail(row)).json()["id"] == str(row.pk)
    patched = auth_client.patch(detail(row), {"note": "weekly shop", "amount": "-13.00", "date": "2024-03-16"})
    assert patched.status_code == 200
    assert (patched.json()["note"], patched.json()["amount"], patched.json()["date"]) == ("weekly shop", "-13.00", "2024-03-16")
    assert auth_client.delete(detail(row)).status_code == 204
    assert auth_client.get(detail(row)).status_code == 404
    assert auth_client.get(URL).json()["count"] == 0
    assert auth_client.delete(detail(row)).status_code == 404
    row.refresh_from_db()
    assert row.is_deleted and row.deleted_at is not None
    restored = auth_client.post(f"{detail(row)}restore/")
    assert restored.status_code == 200
    assert restored.json()["is_deleted"] is False
    assert auth_client.post(f"{detail(row)}restore/").status_code == 404


def test_patch_of_the_category_is_recorded_as_a_correction(auth_client, user):
    row = TransactionFactory(user=user)
    assert auth_client.patch(detail(row), {"category": "dining"}).json()["category"] == "dining"
    correction = UserCorrection.objects.get()
    assert (correction.old_category.slug, correction.new_category.slug) == ("groceries", "dining")


def test_patch_ignores_read_only_fields_and_rejects_bad_values(auth_client, user):
    row = TransactionFactory(user=user)
    assert auth_client.patch(detail(row), {"source": "ofx", "is_deleted": True, "anomaly_score": 1}).status_code == 200
    assert auth_client.patch(detail(row), {"amount": "abc"}).status_code == 400
    assert auth_client.patch(detail(row), {"date": "nope"}).status_code == 400
    row.refresh_from_db()
    assert (row.source, row.is_deleted, row.anomaly_score, row.amount) == ("manual", False, None, Decimal("-12.50"))


def test_restore_conflicts_with_a_live_row_holding_the_fingerprint(auth_client, user):
    deleted = TransactionFactory(user=user, fingerprint="fp", is_deleted=True, deleted_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    TransactionFactory(user=user, account=deleted.account, fingerprint="fp")
    response = auth_client.post(f"{detail(deleted)}restore/")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_transaction"


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("patch", "", {"note": "mine now", "category": "dining"}),
        ("delete", "", None),
        ("post", "restore/", None),
        ("get", "suggestions/", None),
    ],
)
def test_another_users_transaction_is_a_404_on_every_verb(auth_client, other_user, method, suffix, payload):
    foreign = TransactionFactory(user=other_user, note="theirs")
    if suffix == "restore/":
        Transaction.objects.filter(pk=foreign.pk).update(is_deleted=True, deleted_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    before = Transaction.objects.filter(pk=foreign.pk).values().get()
    response = getattr(auth_client, method)(f"{detail(foreign)}{suffix}", payload)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Transaction.objects.filter(pk=foreign.pk).values().get() == before


def test_another_users_transaction_cannot_be_corrected_or_bulk_categorised(auth_client, user, other_user):
    foreign = TransactionFactory(user=other_user)
    mine = TransactionFactory(user=user)
    assert auth_client.post(f"{URL}correct/", {"transaction_id": str(foreign.pk), "new_category": "dining"}).status_code == 404
    response = auth_client.post(f"{URL}bulk-categorize/", {"ids": [str(mine.pk), str(foreign.pk)], "category": "dining"})
    assert response.status_code == 404
    assert set(Transaction.objects.values_list("category__slug", flat=True)) == {"groceries"}
    assert not UserCorrection.objects.exists()


def test_a_malformed_id_in_the_path_is_a_404(auth_client):
    assert auth_client.get(f"{URL}not-a-uuid/").status_code == 404


# --- correct / suggestions ------------------------------------------------------------------
def test_a_correction_is_recorded_and_learned_at_once(auth_client, user, starbucks):
    first = auth_client.post(URL, {"date": "2024-03-01", "amount": "-4.75", "merchant_raw": "ZEBRA BEANS 1234"}).json()
    assert first["category"] == "coffee"
    response = auth_client.post(f"{URL}correct/", {"transaction_id": first["id"], "new_category": "dining", "reason": "lunch"})
    assert response.status_code == 200
    assert response.json() == {"message": "Corrected", "old_category": "coffee", "new_category": "dining"}
    correction = UserCorrection.objects.get()
    assert (correction.reason, correction.transaction.user_id) == ("lunch", user.pk)
    later = auth_client.post(URL, {"date": "2024-03-02", "amount": "-5.10", "merchant_raw": "ZEBRA BEANS 1234"}).json()
    assert later["category"] == "dining"
    assert later["confidence"]["method"] == "rule"
    suggestions = auth_client.get(f"{URL}{later['id']}/suggestions/").json()
    assert [item["category"] for item in suggestions][:2] == ["dining", "coffee"]
    assert suggestions == sorted(suggestions, key=lambda item: item["confidence"], reverse=True)


def test_corrections_to_my_own_category_are_learned(auth_client, user):
    mine = CategoryFactory(user=user, slug="boardgames")
    row = TransactionFactory(user=user, merchant_raw="DICE TOWER SHOP")
    assert auth_client.post(f"{URL}correct/", {"transaction_id": str(row.pk), "new_category": "boardgames"}).status_code == 200
    later = auth_client.post(URL, {"date": "2024-03-02", "amount": "-30.00", "merchant_raw": "dice  tower shop"}).json()
    assert later["category"] == mine.slug


def test_correct_refuses_bad_input(auth_client, user):
    row = TransactionFactory(user=user)
    assert auth_client.post(f"{URL}correct/", {"transaction_id": "nope", "new_category": "dining"}).status_code == 400
    assert auth_client.post(f"{URL}correct/", {"transaction_id": str(row.pk), "new_category": "nope"}).status_code == 400
    assert not UserCorrection.objects.exists()


# --- bulk categorise ------------------------------------------------------------------------
def test_bulk_categorise_by_ids_records_one_correction_per_changed_row(auth_client, user):
    rows = [TransactionFactory(user=user) for _ in range(3)]
    already = TransactionFactory(user=user, category=system_category("dining"))
    ids = [str(row.pk) for row in [*rows, already]]
    response = auth_client.post(f"{URL}bulk-categorize/", {"ids": ids, "category": "dining"})
    assert response.status_code == 200
    assert response.json() == {"updated": 3}
    assert set(Transaction.objects.values_list("category__slug", flat=True)) == {"dining"}
    assert UserCorrection.objects.count() == 3
    assert Transaction.objects.get(pk=rows[0].pk).confidence["method"] == "user"


def test_bulk_categorise_takes_one_id_in_any_spelling_once(auth_client, user):
    first, second = TransactionFactory(user=user), TransactionFactory(user=user)
    spellings = [str(first.pk).upper(), str(first.pk), "{" + str(second.pk) + "}", second.pk.hex, f"urn:uuid:{second.pk}"]
    response = auth_client.post(f"{URL}bulk-categorize/", {"ids": spellings, "category": "travel"})
    assert response.status_code == 200
    assert response.json() == {"updated": 2}
    assert UserCorrection.objects.count() == 2
    assert set(Transaction.objects.values_list("category__slug", flat=True)) == {"travel"}


def test_bulk_categorise_records_what_each_row_had_and_learns_it(auth_client, user, other_user):
    groceries, shopping = system_category("groceries"), system_category("shopping")
    first = TransactionFactory(user=user, category=groceries, merchant_raw="ZEBRA BEANS 1234 SEATTLE WA")
    second = TransactionFactory(user=user, category=shopping, merchant_raw='Quote "and" back\\slash, comma')
    response = auth_client.post(
        f"{URL}bulk-categorize/", {"ids": [str(first.pk), str(second.pk)], "category": "coffee"}
    )
    assert response.json() == {"updated": 2}
    corrections = {row.transaction_id: row for row in UserCorrection.objects.all()}
    assert set(corrections) == {first.pk, second.pk}
    assert corrections[first.pk].old_category == groceries and corrections[second.pk].old_category == shopping
    assert {row.new_category.slug for row in corrections.values()} == {"coffee"}
    assert {row.transaction.user_id for row in corrections.values()} == {user.pk}
    assert {row.reason for row in corrections.values()} == {"bulk"}
    assert corrections[first.pk].descriptor == normalise_descriptor(first.merchant_raw)
    assert corrections[second.pk].descriptor == normalise_descriptor(second.merchant_raw)
    # Learned at once: a new row with the same descriptor is coffee; another user's is not.
    created = auth_client.post(URL, {"date": "2024-05-01", "amount": "-3.00", "merchant_raw": second.merchant_raw})
    assert created.json()["category"] == "coffee"


@pytest.mark.postgres
@pytest.mark.usefixtures("fast_paths_on")
def test_bulk_corrections_get_time_ordered_ids(auth_client, user):
    rows = TransactionFactory.create_batch(5, user=user)
    auth_client.post(f"{URL}bulk-categorize/", {"ids": [str(row.pk) for row in rows], "category": "travel"})
    ids = list(UserCorrection.objects.values_list("id", flat=True))
    assert len(ids) == 5
    assert {value.version for value in ids} == {7}
    # The first 48 bits are the write's Unix time in milliseconds.
    written = {int(value.hex[:12], 16) for value in ids}
    now = int(datetime.datetime.now(datetime.UTC).timestamp() * 1000)
    assert all(now - 60_000 < value <= now for value in written)


@pytest.mark.postgres
@pytest.mark.usefixtures("fast_paths_on")
def test_a_row_changed_between_the_scope_and_the_update_is_left_to_that_writer(auth_client, user, monkeypatch):
    rows = TransactionFactory.create_batch(3, user=user)
    changed_meanwhile = rows[1]
    read_scope = bulk.read_scope

    def another_writer_after_the_scope(**kwargs):
        # After the scope was read, before the UPDATE: the row gets a new version elsewhere.
        scope = read_scope(**kwargs)
        Transaction.objects.filter(pk=changed_meanwhile.pk).update(category=system_category("health"))
        return scope

    monkeypatch.setattr(bulk, "read_scope", another_writer_after_the_scope)
    response = auth_client.post(f"{URL}bulk-categorize/", {"ids": [str(row.pk) for row in rows], "category": "travel"})
    assert response.json() == {"updated": 2}
    assert Transaction.objects.get(pk=changed_meanwhile.pk).category.slug == "health"
    assert set(UserCorrection.objects.values_list("transaction_id", flat=True)) == {rows[0].pk, rows[2].pk}


@pytest.mark.postgres
@pytest.mark.usefixtures("fast_paths_on")
def test_a_row_address_taken_by_another_row_moves_nothing(user, other_user):
    """Between the scope and the UPDATE, VACUUM may give a freed address to another row
    (another user's too): the UPDATE checks id, owner and liveness, not the address alone."""
    mine = TransactionFactory(user=user)
    theirs = TransactionFactory(user=other_user)
    gone = TransactionFactory(user=user, is_deleted=True, deleted_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("SELECT id::text, ctid::text, category_id::text FROM ledger_transaction")
        address = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
        def scope_row(address_of, row):
            return services.ScopeRow(address[str(address_of.pk)][0], str(row.pk), address[str(row.pk)][1], row.date, "", None)

        stale = [
            scope_row(theirs, mine),  # their address, my id
            scope_row(theirs, theirs),  # their row, as mine
            scope_row(gone, gone),  # my deleted row
        ]
        target = system_category("travel")
        cursor.execute(services.BULK_UPDATE_SQL, services.bulk_update_params(user=user, target=target, moving=stale, now=timezone.now()))
        assert cursor.fetchall() == []
    assert set(Transaction.objects.values_list("category__slug", flat=True)) == {"groceries"}


def test_bulk_categorise_is_atomic_an_unknown_id_changes_nothing(auth_client, user):
    row = TransactionFactory(user=user)
    response = auth_client.post(
        f"{URL}bulk-categorize/", {"ids": [str(row.pk), "00000000-0000-4000-8000-000000000000"], "category": "dining"}
    )
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.category.slug == "groceries"
    assert not UserCorrection.objects.exists()


def test_bulk_categorise_by_filter(auth_client, user):
    TransactionFactory(user=user, merchant_raw="UBER TRIP", date=datetime.date(2024, 3, 1))
    TransactionFactory(user=user, merchant_raw="UBER TRIP", date=datetime.date(2023, 3, 1))
    TransactionFactory(user=user, merchant_raw="GROCER")
    response = auth_client.post(
        f"{URL}bulk-categorize/", {"filter": {"q": "uber", "since": "2024-01-01"}, "category": "rideshare"}
    )
    assert response.json() == {"updated": 1}
    assert Transaction.objects.filter(category__slug="rideshare").count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"category": "dining"},
        {"ids": [], "category": "dining"},
        {"ids": ["nope"], "category": "dining"},
        {"ids": ["00000000-0000-4000-8000-000000000000"], "filter": {}, "category": "dining"},
        {"filter": {"since": "bad"}, "category": "dining"},
        {"filter": {}, "category": "no_such"},
    ],
)
def test_bulk_categorise_refuses_bad_input(auth_client, user, payload):
    TransactionFactory(user=user)
    assert auth_client.post(f"{URL}bulk-categorize/", payload).status_code == 400
    assert not UserCorrection.objects.exists()


# --- duplicates ---------------------------------------------------------------------------
def test_duplicates_groups_likely_duplicates_and_says_why(auth_client, user):
    account = AccountFactory(user=user)
    first = TransactionFactory(user=user, account=account, date=datetime.date(2024, 3, 1), merchant_raw="NETFLIX.COM 123")
    second = TransactionFactory(user=user, account=account, date=datetime.date(2024, 3, 2), merchant_raw="NETFLIX.COM 123")
    TransactionFactory(user=user, account=account, date=datetime.date(2024, 3, 10), merchant_raw="NETFLIX.COM 123")  # too late
    TransactionFactory(user=user, account=account, date=datetime.date(2024, 3, 1), merchant_raw="SHELL OIL")  # other merchant
    TransactionFactory(user=user, date=datetime.date(2024, 3, 1), merchant_raw="NETFLIX.COM 123")  # other account
    body = auth_client.get(f"{URL}duplicates/").json()
    assert body["count"] == 1
    group = body["results"][0]
    assert {row["id"] for row in group["transactions"]} == {str(first.pk), str(second.pk)}
    assert group["reasons"] == ["same account", "same amount -12.50", "dates within 1 day", "merchant similarity 1.00"]


def test_duplicates_refuses_bad_filters(auth_client):
    assert auth_client.get(f"{URL}duplicates/", {"since": "x"}).status_code == 400


@pytest.mark.parametrize("field, value", [("merchant", "%00x"), ("category", "a%00"), ("q", "a%00b")])
def test_nul_bytes_in_filters_are_a_400_not_a_database_error(auth_client, field, value):
    # PostgreSQL refuses NUL in text parameters; a filter carrying one must never reach it.
    response = auth_client.get(f"/api/v1/transactions/?{field}={value}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_export_with_a_nul_filter_is_refused_before_streaming(auth_client):
    response = auth_client.get("/api/v1/transactions/export/?format=csv&merchant=%00")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ("not-a-list", {"ids": ['Expected a list of items but got type "str".']}),
        ([], {"ids": ["This list may not be empty."]}),
        (["00000000-0000-4000-8000-000000000000", "nope"], {"ids.1": ["Must be a valid UUID."]}),
    ],
)
def test_bulk_categorise_names_each_bad_id(auth_client, ids, expected):
    response = auth_client.post(f"{URL}bulk-categorize/", {"ids": ids, "category": "dining"})
    assert response.status_code == 400
    assert response.json()["errors"] == expected
