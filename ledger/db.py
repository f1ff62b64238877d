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


# Migration 0007 (decision 0010): the search document is a stored generated column with the GIN
# index on it, so a `q` walk reads each row's document instead of computing it. Writes compute
# it once per row version.
SEARCH_COLUMN = "search_document"
SEARCH_DOCUMENT_SQL = "to_tsvector('simple'::regconfig, COALESCE(merchant_raw, '') || ' ' || COALESCE(note, ''))"


def _postgresql_transactions(apps, schema_editor) -> str | None:
    """The transactions table's name when the migration runs on PostgreSQL, else None: these
    schema pieces exist only there."""
    if schema_editor.connection.vendor != "postgresql":
        return None
    return apps.get_model("ledger", "Transaction")._meta.db_table


def _add_tsvector(schema_editor, table: str, column: str, expression: str) -> None:
    schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN {column} tsvector GENERATED ALWAYS AS ({expression}) STORED")


def add_search_column(apps, schema_editor) -> None:
    if not (table := _postgresql_transactions(apps, schema_editor)):
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX_NAME}")
    _add_tsvector(schema_editor, table, SEARCH_COLUMN, SEARCH_DOCUMENT_SQL)
    schema_editor.execute(f"CREATE INDEX {SEARCH_INDEX_NAME} ON {table} USING gin ({SEARCH_COLUMN})")


def remove_search_column(apps, schema_editor) -> None:
    if not (table := _postgresql_transactions(apps, schema_editor)):
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX_NAME}")
    schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN {SEARCH_COLUMN}")
    add_search_index(apps, schema_editor)


# A version-7 UUID (RFC 9562) in SQL, for rows written many at a time: 48 bits of Unix time
# in milliseconds, then gen_random_uuid()'s random bits, with the version nibble set from 4
# (0100) to 7 (0111). Keys written together sort together, so a bulk INSERT touches the
# right edge of the primary key, not one random leaf page per row. PostgreSQL 17 has uuidv7()
# built in; 15 does not.
TIME_ORDERED_UUID_SQL = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), "
    "52, 1), 53, 1), 'hex')::uuid"
)


# Migration 0009 (decision 0010): transactions are rewritten after they are written, and
# category_id is indexed, so those updates are never HOT. With room kept free on each page the
# new row version usually stays on its page (one dirty page, not two).
TRANSACTION_FILLFACTOR = 90


def set_transaction_fillfactor(apps, schema_editor) -> None:
    _fillfactor(apps, schema_editor, TRANSACTION_FILLFACTOR)


def reset_transaction_fillfactor(apps, schema_editor) -> None:
    _fillfactor(apps, schema_editor, 100)


def _fillfactor(apps, schema_editor, value: int) -> None:
    if not (table := _postgresql_transactions(apps, schema_editor)):
        return
    # Applies to pages written from now on; existing pages gain the space as rows are updated
    # and vacuumed (no table rewrite, no long lock).
    schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(value)})")


# Migration 0010 (decision 0010): `search_head` is the search document stripped of positions
# (`q` is words and prefixes joined by &, which positions do not change), carried in the date
# index (INCLUDE), so a full-text walk reads no table pages. A b-tree entry holds at most about
# 2.7 kB, so the head exists only for text of at most SEARCH_HEAD_MAX_BYTES; longer rows have
# NULL there and are checked against `search_document` (ledger.json_pages).
SEARCH_HEAD_COLUMN = "search_head"
SEARCH_HEAD_MAX_BYTES = 600
SEARCH_HEAD_SQL = (
    f"CASE WHEN octet_length(merchant_raw) + octet_length(note) <= {SEARCH_HEAD_MAX_BYTES} "
    f"THEN strip({SEARCH_DOCUMENT_SQL}) END"
)
DATE_ORDER_INDEX = "txn_user_date_order"
DATE_ORDER_COLUMNS = "user_id, date, created_at, id"


def add_search_head(apps, schema_editor) -> None:
    if not (table := _postgresql_transactions(apps, schema_editor)):
        return
    _add_tsvector(schema_editor, table, SEARCH_HEAD_COLUMN, SEARCH_HEAD_SQL)
    schema_editor.execute(f"DROP INDEX IF EXISTS {DATE_ORDER_INDEX}")
    schema_editor.execute(
        f"CREATE INDEX {DATE_ORDER_INDEX} ON {table} ({DATE_ORDER_COLUMNS}) INCLUDE (is_deleted, {SEARCH_HEAD_COLUMN})"
    )


def remove_search_head(apps, schema_editor) -> None:
    if not (table := _postgresql_transactions(apps, schema_editor)):
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {DATE_ORDER_INDEX}")
    schema_editor.execute(f"CREATE INDEX {DATE_ORDER_INDEX} ON {table} ({DATE_ORDER_COLUMNS})")
    schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN {SEARCH_HEAD_COLUMN}")
