"""Which event types are stored (replayed on resume, listed by GET /api/v1/events/) and which are
transient (sent to open sockets only). This is the one place that decides it.

A type in neither set is stored when its name ends in `_alert` or `_reminder` (alerts and
reminders are what a user must not miss), transient otherwise. `publish(..., store=...)` overrides
the rule for one call, as `publish_progress` does for the final state of an upload."""

STORED_EVENT_TYPES = frozenset(
    {
        "budget_alert",
        "anomaly_alert",
        "subscription_reminder",
        "subscription_price_changed",
        "upload_completed",
        "upload_failed",
        "report_ready",
        "receipt_processed",
        "portfolio_update",
    }
)

TRANSIENT_EVENT_TYPES = frozenset(
    {
        "connected",
        "pong",
        "echo",
        "subscribed",
        "error",
        "resumed",
        "resync_required",
        # Intermediate progress only: publish_progress stores the final state of an upload.
        "upload_progress",
        # A hint on every ledger write; the rows themselves are read over REST.
        "transaction_update",
    }
)

STORED_SUFFIXES = ("_alert", "_reminder")


def is_stored_type(event_type: str) -> bool:
    if event_type in STORED_EVENT_TYPES:
        return True
    if event_type in TRANSIENT_EVENT_TYPES:
        return False
    return event_type.endswith(STORED_SUFFIXES)
