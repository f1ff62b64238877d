"""Request ids and Prometheus request metrics."""

import re
import time
import uuid

from django.urls import Resolver404, resolve

from core import metrics
from core.logging import request_id_var

API_NOT_FOUND = "api-not-found"  # the name of the JSON 404 catch-all route in config.urls
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Accept a sane X-Request-ID from the proxy or make one; log it and send it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Cleared on request_finished (core.apps), not here: Django logs the response
        # ("Unauthorized: ...") after the middleware chain has returned.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class PrometheusMiddleware:
    """Count requests and time them by route pattern (not raw path: ids would explode labels)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = f"/{match.route}" if match and match.route else "unmatched"
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        return response


class ApiTrailingSlashMiddleware:
    """`POST /api/v1/auth/login` and `.../login/` both work, without a redirect (which would
    drop a POST body). The slashed form is canonical and the one the schema shows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and not path.endswith("/") and _route_name(path) == API_NOT_FOUND:
            if _route_name(path + "/") not in (API_NOT_FOUND, None):
                request.path_info = path + "/"
        return self.get_response(request)


def _route_name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None
