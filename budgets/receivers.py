"""Budgets' reaction to ledger writes: drop the user's cached figures and enqueue one alert
evaluation per `transactions_changed` (the ledger sends it once per write call, ingest once
per import batch). No evaluation happens here."""

from budgets.services import transactions_changed_received


def transactions_changed_handler(sender, *, user_id, category_ids=(), dates=(), **kwargs) -> None:
    transactions_changed_received(user_id=user_id, dates=list(dates))
