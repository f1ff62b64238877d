import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from merchants.models import Merchant, MerchantAlias, MerchantMerge
from merchants.tests.factories import merchant_with_aliases

SEARCH = "/api/v1/merchants/search/"
CREATE = "/api/v1/merchants/"


def merge_url(merchant) -> str:
    return f"/api/v1/merchants/{merchant.id}/merge/"


@pytest.fixture
def tiered(db):
    """Merchants with made-up names, so seeded ones cannot interfere with the exact tiers."""
    return {
        "exact": merchant_with_aliases("Vexlor", "VXL STORE"),
        "alias": merchant_with_aliases("Bright Corner", "VEXLOR", category="groceries"),
        "prefix": merchant_with_aliases("Vexlorama Outlet", category="clothing"),
        "fuzzy": merchant_with_aliases("Vexlar", category="home"),
    }


def test_search_orders_the_tiers_exact_alias_prefix_fuzzy(auth_client, tiered):
    response = auth_client.get(SEARCH, {"q": "vexlor"})
    assert response.status_code == 200
    body = response.json()
    names = [hit["canonical_name"] for hit in body]
    assert names[:3] == ["Vexlor", "Bright Corner", "Vexlorama Outlet"]
    assert [hit["score"] for hit in body[:3]] == [1.0, 0.9, 0.7]
    fuzzy = next(hit for hit in body if hit["canonical_name"] == "Vexlar")
    assert 0.3 <= fuzzy["score"] < 0.7
    assert body[0] == {
        "id": str(tiered["exact"].id),
        "canonical_name": "Vexlor",
        "category": "shopping",
        "aliases": ["VXL STORE"],
        "score": 1.0,
    }
    assert len(body) <= 20
    assert [hit["score"] for hit in body] == sorted((hit["score"] for hit in body), reverse=True)


def test_search_filters_by_category(auth_client, tiered):
    body = auth_client.get(SEARCH, {"q": "vexlor", "category": "groceries"}).json()
    assert [hit["canonical_name"] for hit in body] == ["Bright Corner"]


def test_search_finds_seeded_merchants_by_statement_alias(auth_client):
    body = auth_client.get(SEARCH, {"q": "AMZN Mktp US"}).json()
    assert body[0]["canonical_name"] == "Amazon" and body[0]["score"] == 0.9
    body = auth_client.get(SEARCH, {"q": "starbucks"}).json()
    assert body[0]["canonical_name"] == "Starbucks" and body[0]["score"] == 1.0
    body = auth_client.get(SEARCH, {"q": "swigy"}).json()
    assert body[0]["canonical_name"] == "Swiggy" and 0.3 <= body[0]["score"] < 0.7


