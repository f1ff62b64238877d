"""The categoriser's reaction to ledger writes: enqueue embedding the rows that have none."""

from core.on_commit import enqueue_on_commit
from ledger.categoriser.tasks import embeddings_backfill_task


def embed_changed_rows(sender, *, user_id, **payload) -> None:
    enqueue_on_commit(embeddings_backfill_task, str(user_id))
