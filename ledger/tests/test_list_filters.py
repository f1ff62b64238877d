"""Every declared list filter (ledger.filters.LIST_FILTERS) is honoured by every path: the
ORM list (and so export and duplicates), the page PostgreSQL builds, bulk-categorise by
filter, the strict parser and the FilterSet alike, and the OpenAPI parameters. Adding a
filter to the declaration adds it here; its example value below must narrow the ledger."""

import datetime
import json
from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.renderers import JSONRenderer

from ledger import selectors
from ledger.filters import LIST_FILTERS, TransactionFilter, transaction_filters_clean
from ledger.json_pages import transaction_page_json
from ledger.models import Transaction
from ledger.tests.factories import AccountFactory, TransactionFactory, system_category
from ledger.tests.pages import database_page, python_page

pytestmark = pytest.mark.django_db
URL = "/api/v1/transactions/"
# One value per declared filter that matches some of `ledger` and not all of it.
EXAMPLES = {
    "since": "2024-03-14",
    "until": "2024-03-13",
    "category": "dining,coffee",
    "source": "ofx",
    "account": lambda ledger: str(ledger["account"].pk),
    "merchant": "zebra",
    "min_amount": "0",
    "max_amount": "-4.75",
    "q": "pizza",
}


@pytest.fixture
def ledger(user, other_user, starbucks):
    account = AccountFactory(user=user)
    rows = [
        TransactionFactory(user=user, account=account, merchant=starbucks, merchant_raw="ZEBRA BEANS 1234",
                           category=system_category("coffee"), amount=Decimal("-4.75"), date=datetime.date(2024, 3, 15)),
        TransactionFactory(user=user, amount=Decimal("0.10"), note="refund", date=datetime.date(2024, 3, 14)),
        TransactionFactory(user=user, amount=Decimal("-20.00"), merchant_raw="Pizza Place", category=system_category("dining"),
                           source="ofx", date=datetime.date(2024, 3, 13)),
        TransactionFactory(user=user, amount=Decimal("-9.99"), merchant_raw="BOOK SHOP", date=datetime.date(2023, 12, 31)),
        TransactionFactory(user=other_user, merchant_raw="Pizza Place", source="ofx", category=system_category("dining")),
    ]
    return {"account": account, "rows": rows}


def example(name, ledger):
    value = EXAMPLES[name]
    return value(ledger) if callable(value) else value


def orm_ids(user, params) -> list[str]:
    return [str(pk) for pk in selectors.transaction_list(user=user, filters=params).values_list("id", flat=True)]


def test_every_declared_filter_has_an_example():
    assert set(EXAMPLES) == {item.name for item in LIST_FILTERS}


@pytest.mark.parametrize("name", [item.name for item in LIST_FILTERS])
def test_the_list_honours_each_filter(auth_client, user, ledger, name):
    params = {name: example(name, ledger)}
    matching = orm_ids(user, params)
    assert 0 < len(matching) < 4, "the example must narrow the user's four rows"
    body = auth_client.get(URL, params).json()
    assert [row["id"] for row in body["results"]] == matching
    assert body["count"] == len(matching)


@pytest.mark.postgres
@pytest.mark.parametrize("name", [item.name for item in LIST_FILTERS])
def test_the_database_built_page_honours_each_filter(user, ledger, name):
    params = {name: example(name, ledger)}
    expected = [json.loads(JSONRenderer().render(selectors.transaction_to_dict(row)))
                for row in selectors.transaction_rows(selectors.transaction_list(user=user, filters=params))]
    pages = transaction_page_json(user_id=user.pk, cleaned=selectors.transaction_filters(filters=params), offset=0, limit=50)
    assert [json.loads(text) for text in pages] == expected


@pytest.mark.parametrize("name", [item.name for item in LIST_FILTERS])
def test_the_export_honours_each_filter(auth_client, user, ledger, name):
    params = {name: example(name, ledger)}
    response = auth_client.get(f"{URL}export/", {"format": "json", **params})
    assert [row["id"] for row in json.loads(b"".join(response.streaming_content))] == orm_ids(user, params)


@pytest.mark.parametrize("name", [item.name for item in LIST_FILTERS])
def test_bulk_categorise_by_each_filter_changes_exactly_the_matching_rows(auth_client, user, other_user, ledger, name):
    params = {name: example(name, ledger)}
    matching = set(orm_ids(user, params))
    response = auth_client.post(f"{URL}bulk-categorize/", {"filter": params, "category": "travel"})
    assert response.status_code == 200
    travel = {str(pk) for pk in Transaction.objects.filter(category__slug="travel").values_list("id", flat=True)}
    assert travel == matching


@pytest.mark.parametrize("name", [item.name for item in LIST_FILTERS])
def test_the_strict_parser_and_the_filterset_clean_each_filter_alike(settings, ledger, name):
    params = {name: example(name, ledger)}
    settings.LEDGER_STRICT_FILTER_PARSER = True
    strict = transaction_filters_clean(params)
    settings.LEDGER_STRICT_FILTER_PARSER = False
    assert transaction_filters_clean(params) == strict
    form = TransactionFilter(data=params, queryset=Transaction.objects.none())
    assert form.is_valid() and form.form.cleaned_data == strict


def test_the_openapi_schema_documents_every_filter():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in (URL, f"{URL}export/", f"{URL}duplicates/"):
        documented = {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}
        assert {item.name for item in LIST_FILTERS} <= documented, path
    bulk = schema["components"]["schemas"]["BulkFilterInputRequest"]["properties"]
    assert set(bulk) == {item.name for item in LIST_FILTERS}


@pytest.mark.parametrize("name", ["since", "min_amount", "account"])
def test_a_bad_value_is_a_400_naming_the_filter(auth_client, name):
    response = auth_client.get(URL, {name: "not-a-value"})
    assert response.status_code == 400
    assert response.json()["errors"] == {name: response.json()["errors"][name]}


# --- other spellings and combinations, both paths (PostgreSQL builds the page) --------------
@pytest.mark.postgres
@pytest.mark.usefixtures("fast_paths_on")
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


@pytest.mark.postgres
@pytest.mark.usefixtures("fast_paths_on")
def test_it_filters_by_account_and_merchant_id_and_pages_alike(user, ledger_rows):
    for params in ({"account": str(ledger_rows["account"].pk)}, {"merchant": str(ledger_rows["starbucks"].pk)}):
        assert database_page(user, params) == python_page(user, params)
        assert len(database_page(user, params)) == 1
    assert database_page(user, {}, offset=1, limit=2) == python_page(user, {}, offset=1, limit=2)
