"""The categoriser's reaction to ledger writes: enqueue embedding the new rows of those days."""

from core.on_commit import enqueue_on_commit
from ledger.categoriser.tasks import embeddings_backfill_task


def embed_changed_rows(sender, *, user_id, dates=(), **payload) -> None:
    """Only the days the write touched are searched for rows without a vector."""
    if dates:
        enqueue_on_commit(embeddings_backfill_task, str(user_id), [day.isoformat() for day in dates])
