"""The transaction list's filters, declared once.

Each `ListFilter` in `LIST_FILTERS` says how its query parameter is validated (a
django-filter field: error messages, the OpenAPI parameter, the bulk-categorise input), how
its plain spelling is parsed fast, and what it means, as an ORM condition and as SQL over
the page builder's aliases (`t` transactions, `m` merchants; ledger.json_pages). The list,
the export, duplicates, bulk-categorise and the SQL page builder all derive from it;
ledger/tests/test_list_filters.py enumerates it and checks both paths honour every filter.

To add a filter: one `ListFilter` entry below (for a comparison on one column, one
`compare(...)` line).

Validation: bad values are field errors (400, never 500). `transaction_filters_clean` first
tries each filter's strict parser (decision 0003: microseconds where the FilterSet costs about
a millisecond); anything a strict parser does not take goes to the FilterSet, so a request
gets exactly the FilterSet's answer either way."""

import functools
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import django_filters
from django.db import connection
from django.db.models import BooleanField, Expression, F, Q, QuerySet, Subquery
from drf_spectacular.types import OpenApiTypes

from core.exceptions import ApplicationError
from ledger import fast_paths
from ledger.db import SEARCH_COLUMN
from ledger.models import SEARCH_CONFIG, Category, Transaction, TransactionSource

ORDERING_FIELDS = ("date", "amount", "created_at", "merchant_raw")
DEFAULT_ORDERING = ("-date", "-created_at", "-id")
ORDERING_CHOICES = frozenset(ORDERING_FIELDS) | {f"-{field}" for field in ORDERING_FIELDS}
SOURCES = frozenset(TransactionSource.values)


class NotPlain(Exception):
    """A strict parser's "not the plain spelling": the FilterSet decides."""


@dataclass(frozen=True)
class ListFilter:
    """One list filter. `form` validates (and documents) the parameter; `parse` turns its plain
    spelling into the value the form would give, or raises NotPlain; `orm` and `sql` apply a
    present value (None/"" is absent) for a user."""

    name: str
    form: django_filters.Filter
    parse: Callable[[str], Any]
    orm: Callable[[Any, Any], Q]
    sql: Callable[[Any, Any], tuple[str, list]]
    openapi_type: Any
    description: str
    enum: tuple[str, ...] | None = None
    # The bulk-categorise body's `filter` object takes it as this serializer field.
    bulk_input: Callable[[], Any] | None = None


# --- strict parsers ------------------------------------------------------------------------
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_DECIMAL = re.compile(r"[+-]?\d{1,30}(?:\.\d{1,30})?")


def _text(value: str) -> str:
    return value.strip()


def _date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    if not _ISO_DATE.fullmatch(value):
        raise NotPlain
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotPlain from None


def _decimal(value: str) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    if not _PLAIN_DECIMAL.fullmatch(value):
        raise NotPlain
    return Decimal(value)


def _uuid(value: str) -> uuid.UUID | None:
    value = value.strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotPlain from None


def _choice(choices: frozenset) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip()
        if value and value not in choices:
            raise NotPlain
        return value

    return parse


# --- conditions ----------------------------------------------------------------------------
_SQL_OPERATORS = {"exact": "=", "gte": ">=", "lte": "<="}


def compare(
    name: str, column: str, lookup: str, form: django_filters.Filter, parse, openapi_type, description: str, **more
) -> ListFilter:
    """A filter that compares one transactions column with the value."""
    operator = _SQL_OPERATORS[lookup]
    return ListFilter(
        name=name, form=form, parse=parse,
        orm=lambda value, user_id: Q(**{f"{column}__{lookup}": value}),
        sql=lambda value, user_id: (f"t.{column} {operator} %s", [value]),
        openapi_type=openapi_type, description=description, **more,
    )


def category_for_slug(*, user_id, slug: str) -> QuerySet[Category]:
    """The category a slug names for a user: their own, else the system one (own slugs never
    shadow system ones; services.category_create), as a one-row queryset."""
    return (
        Category.objects.filter(Q(user__isnull=True) | Q(user_id=user_id), slug=slug)
        .order_by(F("user_id").asc(nulls_last=True))[:1]
    )


