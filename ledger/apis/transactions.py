"""Transactions API (API.md, Transactions). Views are thin: parse, call one service or
selector, serialise."""

import itertools
import json

from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import error_responses
from core.pagination import LimitOffsetPagination
from ledger import export, selectors, services
from ledger.apis.serializers import (
    BulkCategorizeInput,
    BulkCategorizeOutput,
    CorrectInput,
    CorrectOutput,
    DuplicatePageOutput,
    ExportQueryInput,
    SuggestionOutput,
    TransactionCreateInput,
    TransactionOutput,
    TransactionPageOutput,
    TransactionUpdateInput,
)
from ledger.categoriser import suggest
from ledger.json_pages import transaction_page_json
from ledger.models import TransactionSource

TAGS = ["transactions"]

TRANSACTION_EXAMPLE = {
    "id": "5d3c1f0e-8a4b-4f7e-9c1d-2b6a7e8f9a01",
    "account": "0b7e9c2a-1d4f-4e8b-9a6c-3f2e1d0c9b8a",
    "date": "2024-03-15",
    "amount": "-4.75",
    "currency": "USD",
    "merchant_raw": "STARBUCKS #1234 SEATTLE",
    "merchant": {"id": "8f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "canonical_name": "Starbucks", "category": "coffee"},
    "category": "coffee",
    "confidence": {"category": 0.9, "merchant": 1.0, "method": "merchant"},
    "source": "manual",
    "note": "",
    "anomaly_score": None,
    "is_deleted": False,
    "import_batch": None,
    "created_at": "2024-03-15T09:30:00Z",
    "updated_at": "2024-03-15T09:30:00Z",
}

FILTER_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATE, description="On or after this date (YYYY-MM-DD)."),
    OpenApiParameter("until", OpenApiTypes.DATE, description="On or before this date (YYYY-MM-DD)."),
    OpenApiParameter("category", OpenApiTypes.STR, description="Category slug; comma-separated for several."),
    OpenApiParameter("source", OpenApiTypes.STR, enum=TransactionSource.values),
    OpenApiParameter("account", OpenApiTypes.UUID, description="Financial account id."),
    OpenApiParameter("merchant", OpenApiTypes.STR, description="Merchant id, or text in the merchant name."),
    OpenApiParameter("min_amount", OpenApiTypes.DECIMAL, description="Signed amount, inclusive."),
    OpenApiParameter("max_amount", OpenApiTypes.DECIMAL, description="Signed amount, inclusive."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Full text over merchant and note (word prefixes)."),
    OpenApiParameter(
        "ordering", OpenApiTypes.STR,
        description="date, amount, created_at or merchant_raw; prefix - for descending. Default -date.",
    ),
]
PAGE_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size, default 50, max 500."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
]


class CountedRows:
    """Paginate with the count taken on the filtered queryset (no joins for output columns)
    and the page read as `.values()` rows: one COUNT and one SELECT per page."""

    def __init__(self, *, user, queryset, filters):
        self.user, self.queryset, self.filters = user, queryset, filters

    def count(self) -> int:
        return selectors.transaction_count(user=self.user, queryset=self.queryset, filters=self.filters)

    def __getitem__(self, item):
        return [selectors.transaction_to_dict(row) for row in selectors.transaction_rows(self.queryset)[item]]


class JsonRows:
    """PostgreSQL: the same count (cached; the ORM query is built only on a miss) and the page
    as JSON texts the database built (ledger.json_pages)."""

    def __init__(self, *, user, filters, cached_count=None):
        self.user, self.filters, self.cached_count = user, filters, cached_count
        self.cleaned = selectors.transaction_filters(filters=filters)
        self.cached_total = None

    def count(self) -> int:
        counted_here = []

        def queryset():
            counted_here.append(True)
            return selectors.transaction_list(user=self.user, filters=self.filters)

        total = selectors.transaction_count(user=self.user, filters=self.filters, cached=self.cached_count, queryset=queryset)
        self.cached_total = None if counted_here else total
        return total

    def __getitem__(self, item: slice) -> list[str]:
        # A cached total (the paginator asks it first) tells a full-text page how common its word
        # is. A total counted in this request already cost a query: the page then takes the
        # planned path, so a request stays at three queries (token user, count, page).
        return transaction_page_json(
            user_id=self.user.pk, cleaned=self.cleaned, offset=item.start, limit=item.stop - item.start,
            match_count=self.cached_total,
        )


def json_page_response(paginator: LimitOffsetPagination, rows: list[str]) -> HttpResponse:
    """The paginated body around rows that are JSON texts already: Python never decodes or
    re-encodes a row."""
    next_link, previous_link = json.dumps(paginator.get_next_link()), json.dumps(paginator.get_previous_link())
    body = f'{{"count":{paginator.count:d},"next":{next_link},"previous":{previous_link},"results":[{",".join(rows)}]}}'
    return HttpResponse(body.encode(), content_type="application/json")


