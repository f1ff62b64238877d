from django.urls import path

from budgets import apis

urlpatterns = [
    path("budgets/", apis.BudgetListApi.as_view(), name="budget-list"),
    path("budgets/status/", apis.BudgetStatusApi.as_view(), name="budget-status"),
    path("budgets/suggestions/", apis.BudgetSuggestionsApi.as_view(), name="budget-suggestions"),
    path("budgets/comparison/", apis.BudgetComparisonApi.as_view(), name="budget-comparison"),
    path("budgets/<uuid:budget_id>/", apis.BudgetDetailApi.as_view(), name="budget-detail"),
    path("budgets/<uuid:budget_id>/renew/", apis.BudgetRenewApi.as_view(), name="budget-renew"),
    path("budgets/<uuid:budget_id>/history/", apis.BudgetHistoryApi.as_view(), name="budget-history"),
]
