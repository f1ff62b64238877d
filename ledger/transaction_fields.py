"""A transaction's API fields, declared once.

Everything that shows or takes a transaction derives from `TRANSACTION_FIELDS`:
- the ORM path: `.values(*TRANSACTION_COLUMNS)` and `row_to_api` (ledger.selectors);
- the SQL page builder: `json_object_sql` (ledger.json_pages) and the columns it reads;
- the export: `EXPORT_FIELDS`, in declaration order (ledger.export);
- the OpenAPI schema: `output_serializer` / `input_serializer` (ledger.apis.serializers);
- the admin: the writable fields are the form's, every other model field is read-only;
- the services: `TRANSACTION_WRITABLE` is what `transaction_update` changes.

To add a field: add the model field (and its migration), then one `TransactionField` line
below. A plain column needs only its name and kind; `writable=True` with an `input` makes it
settable through the API and the admin. tests/test_transaction_fields.py enumerates this list
and checks every path emits every field.

Internal columns (fingerprint, external_id, blockchain_hash, ipfs_cid, user, deleted_at) are
deliberately not declared: they never reach a user's payload."""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from core.api_fields import CurrencyField, MoneyField
from ledger.models import TransactionSource


def utc_text_sql(column: str) -> str:
    """A timestamp as DRF prints it: ISO 8601 UTC with "Z", microseconds only when there are some."""
    return f"replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"


def plain_value(value: Any) -> Any:
    """The identity: a value that needs no conversion."""
    return value


def _text_or_none(value: Any) -> str | None:
    return str(value) if value is not None else None


def _iso_date(value: datetime.date) -> str:
    return value.isoformat()


def money_text(amount: Decimal) -> str:
    return f"{amount:.2f}"


@dataclass(frozen=True)
class Kind:
    """How a kind of column reads in Python (a `.values()` value -> API value), in SQL (the
    expression over the transactions alias `t` that PostgreSQL turns into the same JSON), in
    the OpenAPI schema and in a spreadsheet cell."""

    to_api: Callable[[Any], Any]
    sql: str  # with {column}
    output: Callable[..., serializers.Field]
    spreadsheet: Callable[[Any], Any] = plain_value


TEXT = Kind(plain_value, "t.{column}", serializers.CharField)
NUMBER = Kind(plain_value, "t.{column}", lambda **kw: serializers.FloatField(allow_null=True, **kw))
FLAG = Kind(plain_value, "t.{column}", serializers.BooleanField)
DATE = Kind(_iso_date, "t.{column}", serializers.DateField)
REFERENCE = Kind(_text_or_none, "t.{column}", lambda **kw: serializers.UUIDField(allow_null=True, **kw))
IDENTIFIER = Kind(str, "t.{column}", serializers.UUIDField)
MONEY = Kind(money_text, "t.{column}::text", serializers.CharField, spreadsheet=Decimal)
TIMESTAMP = Kind(plain_value, utc_text_sql("t.{column}"), serializers.DateTimeField, spreadsheet=str)


@dataclass(frozen=True)
class TransactionField:
    """One API field. `columns` are the `.values()` paths its value is read from (the first is
    the model column for a plain field); `to_api` maps the `.values()` row to the value; `sql`
    builds the same value in PostgreSQL over `t` ({merchant} and {category} stand for the
    joined rows' JSON and slug); `table_columns` are the transactions columns that SQL reads."""

    name: str
    columns: tuple[str, ...]
    to_api: Callable[[Mapping[str, Any]], Any]
    sql: str
    table_columns: tuple[str, ...]
    output: Callable[[], serializers.Field]
    spreadsheet: Callable[[Any], Any] = plain_value
    export: bool = True
    export_value: Callable[[Any], Any] = plain_value
    # A writable field sets the model field of its API name (the admin form edits it too);
    # `input` gives its input serializer field, told whether the input is a partial update.
    input: Callable[[bool], serializers.Field] | None = None
    example: Any = None
    help_text: str = ""

    @property
    def writable(self) -> bool:
        return self.input is not None


def column(
    name: str, kind: Kind, *, model_column: str | None = None, export: bool = True,
    input: Callable[[bool], serializers.Field] | None = None, example: Any = None, help_text: str = "",
    output: Callable[[], serializers.Field] | None = None,
) -> TransactionField:
    """A field that is one column of the transactions table."""
    attname = model_column or name
    convert = kind.to_api
    return TransactionField(
        name=name,
        columns=(attname,),
        to_api=lambda row: convert(row[attname]),
        sql=kind.sql.format(column=attname),
        table_columns=(attname,),
        output=output or (lambda: kind.output(help_text=help_text) if help_text else kind.output()),
        spreadsheet=kind.spreadsheet,
        export=export,
        input=input,
        example=example,
        help_text=help_text,
    )


def _merchant(row: Mapping[str, Any]) -> dict[str, Any] | None:
    if row["merchant_id"] is None:
        return None
    return {"id": str(row["merchant_id"]), "canonical_name": row["merchant__canonical_name"], "category": row["merchant__category"]}


class TransactionMerchantOutput(serializers.Serializer):
    id = serializers.UUIDField()
    canonical_name = serializers.CharField()
    category = serializers.CharField()


class TransactionConfidenceOutput(serializers.Serializer):
    category = serializers.FloatField(min_value=0, max_value=1)
    merchant = serializers.FloatField(min_value=0, max_value=1)
    method = serializers.CharField()


