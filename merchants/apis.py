from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.categories import system_category_slugs
from core.openapi import error_responses
from merchants import selectors, services

MERCHANTS_TAG = ["merchants"]


class MerchantOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    canonical_name = serializers.CharField()
    category = serializers.CharField()
    country = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    tags = serializers.JSONField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _merchant_body(merchant) -> dict:
    return MerchantOutputSerializer(
        {
            "id": merchant.id,
            "canonical_name": merchant.canonical_name,
            "category": merchant.category,
            "country": merchant.country,
            "aliases": sorted(merchant.aliases.values_list("alias", flat=True)),
            "tags": merchant.tags,
            "created_at": merchant.created_at,
            "updated_at": merchant.updated_at,
        }
    ).data


class MerchantSearchApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MerchantSearchInput"

        q = serializers.CharField(min_length=2, max_length=200, trim_whitespace=True)
        category = serializers.CharField(required=False, allow_blank=True, max_length=50)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MerchantSearchResult"

        id = serializers.UUIDField()
        canonical_name = serializers.CharField()
        category = serializers.CharField()
        aliases = serializers.ListField(child=serializers.CharField())
        score = serializers.FloatField()

    @extend_schema(
        tags=MERCHANTS_TAG,
        parameters=[
            OpenApiParameter("q", str, required=True, description="At least 2 characters."),
            OpenApiParameter("category", str, required=False, description="A system category slug."),
        ],
        responses={200: OutputSerializer(many=True), **error_responses(400, 401)},
        summary="Search merchants (exact 1.0, alias 0.9, prefix 0.7, fuzzy = trigram similarity), best 20",
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        hits = selectors.merchant_search(query=data.validated_data["q"], category=data.validated_data.get("category") or None)
        return Response(self.OutputSerializer(hits, many=True).data)


class MerchantCreateApi(APIView):
    permission_classes = [IsAdminUser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MerchantCreateInput"  # nested Input classes share a name: keep schema components apart

        canonical_name = serializers.CharField(max_length=200)
        category = serializers.ChoiceField(choices=sorted(system_category_slugs()))
        country = serializers.CharField(required=False, allow_blank=True, max_length=2, default="")
        aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False, default=list, max_length=200)
        tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list, max_length=50)
        allow_near_duplicate = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        tags=MERCHANTS_TAG,
        request=InputSerializer,
        responses={201: MerchantOutputSerializer, **error_responses(400, 401, 403, 409)},
        summary="Create a merchant (admin)",
        description="409 `near_duplicate` with a `suggestion` when an existing name or alias is over 0.8 similar "
        "(send `allow_near_duplicate: true` to create it anyway); 409 `alias_taken` when an alias belongs to another merchant.",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        merchant = services.merchant_create(**data.validated_data)
        return Response(_merchant_body(merchant), status=status.HTTP_201_CREATED)


class MerchantMergeApi(APIView):
    permission_classes = [IsAdminUser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MerchantMergeInput"

        into = serializers.UUIDField()

    @extend_schema(
        tags=MERCHANTS_TAG,
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "MerchantMergeResult",
                {
                    "merged": serializers.UUIDField(),
                    "into": MerchantOutputSerializer(),
                    "aliases_moved": serializers.IntegerField(),
                    "repointed": serializers.DictField(child=serializers.IntegerField()),
                },
            ),
            **error_responses(400, 401, 403, 404),
        },
        summary="Merge a merchant into another (admin)",
        description="Aliases move, transactions re-point, the merged merchant is deleted; one transaction, audited.",
    )
    def post(self, request, merchant_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        merge = services.merchant_merge(source_id=merchant_id, into_id=data.validated_data["into"], merged_by=request.user)
        return Response(
            {
                "merged": str(merge.source_merchant_id),
                "into": _merchant_body(merge.into),
                "aliases_moved": merge.aliases_moved,
                "repointed": merge.repointed,
            }
        )


class MerchantStatsApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MerchantStatsInput"

        limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=10)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MerchantUsage"

        merchant = inline_serializer(
            "MerchantRef",
            {"id": serializers.UUIDField(), "canonical_name": serializers.CharField(), "category": serializers.CharField()},
        )
        count = serializers.IntegerField()
        totals = inline_serializer(
            "MerchantTotal", {"currency": serializers.CharField(), "amount": serializers.DecimalField(max_digits=16, decimal_places=2)}, many=True
        )
        last_date = serializers.DateField()

    @extend_schema(
        tags=MERCHANTS_TAG,
        parameters=[OpenApiParameter("limit", int, required=False, description="1..100, default 10.")],
        responses={200: OutputSerializer(many=True), **error_responses(400, 401)},
        summary="The requesting user's most used merchants, with counts and signed totals per currency",
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        stats = selectors.merchant_usage_stats(user=request.user, limit=data.validated_data["limit"])
        return Response(self.OutputSerializer(stats, many=True).data)
