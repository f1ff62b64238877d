"""The transaction filters: one definition for the list, export, duplicates and bulk-categorize.

Bad values (a date that is not one, an amount that is not a number, an unknown ordering) are
field errors, so the API answers 400, never 500.

Validation has two paths with one outcome. `transaction_filters_clean` first tries a strict
parser for the plain forms clients send (`2024-01-31`, `-12.50`, a hyphenated UUID, a known
ordering): it costs microseconds, where a django-filter FilterSet deep-copies its filters and
form fields on every request (~1 ms, a tenth of a list request). Anything the strict parser
does not accept goes to the FilterSet, which accepts the other forms Django's fields know
(`01/31/2024`, `1e3`) and words the errors; so a request gets exactly the FilterSet's
answer either way. Both paths produce the FilterSet form's `cleaned_data` shape."""

import re
import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import django_filters
from django.conf import settings
from django.db.models import BooleanField, Expression, F, Q, QuerySet, Subquery

from core.exceptions import ApplicationError
from ledger.db import SEARCH_COLUMN
from ledger.models import SEARCH_CONFIG, Category, Transaction, TransactionSource

ORDERING_FIELDS = ("date", "amount", "created_at", "merchant_raw")
DEFAULT_ORDERING = ("-date", "-created_at", "-id")
ORDERING_CHOICES = frozenset(ORDERING_FIELDS) | {f"-{field}" for field in ORDERING_FIELDS}
SOURCES = frozenset(TransactionSource.values)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_DECIMAL = re.compile(r"[+-]?\d{1,30}(?:\.\d{1,30})?")
_TEXT_FIELDS = ("category", "merchant", "q")


class TransactionFilter(django_filters.FilterSet):
    """The filters' fields, error messages and OpenAPI description. Only validation runs
    through it; `transaction_filters_apply` turns cleaned values into the query."""

    since = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    category = django_filters.CharFilter(help_text="Category slug; comma-separated for several.")
    source = django_filters.ChoiceFilter(choices=TransactionSource.choices)
    account = django_filters.UUIDFilter(field_name="account_id")
    merchant = django_filters.CharFilter(help_text="Merchant id, or text in the merchant name.")
    min_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    max_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")
    q = django_filters.CharFilter(help_text="Full text over merchant and note.")
    ordering = django_filters.OrderingFilter(fields=ORDERING_FIELDS)


def transaction_filters_clean(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Query parameters -> cleaned filter values, or an ApplicationError (400) naming the field."""
    params = params or {}
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
    """The common spellings, parsed to the same values the FilterSet's form gives them; None
    for anything else (including every invalid value), so the FilterSet decides."""
    raw = {name: params.get(name) for name in TransactionFilter.base_filters}
    if any(value is not None and not isinstance(value, str) for value in raw.values()):
        return None
    # PostgreSQL text cannot hold NUL (a DataError, i.e. a 500): let the FilterSet's form
    # fields refuse it with a 400, as they refuse every other invalid value.
    if any(value and "\x00" in value for value in raw.values()):
        return None
    cleaned: dict[str, Any] = {name: (raw[name] or "").strip() for name in _TEXT_FIELDS}
    for name in ("since", "until"):
        cleaned[name] = value = _strict_date(raw[name])
        if value is False:
            return None
    for name in ("min_amount", "max_amount"):
        cleaned[name] = value = _strict_decimal(raw[name])
        if value is False:
            return None
    source = (raw["source"] or "").strip()
    if source and source not in SOURCES:
        return None
    cleaned["source"] = source
    account = (raw["account"] or "").strip()
    cleaned["account"] = None
    if account:
        try:
            cleaned["account"] = uuid.UUID(account)
        except ValueError:
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


def _strict_date(value: str | None) -> date | None | bool:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        return date.fromisoformat(value)
    except ValueError:
        return False


def _strict_decimal(value: str | None) -> Decimal | None | bool:
    if value is None or not value.strip():
        return None
    value = value.strip()
    return Decimal(value) if _PLAIN_DECIMAL.fullmatch(value) else False


def transaction_filters_apply(queryset: QuerySet, cleaned: Mapping[str, Any], *, user_id) -> QuerySet:
    """Narrow and order `queryset` (the user's transactions) by cleaned filter values."""
    conditions: dict[str, Any] = {}
    if cleaned.get("since") is not None:
        conditions["date__gte"] = cleaned["since"]
    if cleaned.get("until") is not None:
        conditions["date__lte"] = cleaned["until"]
    if cleaned.get("source"):
        conditions["source"] = cleaned["source"]
    if cleaned.get("account") is not None:
        conditions["account_id"] = cleaned["account"]
    if cleaned.get("min_amount") is not None:
        conditions["amount__gte"] = cleaned["min_amount"]
    if cleaned.get("max_amount") is not None:
        conditions["amount__lte"] = cleaned["max_amount"]
    if conditions:
        queryset = queryset.filter(**conditions)
    if cleaned.get("category"):
        queryset = _filter_category(queryset, cleaned["category"], user_id=user_id)
    if cleaned.get("merchant"):
        queryset = _filter_merchant(queryset, cleaned["merchant"])
    if cleaned.get("q"):
        queryset = _filter_search(queryset, cleaned["q"])
    ordering = [part for part in cleaned.get("ordering") or () if part]
    return queryset.order_by(*(ordering or DEFAULT_ORDERING))


def _filter_category(queryset: QuerySet, value: str, *, user_id) -> QuerySet:
    slugs = list(dict.fromkeys(slug.strip() for slug in value.split(",") if slug.strip()))
    if not slugs:
        return queryset
    # A slug names one category for a user: their own, else the system one (own slugs never
    # shadow system ones; see category_create). As `category_id = (scalar subquery)` the
    # planner compares against one id and walks the (user, category, date, ...) index in
    # page order, reading 50 rows for a page of 50; a join on the slug cannot use that index.
    condition = Q()
    for slug in slugs:
        condition |= Q(category_id=Subquery(_category_id_for_slug(slug, user_id=user_id)))
    return queryset.filter(condition)


def _category_id_for_slug(slug: str, *, user_id) -> QuerySet:
    return (
        Category.objects.filter(Q(user__isnull=True) | Q(user_id=user_id), slug=slug)
        .order_by(F("user_id").asc(nulls_last=True))
        .values("id")[:1]
    )


def _filter_merchant(queryset: QuerySet, value: str) -> QuerySet:
    try:
        return queryset.filter(merchant_id=uuid.UUID(value))
    except ValueError:
        return queryset.filter(Q(merchant__canonical_name__icontains=value) | Q(merchant_raw__icontains=value))


def _filter_search(queryset: QuerySet, value: str) -> QuerySet:
    value = value.strip()
    if not value:
        return queryset
    if settings.IS_POSTGRES:
        # Every word is a prefix ("star" finds STARBUCKS); words only, so the raw tsquery
        # syntax cannot be injected.
        words = re.findall(r"\w+", value)
        if not words:
            return queryset.none()
        return queryset.filter(StoredDocumentMatches(" & ".join(f"{word}:*" for word in words)))
    return queryset.filter(Q(merchant_raw__icontains=value) | Q(note__icontains=value))


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
