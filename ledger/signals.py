"""`transactions_changed`: the one push upward from the ledger.

Sent by ledger services after the writing transaction commits, once per write call, with
primitives only: `user_id` (str), `category_ids` (sorted list of str UUIDs: every category a
row left or joined) and `dates` (sorted list of `datetime.date`, every date a row had before
or after). Receivers (budgets, analytics) only enqueue their own work."""

import datetime
from collections.abc import Iterable

from django.dispatch import Signal

from core.on_commit import run_on_commit

transactions_changed = Signal()


def send_transactions_changed_on_commit(
    *, user_id, category_ids: Iterable, dates: Iterable[datetime.date]
) -> None:
    payload = {
        "user_id": str(user_id),
        "category_ids": sorted({str(category_id) for category_id in category_ids if category_id}),
        "dates": sorted(set(dates)),
    }
    run_on_commit(lambda: transactions_changed.send(sender="ledger", **payload))
