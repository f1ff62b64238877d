"""The budgets HTTP API (private: other apps use services and selectors). Views parse input,
call one service or selector and answer; the figures come from the selectors as dicts."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from budgets import selectors, services
from budgets.serializers import (
    BudgetCreateInput,
    BudgetListQuery,
    BudgetOutput,
    BudgetPeriodOutput,
    BudgetStatusOutput,
    BudgetSuggestionOutput,
    BudgetUpdateInput,
    ComparisonOutput,
    ComparisonQuery,
)
from core.openapi import error_responses

TAGS = ["budgets"]
BUDGET_EXAMPLE = {
    "id": "6b1f0e9a-3c2d-4e5f-8a7b-9c0d1e2f3a4b", "category": "groceries", "amount": "450.00", "period": "monthly",
    "start_date": "2026-10-01", "end_date": "2026-10-31", "auto_renew": True, "spent": "372.40",
    "remaining": "77.60", "percentage": 82.76, "suggested_amount": "480.00", "state": "at_risk",
    "created_at": "2026-10-01T08:00:00Z", "updated_at": "2026-10-01T08:00:00Z",
}
ALERT_DESCRIPTION = (
    "Spending is -(sum of amounts) of your live transactions in the category and its child "
    "categories, dated within the period (both ends included): refunds reduce it."
)


class BudgetListApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="budgets_list", summary="Your budgets with spending",
        description=ALERT_DESCRIPTION + " All budgets' figures come from one aggregate query.",
        parameters=[BudgetListQuery],
        responses={200: BudgetOutput(many=True), **error_responses(400, 401)},
        examples=[OpenApiExample("budgets", value=[BUDGET_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        query = BudgetListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(selectors.budget_list(user=request.user, **query.validated_data))

    @extend_schema(
        tags=TAGS, operation_id="budgets_upsert", summary="Create a budget, or update the one for that category and start date",
        description=(
            "Upsert on (category, start_date): 201 when created, 200 when your budget for that category and start "
            "date was updated. `amount` > 0; `end_date` > `start_date` (defaults to the end of the calendar period; "
            "required for `custom`). A new budget starts at the alert level its spending already has."
        ),
        request=BudgetCreateInput,
        responses={201: BudgetOutput, 200: BudgetOutput, **error_responses(400, 401)},
        examples=[
            OpenApiExample(
                "monthly", request_only=True,
                value={"category": "groceries", "amount": "450.00", "period": "monthly", "start_date": "2026-10-01", "auto_renew": True},
            ),
            OpenApiExample("budget", value=BUDGET_EXAMPLE, response_only=True, status_codes=["201", "200"]),
        ],
    )
    def post(self, request):
        data = BudgetCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        budget, created = services.budget_upsert(user=request.user, **data.validated_data)
        return Response(
            selectors.budget_detail(user=request.user, budget_id=budget.pk),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class BudgetDetailApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="budgets_retrieve", summary="One budget with spending",
        responses={200: BudgetOutput, **error_responses(401, 404)},
    )
    def get(self, request, budget_id):
        return Response(selectors.budget_detail(user=request.user, budget_id=budget_id))

    @extend_schema(
        tags=TAGS, operation_id="budgets_partial_update", summary="Change a budget",
        description="A change that raises the percentage past a threshold sends a `budget_alert`. "
        "Moving it onto the start date of another budget of the category is a 409.",
        request=BudgetUpdateInput,
        responses={200: BudgetOutput, **error_responses(400, 401, 404, 409)},
        examples=[OpenApiExample("raise", value={"amount": "500.00"}, request_only=True)],
    )
    def patch(self, request, budget_id):
        data = BudgetUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.budget_update(user=request.user, budget_id=budget_id, data=data.validated_data)
        return Response(selectors.budget_detail(user=request.user, budget_id=budget_id))

    @extend_schema(
        tags=TAGS, operation_id="budgets_destroy", summary="Delete a budget (and its history row)",
        responses={204: None, **error_responses(401, 404)},
    )
    def delete(self, request, budget_id):
        services.budget_delete(user=request.user, budget_id=budget_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BudgetStatusApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="budgets_status", summary="Where your current budgets stand",
        description="The budgets whose period contains today (in your time zone): totals, counts, and the "
        "over-budget (>= 100 %), at-risk (>= 80 %) and healthy ones.",
        responses={200: BudgetStatusOutput, **error_responses(401)},
    )
    def get(self, request):
        return Response(selectors.budget_status(user=request.user))


class BudgetRenewApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="budgets_renew", summary="Renew an ended budget for the next period",
        description=(
            "The next period with the same amount: the next calendar week, month, quarter or year (1-31 October "
            "-> 1-30 November), or for `custom` the same number of days. The ended period's history row is "
            "written. 409 `budget_not_ended` before it ends, `budget_already_renewed` when the next one exists, "
            "`budget_renewal_expired` when it ended more than one period ago (create a new budget instead)."
        ),
        request=None,
        responses={201: BudgetOutput, **error_responses(401, 404, 409)},
    )
    def post(self, request, budget_id):
        renewed = services.budget_renew(user=request.user, budget_id=budget_id)
        return Response(selectors.budget_detail(user=request.user, budget_id=renewed.pk), status=status.HTTP_201_CREATED)


class BudgetHistoryApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="budgets_history", summary="Closed periods of this budget's category",
        description="One row per closed period (written at renewal and by the nightly task), newest first.",
        responses={200: BudgetPeriodOutput(many=True), **error_responses(401, 404)},
    )
    def get(self, request, budget_id):
        budget = selectors.budget_get(user=request.user, budget_id=budget_id)
        periods = selectors.budget_history(user=request.user, budget_id=budget_id)
        return Response([selectors.budget_period_to_dict(period, category=budget.category.slug) for period in periods])


class BudgetSuggestionsApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="budgets_suggestions", summary="Suggested amounts per category",
        description=(
            "For each category you spent in over the last 90 days (with its child categories) or hold a current "
            "budget for: the average monthly spending (90-day spending / 3) and a suggestion of that x 1.1, "
            "rounded up to a whole unit and never below BUDGET_SUGGESTION_FLOOR (null without spending); "
            "`flagged` when the average passes BUDGET_SUGGESTION_FLAG_ABOVE a month."
        ),
        responses={200: BudgetSuggestionOutput(many=True), **error_responses(401)},
    )
    def get(self, request):
        return Response(selectors.budget_suggestions(user=request.user))


class BudgetComparisonApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="budgets_comparison", summary="This period against the last, per category",
        description="Spending per category in the calendar period containing today (so far) against the whole "
        "previous one. Categories that only took money in (salary) are left out.",
        parameters=[OpenApiParameter("period", enum=["week", "month", "quarter", "year"], default="month")],
        responses={200: ComparisonOutput, **error_responses(400, 401)},
    )
    def get(self, request):
        query = ComparisonQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(selectors.budget_comparison(user=request.user, period=query.validated_data["period"]))
