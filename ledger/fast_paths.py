"""Where the ledger chooses between the plain Django path and a hand-made one.

Every choice between the portable ORM/DRF code and a PostgreSQL- or Redis-specific fast path
is made here and nowhere else (views never choose). Each fast path has a decision record in
docs/decisions/ and a setting that turns it off; `FAST_PATHS=0` turns them all off, and the
suite runs once that way on PostgreSQL (`make test-plain`) to prove the plain path complete.
The plain path is always the reference: tests hold each fast path to its answers."""

from django.conf import settings
from django.db import connection


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def sql_list_pages() -> bool:
    """The list page's rows built as JSON by PostgreSQL (ledger.json_pages; decision 0001)."""
    return _postgresql() and settings.LEDGER_SQL_LIST_PAGES


def sql_bulk_categorise() -> bool:
    """Bulk-categorise by row address with array parameters (ledger.services.bulk; decision 0005)."""
    return _postgresql() and settings.LEDGER_SQL_BULK_CATEGORISE


def count_cache() -> bool:
    """List totals cached in Redis with a Lua check-and-set (ledger.count_cache; decision 0002).
    Off, every list request counts."""
    return settings.LEDGER_COUNT_CACHE


def strict_filter_parser() -> bool:
    """Common filter spellings parsed without the FilterSet (ledger.filters; decision 0003)."""
    return settings.LEDGER_STRICT_FILTER_PARSER


def full_text_search() -> bool:
    """A capability, not a fast path (no setting): `q` matches the stored, GIN-indexed
    document on PostgreSQL and falls back to substring matching elsewhere."""
    return _postgresql()


def json_partial_update() -> str:
    """How a JSON column is patched in one UPDATE: jsonb || on PostgreSQL, json_patch on SQLite.
    A portability choice, not a fast path."""
    return "postgresql" if _postgresql() else "portable"
