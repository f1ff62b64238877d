"""Every declared transaction field (ledger.transaction_fields) reaches every path: the ORM
rows, the page PostgreSQL builds, the export, the OpenAPI schema and the admin. Adding a
field to the declaration adds it to each of these checks."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.contrib import admin
from drf_spectacular.generators import SchemaGenerator
from rest_framework.renderers import JSONRenderer

from ledger import selectors
from ledger.admin import TransactionAdminForm
from ledger.json_pages import transaction_page_json
from ledger.models import Transaction
from ledger.tests.factories import ImportBatchFactory, TransactionFactory, system_category
from ledger.transaction_fields import EXPORT_FIELDS, TRANSACTION_FIELDS, TRANSACTION_WRITABLE

pytestmark = pytest.mark.django_db
NAMES = [item.name for item in TRANSACTION_FIELDS]
URL = "/api/v1/transactions/"


@pytest.fixture
def full_row(user, starbucks):
    """A row with a value in every declared field (nothing null), and a provenance hash."""
    row = TransactionFactory(
        user=user, merchant=starbucks, merchant_raw="ZEBRA BEANS 1234", category=system_category("coffee"),
        amount=Decimal("-4.75"), anomaly_score=0.25, import_batch=ImportBatchFactory(user=user), note="flat white",
        date=datetime.date(2024, 3, 15), blockchain_hash="ab" * 32, ipfs_cid="bafy-receipt",
    )
    return row


def api_row(user, row) -> dict:
    return selectors.transaction_detail(user=user, transaction_id=row.pk)


def test_the_orm_path_emits_every_declared_field_and_nothing_else(user, full_row):
    body = api_row(user, full_row)
    assert list(body) == NAMES
    assert all(body[name] is not None for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_api_shows_each_field(auth_client, user, full_row, name):
    expected = json.loads(JSONRenderer().render(api_row(user, full_row)))[name]
    listed = auth_client.get(URL).json()["results"][0]
    shown = auth_client.get(f"{URL}{full_row.pk}/").json()
    assert listed[name] == expected
    assert shown[name] == expected


@pytest.mark.postgres
def test_the_database_built_row_has_every_field_with_the_orm_value(user, full_row):
    (text,) = transaction_page_json(user_id=user.pk, cleaned=selectors.transaction_filters(filters={}), offset=0, limit=50)
    expected = json.loads(JSONRenderer().render(api_row(user, full_row)))
    assert json.loads(text) == expected


def test_the_export_has_every_exported_field(auth_client, user, full_row):
    expected = api_row(user, full_row)
    response = auth_client.get(f"{URL}export/", {"format": "csv"})
    header, row = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert header == [item.name for item in EXPORT_FIELDS]
    for item, cell in zip(EXPORT_FIELDS, row, strict=True):
        assert cell == str(item.export_value(expected[item.name])), item.name


def test_the_openapi_schema_documents_every_field():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    assert list(components["TransactionOutput"]["properties"]) == NAMES
    assert set(components["TransactionCreateInputRequest"]["properties"]) == set(TRANSACTION_WRITABLE)
    assert set(components["PatchedTransactionUpdateInputRequest"]["properties"]) == set(TRANSACTION_WRITABLE)


def test_the_admin_edits_exactly_the_writable_fields_and_shows_the_rest_read_only():
    model_admin = admin.site._registry[Transaction]
    model_fields = {field.name for field in Transaction._meta.concrete_fields}
    assert set(TransactionAdminForm.base_fields) == set(TRANSACTION_WRITABLE)
    assert set(model_admin.readonly_fields) == model_fields - set(TRANSACTION_WRITABLE)


def test_a_writable_field_changes_through_the_api(auth_client, user, full_row):
    # Each writable field, set through PATCH, reads back.
    values = {"date": "2024-04-01", "amount": "-5.00", "currency": "EUR", "merchant_raw": "OTHER CAFE",
              "category": "dining", "note": "changed", "account": None}
    assert set(values) == set(TRANSACTION_WRITABLE)
    response = auth_client.patch(f"{URL}{full_row.pk}/", values)
    assert response.status_code == 200
    assert {name: response.json()[name] for name in values} == values


def test_provenance_hashes_never_reach_a_users_payload(auth_client, user, full_row):
    """Issue #18: the integrity chain's hash and the receipt's content id are internal."""
    listed = auth_client.get(URL).content + auth_client.get(f"{URL}{full_row.pk}/").content
    exported = b"".join(auth_client.get(f"{URL}export/", {"format": "json"}).streaming_content)
    for body in (listed, exported):
        assert b"blockchain_hash" not in body and b"ab" * 32 not in body
        assert b"ipfs_cid" not in body and b"bafy-receipt" not in body