@pytest.mark.parametrize("params", [{"q": "a"}, {"q": " a "}, {}, {"q": "x" * 201}])
def test_search_rejects_a_short_or_missing_query(auth_client, params):
    response = auth_client.get(SEARCH, params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "q" in response.json()["errors"]


def test_search_survives_sql_wildcards_and_quotes(auth_client):
    for query in ["%%", "__", "'; drop table x; --", "\\\\", "ab%cd"]:
        assert auth_client.get(SEARCH, {"q": query}).status_code == 200


def test_search_needs_a_login(api_client, db):
    assert api_client.get(SEARCH, {"q": "starbucks"}).status_code == 401


def test_admin_creates_a_merchant_cleaning_its_name_and_aliases(admin_client):
    response = admin_client.post(
        CREATE,
        {"canonical_name": "  glimmerwick   candles ", "category": "home", "country": "gb",
         "aliases": ["GLIMMERWICK LTD", "glimmerwick ltd", "  SQ *GLIMMERWICK  ", "GLIMMERWICK LTD LONDON"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["canonical_name"] == "Glimmerwick Candles"
    assert body["country"] == "GB"
    assert body["aliases"] == ["GLIMMERWICK LTD", "SQ *GLIMMERWICK"]
    assert set(MerchantAlias.objects.filter(merchant_id=body["id"]).values_list("normalised", flat=True)) == {"GLIMMERWICK", "GLIMMERWICK LTD"}


def test_admin_create_keeps_brand_casing(admin_client):
    response = admin_client.post(CREATE, {"canonical_name": "zQuibb", "category": "shopping"}, format="json")
    assert response.status_code == 201 and response.json()["canonical_name"] == "zQuibb"


def test_near_duplicate_answers_409_with_the_suggestion(admin_client):
    response = admin_client.post(CREATE, {"canonical_name": "Starbuck", "category": "coffee"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "near_duplicate"
    assert body["suggestion"]["canonical_name"] == "Starbucks" and body["suggestion"]["score"] > 0.8
    assert not Merchant.objects.filter(canonical_name="Starbuck").exists()
    insisted = admin_client.post(CREATE, {"canonical_name": "Starbuck", "category": "coffee", "allow_near_duplicate": True}, format="json")
    assert insisted.status_code == 201


def test_an_exact_duplicate_name_is_a_409_whatever_the_case(admin_client):
    response = admin_client.post(CREATE, {"canonical_name": "NETFLIX", "category": "subscriptions", "allow_near_duplicate": True}, format="json")
    assert response.status_code == 409 and response.json()["suggestion"]["canonical_name"] == "Netflix"


def test_an_alias_of_another_merchant_is_a_409(admin_client):
    response = admin_client.post(
        CREATE, {"canonical_name": "Plumbix Qq", "category": "home", "aliases": ["AMZN MKTP US"], "allow_near_duplicate": True}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "alias_taken"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"canonical_name": "Plumbix", "category": "not_a_slug"}, "category"),
        ({"canonical_name": "", "category": "home"}, "canonical_name"),
        ({"canonical_name": "Plumbix", "category": "home", "country": "GBR"}, "country"),
        ({"canonical_name": "Plumbix", "category": "home", "country": "1X"}, "country"),
        ({"canonical_name": "Plumbix", "category": "home", "aliases": [f"PLUMBIX {chr(65 + n // 26)}{chr(65 + n % 26)}Q" for n in range(51)]}, "aliases"),
        ({"canonical_name": "Plumbix", "category": "home", "aliases": ["POS 1234"]}, "aliases"),
        ({"canonical_name": "Plumbix", "category": "home", "aliases": "PLUMBIX"}, "aliases"),
    ],
)
def test_create_rejects_bad_input_with_field_errors(admin_client, payload, field):
    response = admin_client.post(CREATE, payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not Merchant.objects.filter(canonical_name="Plumbix").exists()


def test_create_is_admin_only(auth_client, api_client, db):
    payload = {"canonical_name": "Plumbix", "category": "home"}
    assert auth_client.post(CREATE, payload, format="json").status_code == 403
    assert api_client.post(CREATE, payload, format="json").status_code == 401
    assert not Merchant.objects.filter(canonical_name="Plumbix").exists()


def test_merge_moves_aliases_repoints_transactions_and_audits(admin_client, admin_user, user):
    from ledger.tests.factories import TransactionFactory

    source = merchant_with_aliases("Blorpmart", "BLORPMART 01", "BLORP MKT")
    into = merchant_with_aliases("Blorp Market", "BLORP MARKET")
    transactions = [TransactionFactory(user=user, merchant=source) for _ in range(3)]
    untouched = TransactionFactory(user=user, merchant=into)

    response = admin_client.post(merge_url(source), {"into": str(into.id)}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["merged"] == str(source.id)
    assert body["into"]["aliases"] == ["BLORP MARKET", "BLORP MKT", "BLORPMART 01"]
    assert body["repointed"]["ledger.Transaction.merchant"] == 3
    assert not Merchant.objects.filter(id=source.id).exists()
    for transaction in [*transactions, untouched]:
        transaction.refresh_from_db()
        assert transaction.merchant_id == into.id
    audit = MerchantMerge.objects.get()
    assert (audit.source_merchant_id, audit.source_name, audit.into, audit.merged_by) == (source.id, "Blorpmart", into, admin_user)
    assert audit.source_snapshot["aliases"] == ["BLORP MKT", "BLORPMART 01"]


def test_merge_is_admin_only_and_changes_nothing_on_denial(auth_client, db):
    source, into = merchant_with_aliases("Blorpmart"), merchant_with_aliases("Blorp Market")
    assert auth_client.post(merge_url(source), {"into": str(into.id)}, format="json").status_code == 403
    assert Merchant.objects.filter(id=source.id).exists()


def test_merge_keeps_the_merged_name_as_an_alias(admin_client, db):
    source, into = merchant_with_aliases("Blorpmart"), merchant_with_aliases("Blorp Market")
    admin_client.post(merge_url(source), {"into": str(into.id)}, format="json")
    assert list(into.aliases.values_list("alias", "normalised")) == [("Blorpmart", "BLORPMART")]


def test_merge_rejects_itself_and_unknown_ids(admin_client, db):
    merchant = merchant_with_aliases("Blorpmart")
    response = admin_client.post(merge_url(merchant), {"into": str(merchant.id)}, format="json")
    assert response.status_code == 400 and "into" in response.json()["errors"]
    missing = "00000000-0000-0000-0000-000000000000"
    assert admin_client.post(merge_url(merchant), {"into": missing}, format="json").status_code == 404
    assert admin_client.post(f"/api/v1/merchants/{missing}/merge/", {"into": str(merchant.id)}, format="json").status_code == 404
    assert admin_client.post(merge_url(merchant), {"into": "nope"}, format="json").status_code == 400
    assert Merchant.objects.filter(id=merchant.id).exists()


def test_stats_are_the_users_own_most_used_merchants(auth_client, user, other_user):
    from ledger.tests.factories import TransactionFactory

    coffee, grocer = merchant_with_aliases("Brewnix"), merchant_with_aliases("Grocerix")
    for amount in ["-4.50", "-3.20", "-5.00"]:
        TransactionFactory(user=user, merchant=coffee, amount=Decimal(amount), currency="USD", date=datetime.date(2024, 3, 1))
    TransactionFactory(user=user, merchant=coffee, amount=Decimal("-2.00"), currency="EUR", date=datetime.date(2024, 3, 9))
    TransactionFactory(user=user, merchant=grocer, amount=Decimal("-80.10"), currency="USD")
    TransactionFactory(user=user, merchant=grocer, amount=Decimal("-99.00"), currency="USD", is_deleted=True, deleted_at=timezone.now())
    TransactionFactory(user=other_user, merchant=grocer, amount=Decimal("-1000.00"), currency="USD")

    response = auth_client.get("/api/v1/merchants/stats/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "merchant": {"id": str(coffee.id), "canonical_name": "Brewnix", "category": "shopping"},
            "count": 4,
            "totals": [{"currency": "EUR", "amount": "-2.00"}, {"currency": "USD", "amount": "-12.70"}],
            "last_date": "2024-03-09",
        },
        {
            "merchant": {"id": str(grocer.id), "canonical_name": "Grocerix", "category": "shopping"},
            "count": 1,
            "totals": [{"currency": "USD", "amount": "-80.10"}],
            "last_date": "2024-03-15",
        },
    ]


def test_stats_validate_the_limit_and_need_a_login(auth_client, api_client):
    assert auth_client.get("/api/v1/merchants/stats/", {"limit": "0"}).status_code == 400
    assert auth_client.get("/api/v1/merchants/stats/", {"limit": "x"}).status_code == 400
    assert auth_client.get("/api/v1/merchants/stats/").json() == []
    assert api_client.get("/api/v1/merchants/stats/").status_code == 401
