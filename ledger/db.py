"""Database helpers for the ledger: PostgreSQL-only schema pieces with a plain SQLite fallback."""

from django.contrib.postgres.indexes import GinIndex

from ledger.models import transaction_search_vector

SEARCH_INDEX_NAME = "txn_search_gin"


def search_index() -> GinIndex:
    """The GIN index behind `q`, built by the same compiler as the selector's filter so
    PostgreSQL matches the expressions."""
    return GinIndex(transaction_search_vector(), name=SEARCH_INDEX_NAME)


def add_search_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("ledger", "Transaction"), search_index())


def remove_search_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("ledger", "Transaction"), search_index())