# Declaration order is the export's column order.
TRANSACTION_FIELDS: tuple[TransactionField, ...] = (
    column("id", IDENTIFIER, example="5d3c1f0e-8a4b-4f7e-9c1d-2b6a7e8f9a01"),
    column(
        "date", DATE, example="2024-03-15",
        input=lambda partial: serializers.DateField(required=not partial),
    ),
    column(
        "amount", MONEY, example="-4.75", help_text="Signed decimal string; negative = money out.",
        input=lambda partial: MoneyField(required=not partial),
    ),
    column("currency", TEXT, example="USD", input=lambda partial: CurrencyField(required=False)),
    column(
        "merchant_raw", TEXT, example="STARBUCKS #1234 SEATTLE",
        input=lambda partial: serializers.CharField(max_length=255, allow_blank=True, required=not partial),
    ),
    TransactionField(
        name="merchant",
        columns=("merchant_id", "merchant__canonical_name", "merchant__category"),
        to_api=_merchant,
        sql="CASE WHEN t.merchant_id IS NULL THEN NULL ELSE {merchant} END",
        table_columns=("merchant_id",),
        output=lambda: TransactionMerchantOutput(allow_null=True),
        export_value=lambda merchant: merchant["canonical_name"] if merchant else "",
        example={"id": "8f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "canonical_name": "Starbucks", "category": "coffee"},
    ),
    TransactionField(
        name="category",
        columns=("category__slug",),
        to_api=lambda row: row["category__slug"],
        sql="{category}",
        table_columns=("category_id",),
        output=lambda: serializers.CharField(help_text="Category slug."),
        input=lambda partial: serializers.SlugField(max_length=50, required=False, allow_blank=not partial),
        example="coffee",
    ),
    TransactionField(
        name="confidence",
        columns=("confidence",),
        to_api=lambda row: row["confidence"] or {},
        # Falsy JSON reads as {} in Python (`or {}`): the same here.
        sql="CASE WHEN t.confidence IS NULL OR t.confidence IN "
        "('null'::jsonb, 'false'::jsonb, '0'::jsonb, '\"\"'::jsonb, '[]'::jsonb) THEN '{{}}'::jsonb ELSE t.confidence END",
        table_columns=("confidence",),
        output=TransactionConfidenceOutput,
        export=False,
        example={"category": 0.9, "merchant": 1.0, "method": "merchant"},
    ),
    column(
        "source", TEXT, example="manual",
        output=lambda: serializers.ChoiceField(choices=TransactionSource.choices),
    ),
    column(
        "note", TEXT, example="",
        input=lambda partial: serializers.CharField(
            max_length=2000, required=False, allow_blank=True, **({} if partial else {"default": ""})
        ),
    ),
    column(
        "account", REFERENCE, model_column="account_id", example="0b7e9c2a-1d4f-4e8b-9a6c-3f2e1d0c9b8a",
        input=lambda partial: serializers.UUIDField(required=False, allow_null=True),
    ),
    column("anomaly_score", NUMBER, example=None),
    column("is_deleted", FLAG, export=False, example=False),
    column("import_batch", REFERENCE, model_column="import_batch_id", export=False, example=None),
    column("created_at", TIMESTAMP, example="2024-03-15T09:30:00Z"),
    column("updated_at", TIMESTAMP, export=False, example="2024-03-15T09:30:00Z"),
)
FIELDS_BY_NAME = {item.name: item for item in TRANSACTION_FIELDS}

# The ORM path reads these `.values()` paths, once each.
TRANSACTION_COLUMNS = tuple(dict.fromkeys(path for item in TRANSACTION_FIELDS for path in item.columns))
# The transactions-table columns the SQL path reads.
TABLE_COLUMNS = tuple(dict.fromkeys(("id", *(name for item in TRANSACTION_FIELDS for name in item.table_columns))))
EXPORT_FIELDS = tuple(item for item in TRANSACTION_FIELDS if item.export)
# The model fields the API and the admin may change (the category and account by reference).
TRANSACTION_WRITABLE = tuple(item.name for item in TRANSACTION_FIELDS if item.writable)
TRANSACTION_EXAMPLE = {item.name: item.example for item in TRANSACTION_FIELDS}


def row_to_api(row: Mapping[str, Any]) -> dict[str, Any]:
    """A `.values(*TRANSACTION_COLUMNS)` row in API.md's transaction shape."""
    return {item.name: item.to_api(row) for item in TRANSACTION_FIELDS}


def json_object_sql(*, merchant: str, category: str) -> str:
    """PostgreSQL text of one row's API JSON, over the transactions alias `t`."""
    pairs = ",\n    ".join(f"'{item.name}', {item.sql.format(merchant=merchant, category=category)}" for item in TRANSACTION_FIELDS)
    return f"json_build_object(\n    {pairs}\n)::text"


def output_serializer(name: str) -> type[serializers.Serializer]:
    """The transaction's output shape, for the OpenAPI schema."""
    return type(name, (serializers.Serializer,), {item.name: item.output() for item in TRANSACTION_FIELDS})


def input_serializer(name: str, *, partial: bool) -> type[serializers.Serializer]:
    """The writable fields as an input serializer (create, or a partial update)."""
    return type(name, (serializers.Serializer,), {item.name: item.input(partial) for item in TRANSACTION_FIELDS if item.writable})
