"""/health (liveness), /ready (dependencies) and /metrics (Prometheus)."""

import shutil

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from core.metrics import render_latest

CELERY_PING_TIMEOUT_SECONDS = 1.0


@require_GET
def health(request):
    return JsonResponse({"status": "healthy"})


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return f"error: {type(error).__name__}: {error}"[:200]
    return "ok"


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return "skipped"
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception as error:
        return f"error: {type(error).__name__}: {error}"[:200]
    return "ok"


def _check_celery() -> str:
    if settings.TASK_EXECUTION != "broker":
        return "skipped"
    try:
        replies = celery_app.control.ping(timeout=CELERY_PING_TIMEOUT_SECONDS)
    except Exception as error:
        return f"error: {type(error).__name__}: {error}"[:200]
    return "ok" if replies else "error: no worker answered"


def _check_disk() -> str:
    path = settings.MEDIA_ROOT if settings.MEDIA_ROOT.exists() else settings.BASE_DIR
    free = shutil.disk_usage(path).free
    if free < settings.READY_MIN_FREE_DISK_BYTES:
        return f"error: {free // (1024 * 1024)} MiB free"
    return "ok"


@require_GET
def ready(request):
    checks = {
        "database": _check_database(),
        "redis": _check_redis(),
        "celery": _check_celery(),
        "disk": _check_disk(),
    }
    healthy = not any(value.startswith("error") for value in checks.values())
    return JsonResponse(
        {"status": "ready" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503
    )


@require_GET
def metrics(request):
    body, content_type = render_latest()
    return HttpResponse(body, content_type=content_type)
