"""The ledger's own reactions: to transactions_changed, drop the user's cached list counts
(any app that writes transactions, ingest's bulk inserts too, sends the signal, so this one
receiver keeps the counts honest whoever wrote); to a merchant merge, announce the rows it
re-points as changed, for each of their owners."""

from collections import defaultdict

from ledger.models import Transaction
from ledger.selectors import transaction_counts_forget
from ledger.signals import send_transactions_changed_on_commit


def forget_counts(sender, *, user_id, **payload) -> None:
    transaction_counts_forget(user_id=user_id)


def merged_merchant_rows_changed(sender, *, source_id, into_id, **kwargs) -> None:
    """A merge moves rows from one merchant to another: the list's merchant filter, its cached
    totals and whatever reads by merchant change for every owner of such a row. One query
    (the merchant index) before the rows are re-pointed; the signal after the merge commits.
    Categories do not change, so none are named."""
    dates = defaultdict(set)
    for user_id, date in Transaction.objects.filter(merchant_id=source_id).values_list("user_id", "date").distinct().order_by():
        dates[user_id].add(date)
    for user_id, changed in dates.items():
        send_transactions_changed_on_commit(user_id=user_id, category_ids=[], dates=changed)
