from django.urls import path

from merchants import apis

urlpatterns = [
    path("merchants/", apis.MerchantCreateApi.as_view(), name="merchant-create"),
    path("merchants/search/", apis.MerchantSearchApi.as_view(), name="merchant-search"),
    path("merchants/stats/", apis.MerchantStatsApi.as_view(), name="merchant-stats"),
    path("merchants/<uuid:merchant_id>/merge/", apis.MerchantMergeApi.as_view(), name="merchant-merge"),
]
