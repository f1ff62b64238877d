"""Writes to the ledger. Every write is atomic and, after commit, sends `transactions_changed`
once (budgets and analytics react) and a `transaction_update` hint to the user's sockets.

Modules: `transactions` (one row at a time), `bulk` (bulk categorisation), `categories`,
`accounts`, and `common` (what they share). Other apps import from here only."""

from ledger.services.accounts import account_create, account_delete, account_update
from ledger.services.bulk import (
    BULK_MAX_FILTER_ROWS,
    BULK_MAX_IDS,
    BULK_SCOPE_SQL,
    BULK_UPDATE_SQL,
    ChangedRow,
    ScopeRow,
    bulk_update_params,
    corrections_apply_to_matching,
    transactions_bulk_categorise,
)
from ledger.services.categories import category_check, category_create, category_delete, category_update
from ledger.services.common import USER_CONFIDENCE
from ledger.services.transactions import (
    CorrectionResult,
    transaction_correct,
    transaction_create,
    transaction_delete,
    transaction_restore,
    transaction_update,
)
from ledger.signals import transactions_changed
from ledger.transaction_fields import TRANSACTION_WRITABLE

__all__ = [
    "BULK_MAX_FILTER_ROWS",
    "BULK_MAX_IDS",
    "BULK_SCOPE_SQL",
    "BULK_UPDATE_SQL",
    "TRANSACTION_WRITABLE",
    "USER_CONFIDENCE",
    "ChangedRow",
    "CorrectionResult",
    "ScopeRow",
    "account_create",
    "account_delete",
    "account_update",
    "bulk_update_params",
    "category_check",
    "category_create",
    "category_delete",
    "category_update",
    "corrections_apply_to_matching",
    "transaction_correct",
    "transaction_create",
    "transaction_delete",
    "transaction_restore",
    "transaction_update",
    "transactions_bulk_categorise",
    "transactions_changed",
]
