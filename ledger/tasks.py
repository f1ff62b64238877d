"""The ledger's Celery tasks, so that autodiscovery registers them (the categoriser's live in
its package)."""

from ledger.categoriser.tasks import categoriser_retrain, categoriser_retrain_nightly, embeddings_backfill_task

__all__ = ["categoriser_retrain", "categoriser_retrain_nightly", "embeddings_backfill_task"]
