from django.urls import path

from analytics import apis

urlpatterns = [
    path("summary/", apis.SummaryApi.as_view(), name="analytics-summary"),
    path("timeseries/", apis.TimeseriesApi.as_view(), name="analytics-timeseries"),
    path("cashflow/", apis.CashflowApi.as_view(), name="analytics-cashflow"),
    path("categories/", apis.CategoriesApi.as_view(), name="analytics-categories"),
    path("subscriptions/", apis.SubscriptionListApi.as_view(), name="analytics-subscriptions"),
    path("subscriptions/<uuid:recurrence_id>/confirm/", apis.SubscriptionConfirmApi.as_view(), name="analytics-subscription-confirm"),
    path("subscriptions/<uuid:recurrence_id>/dismiss/", apis.SubscriptionDismissApi.as_view(), name="analytics-subscription-dismiss"),
    path("anomalies/", apis.AnomalyListApi.as_view(), name="analytics-anomalies"),
    path("anomalies/<uuid:finding_id>/expected/", apis.AnomalyExpectedApi.as_view(), name="analytics-anomaly-expected"),
]
