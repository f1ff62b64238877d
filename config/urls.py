from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config import health
from core.exceptions import error_body
from core.middleware import API_NOT_FOUND

api_v1 = [
    path("auth/", include("accounts.urls")),
    path("", include("realtime.urls")),
    path("", include("merchants.urls")),
    path("", include("ledger.urls")),
    path("", include("budgets.urls")),
    path("", include("reports.urls")),
    path("analytics/", include("analytics.urls")),
]

def json_not_found(request, exception=None):
    return JsonResponse(error_body("Not found.", "not_found"), status=404)


urlpatterns = [
    path("health", health.health, name="health"),
    path("ready", health.ready, name="ready"),
    path("metrics", health.metrics, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    # Last: an unknown API path is a JSON 404 even with DEBUG on (Django's debug page is HTML).
    re_path(r"^api/", json_not_found, name=API_NOT_FOUND),
]


def json_server_error(request):
    return JsonResponse(error_body("Internal server error.", "server_error"), status=500)


def json_bad_request(request, exception=None):
    return JsonResponse(error_body("Bad request.", "bad_request"), status=400)


def json_permission_denied(request, exception=None):
    return JsonResponse(error_body("You do not have permission to perform this action.", "permission_denied"), status=403)


handler400 = json_bad_request
handler403 = json_permission_denied
handler404 = json_not_found
handler500 = json_server_error
