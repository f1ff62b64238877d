"""Analytics API: the dashboard figures, subscriptions and anomalies. Thin: validate the query,
call one selector or service, serialise."""

import datetime

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors, services
from analytics.models import AnomalyFinding, Recurrence
from analytics.selectors import GROUPS, INTERVALS, Scope
from core.exceptions import ApplicationError
from core.openapi import error_responses
from ledger.selectors import account_get

TAGS = ["analytics"]
DEFAULT_DAYS = 365
MAX_DAYS = 10 * 366
MAX_BUCKETS = 1500


class ScopeInput(serializers.Serializer):
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)
    account = serializers.UUIDField(required=False)

    def validate(self, attrs):
        until = attrs.get("until") or timezone.localdate()
        since = attrs.get("since") or until - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            raise serializers.ValidationError({"since": ["Must not be after until."]})
        if (until - since).days >= MAX_DAYS:
            raise serializers.ValidationError({"since": [f"The range may span at most {MAX_DAYS} days."]})
        return {**attrs, "since": since, "until": until}


class SeriesInput(ScopeInput):
    interval = serializers.ChoiceField(choices=INTERVALS, default="month")
    group_by = serializers.ChoiceField(choices=GROUPS, default="category")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        days = (attrs["until"] - attrs["since"]).days + 1
        buckets = {"day": days, "week": days / 7, "month": days / 28}[attrs["interval"]]
        if buckets > MAX_BUCKETS:
            raise serializers.ValidationError({"interval": [f"At most {MAX_BUCKETS} buckets; use a wider interval."]})
        return attrs


def _scope(request, serializer_class=ScopeInput) -> tuple[Scope, dict]:
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    account_id = values.get("account")
    if account_id:
        try:
            account_get(user=request.user, account_id=account_id)
        except ApplicationError:
            raise ApplicationError("account: Unknown account.", errors={"account": ["Unknown account."]}) from None
    return Scope(since=values["since"], until=values["until"], account_id=account_id), values


SCOPE_PARAMETERS = [
    OpenApiParameter("since", datetime.date, description="First day (default: 364 days before until)."),
    OpenApiParameter("until", datetime.date, description="Last day, inclusive (default: today)."),
    OpenApiParameter("account", str, description="Only this financial account (UUID)."),
]
SERIES_PARAMETERS = [
    *SCOPE_PARAMETERS,
    OpenApiParameter("interval", str, enum=INTERVALS, description="Bucket size (default month)."),
]
MONEY = serializers.CharField(help_text="Decimal string.")

SummaryOutput = inline_serializer("AnalyticsSummary", fields={
    "since": serializers.DateField(), "until": serializers.DateField(), "income": MONEY, "expenses": MONEY, "net": MONEY,
    "savings_rate": serializers.FloatField(allow_null=True), "average_daily_spend": MONEY,
    "transaction_count": serializers.IntegerField(),
    "top_categories": serializers.ListField(child=serializers.DictField()),
    "top_merchants": serializers.ListField(child=serializers.DictField()),
    "previous": serializers.DictField(), "change": serializers.DictField(),
})
TimeseriesOutput = inline_serializer("AnalyticsTimeseries", fields={
    "interval": serializers.CharField(), "group_by": serializers.CharField(),
    "labels": serializers.ListField(child=serializers.CharField()),
    "series": serializers.ListField(child=inline_serializer("AnalyticsSeries", fields={
        "key": serializers.CharField(), "name": serializers.CharField(), "values": serializers.ListField(child=MONEY),
    })),
})
CashflowOutput = inline_serializer("AnalyticsCashflow", fields={
    "interval": serializers.CharField(), "since": serializers.DateField(), "until": serializers.DateField(),
    "total_in": MONEY, "total_out": MONEY, "net": MONEY,
    "buckets": serializers.ListField(child=inline_serializer("AnalyticsCashflowBucket", fields={
        "label": serializers.CharField(), "start": serializers.DateField(), "in": MONEY, "out": MONEY, "net": MONEY,
        "running_balance": MONEY,
    })),
})
CategoriesOutput = inline_serializer("AnalyticsCategoryTree", fields={
    "since": serializers.DateField(), "until": serializers.DateField(), "total_spent": MONEY,
    "categories": serializers.ListField(child=serializers.DictField(), help_text="{id, slug, name, is_income, spent, total, children}"),
})


class SummaryApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="analytics_summary", summary="KPIs for a period, the previous period and the change",
        description="Income, expenses (-(sum), refunds reduce it), net, savings rate, average daily spend, count, "
        "top 5 categories and merchants with shares. Transfers are left out.",
        parameters=SCOPE_PARAMETERS, responses={200: SummaryOutput, **error_responses(400, 401)},
    )
    def get(self, request):
        scope, _ = _scope(request)
        return Response(selectors.summary(user=request.user, scope=scope))


class TimeseriesApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="analytics_timeseries", summary="Spending per bucket and group, gap-filled",
        parameters=[*SERIES_PARAMETERS, OpenApiParameter("group_by", str, enum=GROUPS, description="Default category.")],
        responses={200: TimeseriesOutput, **error_responses(400, 401)},
    )
    def get(self, request):
        scope, values = _scope(request, SeriesInput)
        return Response(selectors.timeseries(user=request.user, scope=scope, interval=values["interval"], group_by=values["group_by"]))


class CashflowApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="analytics_cashflow", summary="Money in, out, net and running balance per bucket",
        parameters=SERIES_PARAMETERS, responses={200: CashflowOutput, **error_responses(400, 401)},
    )
    def get(self, request):
        scope, values = _scope(request, SeriesInput)
        return Response(selectors.cashflow(user=request.user, scope=scope, interval=values["interval"]))


class CategoriesApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="analytics_categories", summary="Category tree with spend, children rolled up",
        parameters=SCOPE_PARAMETERS, responses={200: CategoriesOutput, **error_responses(400, 401)},
    )
    def get(self, request):
        scope, _ = _scope(request)
        return Response(selectors.category_tree(user=request.user, scope=scope))


# --- subscriptions --------------------------------------------------------------------------
class RecurrenceOutput(serializers.ModelSerializer):
    merchant = serializers.UUIDField(source="merchant_id", allow_null=True)
    amount_mean = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount_tolerance = serializers.DecimalField(max_digits=14, decimal_places=2)
    monthly_equivalent = serializers.SerializerMethodField()
    transactions = serializers.ListField(source="transaction_ids", child=serializers.CharField())

    class Meta:
        model = Recurrence
        fields = [
            "id", "name", "merchant", "currency", "amount_mean", "amount_tolerance", "period", "period_days",
            "first_seen", "last_seen", "next_expected_date", "occurrences", "confidence", "status", "review",
            "monthly_equivalent", "transactions",
        ]

    def get_monthly_equivalent(self, row) -> str:
        return selectors.money(selectors.monthly_equivalent(row))


class SubscriptionListApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="analytics_subscriptions", summary="Detected recurring charges",
        description="Active and ended subscriptions (dismissed ones only with `include_dismissed=true`), each with "
        "its monthly-equivalent cost; `monthly_total` sums the active, not dismissed ones.",
        parameters=[OpenApiParameter("include_dismissed", bool)],
        responses={200: inline_serializer("SubscriptionList", fields={
            "count": serializers.IntegerField(), "monthly_total": MONEY, "results": RecurrenceOutput(many=True),
        }), **error_responses(401)},
    )
    def get(self, request):
        include = request.query_params.get("include_dismissed", "").lower() in ("1", "true", "yes")
        overview = selectors.subscriptions_overview(user=request.user, include_dismissed=include)
        return Response({**overview, "results": RecurrenceOutput(overview["results"], many=True).data})


def _review_api(review: str, operation_id: str, summary: str):
    class ReviewApi(APIView):
        @extend_schema(
            tags=TAGS, operation_id=operation_id, summary=summary, request=None,
            responses={200: RecurrenceOutput, **error_responses(401, 404)},
        )
        def post(self, request, recurrence_id):
            row = services.recurrence_review(user=request.user, recurrence_id=recurrence_id, review=review)
            return Response(RecurrenceOutput(row).data)

    ReviewApi.__name__ = ReviewApi.__qualname__ = f"Subscription{review.title()}Api"
    return ReviewApi


SubscriptionConfirmApi = _review_api(Recurrence.Review.CONFIRMED, "analytics_subscription_confirm", "Confirm a subscription")
SubscriptionDismissApi = _review_api(Recurrence.Review.DISMISSED, "analytics_subscription_dismiss", "Dismiss: not a subscription")


# --- anomalies ------------------------------------------------------------------------------
class AnomalyOutput(serializers.ModelSerializer):
    transaction = serializers.SerializerMethodField()

    class Meta:
        model = AnomalyFinding
        fields = ["id", "score", "reasons", "status", "alerted_at", "created_at", "transaction"]

    def get_transaction(self, finding) -> dict:
        row = finding.transaction
        return {"id": str(row.pk), "date": row.date.isoformat(), "amount": selectors.money(row.amount),
                "currency": row.currency, "merchant_raw": row.merchant_raw, "category": row.category.slug,
                "anomaly_score": row.anomaly_score}


class AnomalyListInput(serializers.Serializer):
    since = serializers.DateField(required=False)
    include_expected = serializers.BooleanField(required=False, default=False)


class AnomalyListApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="analytics_anomalies", summary="Unusual transactions, newest first",
        description="Findings scored at or above ANOMALY_RECORD_THRESHOLD, with reasons; `since` filters on the "
        "transaction date. Those marked expected only with `include_expected=true`. At most 500.",
        parameters=[OpenApiParameter("since", datetime.date), OpenApiParameter("include_expected", bool)],
        responses={200: AnomalyOutput(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        data = AnomalyListInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        rows = selectors.anomaly_list(user=request.user, **data.validated_data)[:500]
        return Response(AnomalyOutput(rows, many=True).data)


class AnomalyExpectedApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="analytics_anomaly_expected", summary="Mark as expected",
        description="Closes the finding; its patterns (rule and merchant) no longer score your later charges.",
        request=None, responses={200: AnomalyOutput, **error_responses(401, 404)},
    )
    def post(self, request, finding_id):
        finding = services.anomaly_mark_expected(user=request.user, finding_id=finding_id)
        return Response(AnomalyOutput(finding).data)
