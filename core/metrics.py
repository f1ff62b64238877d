"""Prometheus metrics. Apps add their own counters here or beside their code using the same
registry; /metrics exposes them all (multiprocess-aware under gunicorn)."""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "ledgerline_http_requests_total", "HTTP requests by method, route and status", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "ledgerline_http_request_duration_seconds",
    "HTTP request latency by method and route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS_DEAD_LETTERED = Counter("ledgerline_tasks_dead_lettered_total", "Tasks that failed for good", ["task"])

# --- realtime (issue 13): sockets live in the daphne process; scrape its /metrics ----------------
REALTIME_OPEN_SOCKETS = Gauge(
    "ledgerline_realtime_open_sockets", "Authenticated WebSocket connections open", multiprocess_mode="livesum"
)
REALTIME_MESSAGES_SENT = Counter(
    "ledgerline_realtime_messages_sent_total", "Messages sent to sockets by event type", ["type"]
)
REALTIME_PUBLISH_TO_SEND = Histogram(
    "ledgerline_realtime_publish_to_send_seconds",
    "From publish() (after commit) to the socket send, for live events",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REALTIME_RESUMES = Counter(
    "ledgerline_realtime_resumes_total",
    "Replays of stored events: outcome replayed or resync_required; trigger client or recovery",
    ["outcome", "trigger"],
)
REALTIME_EVENTS_REPLAYED = Counter("ledgerline_realtime_events_replayed_total", "Stored events sent by replays")
REALTIME_PUBLISH_FAILURES = Counter(
    "ledgerline_realtime_publish_failures_total", "Events the channel layer refused (stored ones wait for resume)", ["type"]
)
REALTIME_LAYER_ERRORS = Counter(
    "ledgerline_realtime_layer_errors_total", "Channel-layer receive errors on sockets (Redis restarts)"
)


def render_latest() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