def _slugs(value: str) -> list[str]:
    return list(dict.fromkeys(slug.strip() for slug in value.split(",") if slug.strip()))


def _category_orm(value: str, user_id) -> Q:
    # `category_id = (scalar subquery)` per slug: the planner compares against one id and walks
    # the (category, user, date, ...) index in page order; a join on the slug cannot.
    condition = Q()
    for slug in _slugs(value):
        condition |= Q(category_id=Subquery(category_for_slug(user_id=user_id, slug=slug).values("id")))
    return condition


_USER_MARK, _SLUG_MARK = uuid.UUID(int=0), "\x01slug"


@functools.cache
def _category_id_sql(vendor: str) -> tuple[str, tuple[str, ...]]:
    """category_for_slug's SQL (compiled once) and the order of its two parameters."""
    sql, params = category_for_slug(user_id=_USER_MARK, slug=_SLUG_MARK).values("id").query.sql_with_params()
    roles = tuple("user" if param == _USER_MARK else "slug" for param in params)
    return sql, roles


def _category_sql(value: str, user_id) -> tuple[str, list]:
    sql, roles = _category_id_sql(connection.vendor)
    slugs = _slugs(value)
    if not slugs:
        return "TRUE", []
    params: list = []
    for slug in slugs:
        params += [user_id if role == "user" else slug for role in roles]
    return "(" + " OR ".join(f"t.category_id = ({sql})" for _ in slugs) + ")", params


def _merchant_orm(value: str, user_id) -> Q:
    try:
        return Q(merchant_id=uuid.UUID(value))
    except ValueError:
        return Q(merchant__canonical_name__icontains=value) | Q(merchant_raw__icontains=value)


def _merchant_sql(value: str, user_id) -> tuple[str, list]:
    try:
        return "t.merchant_id = %s", [uuid.UUID(value)]
    except ValueError:
        pattern = "%" + connection.ops.prep_for_like_query(value) + "%"
        return "(UPPER(m.canonical_name::text) LIKE UPPER(%s) OR UPPER(t.merchant_raw::text) LIKE UPPER(%s))", [pattern, pattern]


def search_query(value: str) -> str:
    """The tsquery text for `q`: every word a prefix ("star" finds STARBUCKS), all required;
    words only, so tsquery syntax cannot be injected. "" when there is no word."""
    return " & ".join(f"{word}:*" for word in re.findall(r"\w+", (value or "").strip()))


def _search_orm(value: str, user_id) -> Q:
    if not fast_paths.full_text_search():
        return Q(merchant_raw__icontains=value) | Q(note__icontains=value)
    query = search_query(value)
    return Q(StoredDocumentMatches(query)) if query else Q(pk__in=[])


def _search_sql(value: str, user_id) -> tuple[str, list]:
    query = search_query(value)
    if not query:
        return "FALSE", []
    # The stored document with the GIN index on it (ledger.db, migration 0007).
    return f"t.{SEARCH_COLUMN} @@ to_tsquery('{SEARCH_CONFIG}'::regconfig, %s)", [query]


