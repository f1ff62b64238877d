"""The transaction filters: one FilterSet for the list, export, duplicates and bulk-categorize.

Bad values (a date that is not one, an amount that is not a number, an unknown ordering) are
field errors, so the API answers 400, never 500."""

import re
import uuid

import django_filters
from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.db.models import Q

from ledger.models import SEARCH_CONFIG, TransactionSource, transaction_search_vector

ORDERING_FIELDS = ("date", "amount", "created_at", "merchant_raw")
DEFAULT_ORDERING = ("-date", "-created_at", "-id")


class TransactionFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    category = django_filters.CharFilter(method="filter_category", help_text="Category slug; comma-separated for several.")
    source = django_filters.ChoiceFilter(choices=TransactionSource.choices)
    account = django_filters.UUIDFilter(field_name="account_id")
    merchant = django_filters.CharFilter(method="filter_merchant", help_text="Merchant id, or text in the merchant name.")
    min_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    max_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")
    q = django_filters.CharFilter(method="filter_search", help_text="Full text over merchant and note.")
    ordering = django_filters.OrderingFilter(fields=ORDERING_FIELDS)

    def filter_category(self, queryset, name, value):
        slugs = [slug.strip() for slug in value.split(",") if slug.strip()]
        return queryset.filter(category__slug__in=slugs) if slugs else queryset

    def filter_merchant(self, queryset, name, value):
        try:
            return queryset.filter(merchant_id=uuid.UUID(value))
        except ValueError:
            return queryset.filter(Q(merchant__canonical_name__icontains=value) | Q(merchant_raw__icontains=value))

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if settings.IS_POSTGRES:
            # The same expression as the GIN index (ledger.db), so the planner uses it.
            # Every word is a prefix ("star" finds STARBUCKS); words only, so the raw
            # tsquery syntax cannot be injected.
            words = re.findall(r"\w+", value)
            if not words:
                return queryset.none()
            query = SearchQuery(" & ".join(f"{word}:*" for word in words), config=SEARCH_CONFIG, search_type="raw")
            return queryset.annotate(search_document=transaction_search_vector()).filter(search_document=query)
        return queryset.filter(Q(merchant_raw__icontains=value) | Q(note__icontains=value))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("ordering"):
            queryset = queryset.order_by(*DEFAULT_ORDERING)
        return queryset
