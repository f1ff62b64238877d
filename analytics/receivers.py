"""analytics' reaction to `ledger.signals.transactions_changed`: drop that user's cached
dashboard answers (one cache write) and enqueue the scoring of the new rows after commit."""

from analytics import tasks
from analytics.cache import user_cache_forget
from core.on_commit import enqueue_on_commit


def transactions_changed_received(sender, *, user_id, category_ids=(), dates=(), **payload) -> None:
    user_cache_forget(user_id=user_id)
    if dates:
        enqueue_on_commit(tasks.refresh_after_change, str(user_id), [d.isoformat() for d in dates])
