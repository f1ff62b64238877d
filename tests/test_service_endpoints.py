"""/health, /ready and /metrics."""

import pytest

pytestmark = pytest.mark.django_db


def test_health_says_healthy(api_client):
    response = api_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


def test_ready_reports_each_check(api_client, settings):
    settings.TASK_EXECUTION = "inprocess"  # no worker to ping in this configuration
    response = api_client.get("/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == ("ok" if settings.REDIS_URL else "skipped")
    assert body["checks"]["celery"] == "skipped"
    assert body["checks"]["disk"] == "ok"


def test_ready_is_503_naming_redis_when_it_is_down(api_client, settings):
    settings.TASK_EXECUTION = "inprocess"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = api_client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"].startswith("error: ")
    assert body["checks"]["database"] == "ok"


@pytest.mark.redis
def test_ready_is_503_when_no_celery_worker_answers(api_client, settings):
    settings.TASK_EXECUTION = "broker"
    response = api_client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["celery"] == "error: no worker answered"


def test_ready_is_503_when_the_disk_is_nearly_full(api_client, settings):
    settings.TASK_EXECUTION = "inprocess"
    settings.READY_MIN_FREE_DISK_BYTES = 10**18
    response = api_client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["disk"].startswith("error: ")


def test_metrics_count_requests_by_route_and_status(api_client, auth_client):
    api_client.get("/health")
    auth_client.get("/api/v1/auth/me/")
    api_client.get("/api/v1/auth/me/")
    response = api_client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'ledgerline_http_requests_total{method="GET",route="/health",status="200"}' in text
    assert 'ledgerline_http_requests_total{method="GET",route="/api/v1/auth/me/",status="401"}' in text
    assert 'ledgerline_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/auth/me/"}' in text
