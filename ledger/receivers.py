"""The ledger's own reaction to transactions_changed: drop the user's cached list counts.

Any app that writes transactions (ingest's bulk inserts too) sends the signal, so this one
receiver keeps the counts honest whoever wrote."""

from ledger.selectors import transaction_counts_forget


def forget_counts(sender, *, user_id, **payload) -> None:
    transaction_counts_forget(user_id=user_id)
