"""Transactions API (API.md, Transactions). Views are thin: parse, call one service or
selector, serialise."""

import itertools

from django.http import StreamingHttpResponse
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
from ledger.filters import LIST_FILTERS, ORDERING_DESCRIPTION
from ledger.transaction_fields import TRANSACTION_EXAMPLE

TAGS = ["transactions"]

FILTER_PARAMETERS = [
    *(OpenApiParameter(item.name, item.openapi_type, description=item.description, enum=item.enum) for item in LIST_FILTERS),
    OpenApiParameter("ordering", OpenApiTypes.STR, description=ORDERING_DESCRIPTION),
]
PAGE_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size, default 50, max 500."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
]


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
        # What redis_prefetch asked for, when the throttle read it (else the count reads it).
        cached_count = next(iter(getattr(request, "redis_prefetched", {}).values()), None)
        rows = selectors.transaction_page_source(user=request.user, filters=request.query_params, cached_count=cached_count)
        paginator = LimitOffsetPagination()
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