class StoredDocumentMatches(Expression):
    """`<transactions alias>.search_document @@ to_tsquery(config, query)`: the stored,
    GIN-indexed document (ledger.db, migration 0007; PostgreSQL only), which the ORM does not
    know as a field. The alias is the query's own, so it stays right inside subqueries."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, tsquery: str):
        super().__init__()
        self.tsquery = tsquery

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{alias}.{SEARCH_COLUMN} @@ to_tsquery(%s::regconfig, %s)", (SEARCH_CONFIG, self.tsquery)


# --- the declaration -----------------------------------------------------------------------
LIST_FILTERS: tuple[ListFilter, ...] = (
    compare("since", "date", "gte", django_filters.DateFilter(), _date, OpenApiTypes.DATE, "On or after this date (YYYY-MM-DD)."),
    compare("until", "date", "lte", django_filters.DateFilter(), _date, OpenApiTypes.DATE, "On or before this date (YYYY-MM-DD)."),
    ListFilter(
        "category", django_filters.CharFilter(), _text, _category_orm, _category_sql,
        OpenApiTypes.STR, "Category slug; comma-separated for several.",
    ),
    compare(
        "source", "source", "exact", django_filters.ChoiceFilter(choices=TransactionSource.choices),
        _choice(SOURCES), OpenApiTypes.STR, "How the row arrived.",
        enum=tuple(TransactionSource.values),
    ),
    compare("account", "account_id", "exact", django_filters.UUIDFilter(), _uuid, OpenApiTypes.UUID, "Financial account id."),
    ListFilter(
        "merchant", django_filters.CharFilter(), _text, _merchant_orm, _merchant_sql,
        OpenApiTypes.STR, "Merchant id, or text in the merchant name.",
    ),
    compare("min_amount", "amount", "gte", django_filters.NumberFilter(), _decimal, OpenApiTypes.DECIMAL, "Signed amount, inclusive."),
    compare("max_amount", "amount", "lte", django_filters.NumberFilter(), _decimal, OpenApiTypes.DECIMAL, "Signed amount, inclusive."),
    ListFilter(
        "q", django_filters.CharFilter(), _text, _search_orm, _search_sql,
        OpenApiTypes.STR, "Full text over merchant and note (word prefixes).",
    ),
)
FILTERS_BY_NAME = {item.name: item for item in LIST_FILTERS}
ORDERING_DESCRIPTION = "date, amount, created_at or merchant_raw; prefix - for descending. Default -date."

TransactionFilter = type(
    "TransactionFilter",
    (django_filters.FilterSet,),
    {
        "__doc__": "The filters' fields and error messages, built from LIST_FILTERS. Only validation runs through it.",
        **{item.name: item.form for item in LIST_FILTERS},
        "ordering": django_filters.OrderingFilter(fields=ORDERING_FIELDS),
    },
)


def transaction_filters_clean(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Query parameters -> cleaned filter values, or an ApplicationError (400) naming the field."""
    params = params or {}
    if fast_paths.strict_filter_parser():
        cleaned = _strict_clean(params)
        if cleaned is not None:
            return cleaned
    filterset = TransactionFilter(data=params, queryset=Transaction.objects.none())
    if not filterset.is_valid():
        errors = {field: [str(message) for message in messages] for field, messages in filterset.errors.items()}
        field, messages = next(iter(errors.items()))
        raise ApplicationError(f"{field}: {messages[0]}", code="invalid", errors=errors)
    return filterset.form.cleaned_data


def _strict_clean(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The plain spellings, parsed to the values the FilterSet's form gives them; None for
    anything else (every invalid value too), so the FilterSet decides."""
    raw = {name: params.get(name) for name in TransactionFilter.base_filters}
    if any(value is not None and not isinstance(value, str) for value in raw.values()):
        return None
    # PostgreSQL text cannot hold NUL (a DataError, i.e. a 500): the FilterSet refuses it.
    if any(value and "\x00" in value for value in raw.values()):
        return None
    cleaned: dict[str, Any] = {}
    try:
        for item in LIST_FILTERS:
            cleaned[item.name] = item.parse(raw[item.name] or "")
    except NotPlain:
        return None
    ordering = raw["ordering"]
    if ordering is None:
        cleaned["ordering"] = None
    elif ordering == "":
        cleaned["ordering"] = []
    else:
        cleaned["ordering"] = parts = ordering.split(",")
        if not all(part in ORDERING_CHOICES for part in parts):
            return None
    return cleaned


def present(cleaned: Mapping[str, Any]) -> list[tuple[ListFilter, Any]]:
    """The declared filters that have a value, with it."""
    found = []
    for item in LIST_FILTERS:
        value = cleaned.get(item.name)
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            found.append((item, value))
    return found


def ordering(cleaned: Mapping[str, Any]) -> tuple[str, ...]:
    """The requested order (parts of ORDERING_CHOICES), else DEFAULT_ORDERING."""
    return tuple(part for part in cleaned.get("ordering") or () if part) or DEFAULT_ORDERING


def transaction_filters_apply(queryset: QuerySet, cleaned: Mapping[str, Any], *, user_id) -> QuerySet:
    """Narrow and order `queryset` (the user's transactions) by cleaned filter values."""
    for item, value in present(cleaned):
        queryset = queryset.filter(item.orm(value, user_id))
    return queryset.order_by(*ordering(cleaned))
