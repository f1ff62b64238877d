"""GET /api/v1/transactions/{id}/similar/: the user's nearest transactions by embedding (issue 15)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError
from core.openapi import error_responses
from ledger import selectors
from ledger.categoriser.embeddings import similar_transaction_ids

MAX_LIMIT = 50


class SimilarTransactionsApi(APIView):
    @extend_schema(
        tags=["transactions"], operation_id="transactions_similar", summary="Nearest transactions by embedding",
        description="The caller's own live transactions whose descriptor embeddings (384 dimensions) are closest "
        "to this one's, best first, with the cosine `similarity`. Another user's transaction is a 404.",
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description=f"1..{MAX_LIMIT}, default 10.")],
        responses={
            200: inline_serializer(
                "SimilarTransaction", many=True,
                fields={"similarity": serializers.FloatField(), "transaction": serializers.DictField()},
            ),
            **error_responses(400, 401, 404),
        },
        examples=[
            OpenApiExample(
                "similar", response_only=True,
                value=[{"similarity": 0.93, "transaction": {"id": "5d3c1f0e-8a4b-4f7e-9c1d-2b6a7e8f9a01", "merchant_raw": "STARBUCKS #77"}}],
            )
        ],
    )
    def get(self, request, transaction_id):
        limit = _limit(request.query_params.get("limit"))
        row = selectors.transaction_get(user=request.user, transaction_id=transaction_id)
        ranked = similar_transaction_ids(user_id=request.user.pk, transaction=row, limit=limit * 2)
        rows = {
            item["id"]: item
            for item in map(
                selectors.transaction_to_dict,
                selectors.transaction_rows(selectors.transaction_live(user=request.user).filter(pk__in=[pk for pk, _ in ranked])),
            )
        }
        found = [{"similarity": score, "transaction": rows[str(pk)]} for pk, score in ranked if str(pk) in rows]
        return Response(found[:limit])


def _limit(value) -> int:
    if value in (None, ""):
        return 10
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ApplicationError(f"limit: between 1 and {MAX_LIMIT}.", code="invalid", errors={"limit": [f"1..{MAX_LIMIT}"]})
    return limit