class TransactionListApi(APIView):
    def redis_prefetch(self, request):
        # The cached count rides on the throttle's Redis round trip (core.throttling).
        return selectors.transaction_count_key(user=request.user, filters=request.query_params)

    @extend_schema(
        tags=TAGS,
        operation_id="transactions_list",
        summary="List transactions",
        description="The user's live transactions, newest first. Deleted rows never appear.",
        parameters=FILTER_PARAMETERS + PAGE_PARAMETERS,
        responses={200: TransactionPageOutput, **error_responses(400, 401)},
        examples=[
            OpenApiExample(
                "page", response_only=True,
                value={"count": 1, "next": None, "previous": None, "results": [TRANSACTION_EXAMPLE]},
            )
        ],
    )
    def get(self, request):
        paginator = LimitOffsetPagination()
        if connection.vendor == "postgresql":
            # What redis_prefetch asked for, when the throttle read it (else the count reads it).
            cached = next(iter(getattr(request, "redis_prefetched", {}).values()), None)
            rows = JsonRows(user=request.user, filters=request.query_params, cached_count=cached)
            page = paginator.paginate_queryset(rows, request, view=self)
            return json_page_response(paginator, page)
        queryset = selectors.transaction_list(user=request.user, filters=request.query_params)
        rows = CountedRows(user=request.user, queryset=queryset, filters=request.query_params)
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(page)

    @extend_schema(
        tags=TAGS,
        operation_id="transactions_create",
        summary="Enter a transaction by hand",
        description="`source` is `manual`; when `category` is omitted the categoriser suggests one.",
        request=TransactionCreateInput,
        responses={201: TransactionOutput, **error_responses(400, 401)},
        examples=[
            OpenApiExample(
                "coffee", request_only=True,
                value={"date": "2024-03-15", "amount": "-4.75", "merchant_raw": "STARBUCKS #1234 SEATTLE", "note": ""},
            ),
            OpenApiExample("created", response_only=True, value=TRANSACTION_EXAMPLE, status_codes=["201"]),
        ],
    )
    def post(self, request):
        data = TransactionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.transaction_create(user=request.user, **data.validated_data)
        return Response(selectors.transaction_detail(user=request.user, transaction_id=row.pk), status=status.HTTP_201_CREATED)


class TransactionDetailApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="transactions_retrieve", summary="One transaction",
        responses={200: TransactionOutput, **error_responses(401, 404)},
        examples=[OpenApiExample("transaction", value=TRANSACTION_EXAMPLE, response_only=True)],
    )
    def get(self, request, transaction_id):
        return Response(selectors.transaction_detail(user=request.user, transaction_id=transaction_id))

    @extend_schema(
        tags=TAGS, operation_id="transactions_partial_update", summary="Change a transaction",
        description="Writable: account, date, amount, currency, merchant_raw, category, note. Other fields are "
        "read-only and ignored. A category change is recorded as a correction.",
        request=TransactionUpdateInput,
        responses={200: TransactionOutput, **error_responses(400, 401, 404)},
        examples=[OpenApiExample("re-date", value={"date": "2024-03-16", "note": "paid in cash"}, request_only=True)],
    )
    def patch(self, request, transaction_id):
        data = TransactionUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.transaction_update(user=request.user, transaction_id=transaction_id, data=data.validated_data)
        return Response(selectors.transaction_detail(user=request.user, transaction_id=transaction_id))

    @extend_schema(
        tags=TAGS, operation_id="transactions_destroy", summary="Soft-delete a transaction",
        responses={204: None, **error_responses(401, 404)},
    )
    def delete(self, request, transaction_id):
        services.transaction_delete(user=request.user, transaction_id=transaction_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TransactionRestoreApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="transactions_restore", summary="Restore a soft-deleted transaction",
        request=None, responses={200: TransactionOutput, **error_responses(401, 404, 409)},
    )
    def post(self, request, transaction_id):
        services.transaction_restore(user=request.user, transaction_id=transaction_id)
        return Response(selectors.transaction_detail(user=request.user, transaction_id=transaction_id))


class TransactionCorrectApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="transactions_correct", summary="Correct a transaction's category",
        description="Records a correction; the categoriser learns from it at once for later rows with the "
        "same descriptor or merchant.",
        request=CorrectInput,
        responses={200: CorrectOutput, **error_responses(400, 401, 404)},
        examples=[
            OpenApiExample(
                "correct", request_only=True,
                value={"transaction_id": TRANSACTION_EXAMPLE["id"], "new_category": "dining", "reason": "team lunch"},
            ),
            OpenApiExample(
                "corrected", response_only=True,
                value={"message": "Corrected", "old_category": "coffee", "new_category": "dining"},
            ),
        ],
    )
    def post(self, request):
        data = CorrectInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.transaction_correct(
            user=request.user,
            transaction_id=data.validated_data["transaction_id"],
            new_category=data.validated_data["new_category"],
            reason=data.validated_data["reason"],
        )
        return Response(
            {"message": "Corrected", "old_category": result.old_category.slug, "new_category": result.new_category.slug}
        )


class TransactionBulkCategorizeApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="transactions_bulk_categorize", summary="Categorise many transactions",
        description="Either `ids` (at most 10,000) or `filter` (the list filters). Atomic: an unknown id "
        "changes nothing (404). Every changed row gets a correction.",
        request=BulkCategorizeInput,
        responses={200: BulkCategorizeOutput, **error_responses(400, 401, 404)},
        examples=[
            OpenApiExample("by ids", request_only=True, value={"ids": [TRANSACTION_EXAMPLE["id"]], "category": "dining"}),
            OpenApiExample(
                "by filter", request_only=True,
                value={"filter": {"q": "starbucks", "since": "2024-01-01"}, "category": "coffee"},
            ),
            OpenApiExample("updated", response_only=True, value={"updated": 42}),
        ],
    )
    def post(self, request):
        data = BulkCategorizeInput(data=request.data)
        data.is_valid(raise_exception=True)
        filters = data.validated_data.get("filter")
        updated = services.transactions_bulk_categorise(
            user=request.user,
            category=data.validated_data["category"],
            ids=data.validated_data.get("ids"),
            filters={key: str(value) for key, value in filters.items()} if filters is not None else None,
        )
        return Response({"updated": updated})


class TransactionSuggestionsApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="transactions_suggestions", summary="Category suggestions for a transaction",
        responses={200: SuggestionOutput(many=True), **error_responses(401, 404)},
        examples=[
            OpenApiExample(
                "suggestions", response_only=True,
                value=[{"category": "coffee", "confidence": 0.9}, {"category": "uncategorized", "confidence": 0.0}],
            )
        ],
    )
    def get(self, request, transaction_id):
        row = selectors.transaction_get(user=request.user, transaction_id=transaction_id)
        ranked = suggest(request.user, row)
        return Response([{"category": category.slug, "confidence": confidence} for category, confidence in ranked])


class TransactionDuplicatesApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="transactions_duplicates", summary="Groups of likely duplicates",
        description="Same account, same amount, dates at most 2 days apart and a similar merchant. Accepts the "
        "list filters (narrow with since/until on large ledgers); groups are paginated.",
        parameters=FILTER_PARAMETERS + PAGE_PARAMETERS,
        responses={200: DuplicatePageOutput, **error_responses(400, 401)},
        examples=[
            OpenApiExample(
                "groups", response_only=True,
                value={
                    "count": 1, "next": None, "previous": None,
                    "results": [{
                        "reason": "same account, same amount -4.75, dates within 1 day, merchant similarity 1.00",
                        "reasons": ["same account", "same amount -4.75", "dates within 1 day", "merchant similarity 1.00"],
                        "similarity": 1.0,
                        "transactions": [TRANSACTION_EXAMPLE, {**TRANSACTION_EXAMPLE, "date": "2024-03-16"}],
                    }],
                },
            )
        ],
    )
    def get(self, request):
        groups = selectors.transaction_duplicates(user=request.user, filters=request.query_params)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(groups, request, view=self)
        return paginator.get_paginated_response(page)


class IgnoreFormatNegotiation(BaseContentNegotiation):
    """`?format=` names the export's file type here, not a DRF renderer."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class TransactionExportApi(APIView):
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(
        tags=TAGS, operation_id="transactions_export", summary="Download transactions",
        description="A streamed CSV, JSON or XLSX file of the rows the list filters match. Text cells starting "
        "with = + - @, tab or CR are neutralised with a leading quote in CSV and XLSX.",
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=sorted(export.FORMATS), default="csv")]
        + FILTER_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.BINARY, **error_responses(400, 401)},
    )
    def get(self, request):
        query = ExportQueryInput(data={"format": request.query_params.get("format", "csv")})
        query.is_valid(raise_exception=True)
        export_format = query.validated_data["format"]
        filters = request.query_params.copy()
        filters.pop("format", None)
        # Validate the filters now, so a bad one is a 400 and not a broken download.
        selectors.transaction_list(user=request.user, filters=filters)
        rows = iter(selectors.transaction_export_rows(user=request.user, filters=filters))
        # Run the query before the response starts: an error mid-stream leaves a client waiting
        # on a download that never ends, while one raised here is an ordinary error response.
        rows = itertools.chain(list(itertools.islice(rows, 1)), rows)
        writer = {"csv": export.stream_csv, "json": export.stream_json, "xlsx": export.stream_xlsx}[export_format]
        response = StreamingHttpResponse(writer(rows), content_type=export.FORMATS[export_format])
        response["Content-Disposition"] = f'attachment; filename="{export.export_filename(export_format)}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response
