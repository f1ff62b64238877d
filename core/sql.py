"""Raw SQL on the hot paths: statements PostgreSQL plans once per connection.

Django sends every query with client-side binding, so PostgreSQL parses and plans it each
time. For the few statements that run on every request (the access-token user lookup, the
ledger's list page) planning costs about as much as executing (decision 0007). A
`prepared_cursor` executes through a server-binding psycopg cursor with `prepare=True`, so
each distinct SQL text is prepared on its connection the first time and only bound and
executed after that. Where queries are logged (DEBUG, CaptureQueriesContext) the statement
runs unprepared so the log shows it with its values; the count of queries is the same.

Only SQL written for it belongs here: fixed text (values always as parameters), explicit
column lists (a prepared statement's result type must not change under it). Off when
settings.DB_PREPARED_STATEMENTS is false (a transaction-pooling PgBouncer in front), and on
other databases, where it is a plain cursor."""

import contextlib
import time
from collections.abc import Iterator

import psycopg
from django.conf import settings
from django.db import connection as default_connection
from django.db import connections
from django.db.backends.utils import CursorWrapper


@contextlib.contextmanager
def prepared_cursor(connection=default_connection) -> Iterator[CursorWrapper]:
    if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS or connection.queries_logged:
        # Logged queries (DEBUG, CaptureQueriesContext) show the SQL with its values, which a
        # prepared execution does not carry: the same statement runs unprepared.
        with connection.cursor() as cursor:
            yield cursor
        return
    # connection.cursor() does the per-request health check and (re)connects; the statement
    # itself runs on a preparing cursor over the same psycopg connection, wrapped like any
    # Django cursor (execute wrappers, error translation).
    with connection.cursor() as django_cursor, connection.make_cursor(_PreparingCursor(django_cursor.cursor.connection)) as cursor:
        yield cursor


class _PreparingCursor(psycopg.Cursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


def model_loader(model, connection=default_connection):
    """(column SQL list, load(row) -> instance) for reading whole `model` rows with hand-written
    SQL: the row's values go through the same converters the ORM applies (JSON decoding,
    SQLite's UUID text), so the instance is the one a queryset would have built."""
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in fields]
    names = [field.attname for field in fields]
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((index, column, found))

    def load(row):
        if converters:
            row = list(row)
            for index, column, field_converters in converters:
                for convert in field_converters:
                    row[index] = convert(row[index], column, connection)
        return model.from_db(connection.alias, names, row)

    return columns, load


# Persistent connections and their health check. With CONN_HEALTH_CHECKS Django sends a
# `SELECT 1` before a request's first query on a reused connection: one more round trip per
# request (decision 0007). A connection that finished a request
# cleanly less than DB_HEALTH_CHECK_IDLE_SECONDS ago skips it; one that sat idle longer (when
# a database restart or an idle-connection reaper may have ended it) is still checked.
_LAST_CLEAN_FINISH = "_ledgerline_clean_finish"


def note_clean_finish(**kwargs) -> None:
    """request_finished receiver, after Django's close_old_connections."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.errors_occurred:
            setattr(connection, _LAST_CLEAN_FINISH, time.monotonic())


def skip_recent_health_check(**kwargs) -> None:
    """request_started receiver, after Django's close_old_connections."""
    grace = settings.DB_HEALTH_CHECK_IDLE_SECONDS
    for connection in connections.all(initialized_only=True):
        finished = getattr(connection, _LAST_CLEAN_FINISH, None)
        if (
            connection.connection is not None and connection.health_check_enabled and not connection.errors_occurred
            and finished is not None and time.monotonic() - finished < grace
        ):
            connection.health_check_done = True


def array_literal(values) -> str:
    """A PostgreSQL array literal ('{"a","b"}') for one text parameter cast to an array type
    (`%s::uuid[]`, `%s::text[]`), built by one join where psycopg's list dumper walks the list
    element by element (decision 0005). Every element is quoted, so
    commas, braces, spaces and the word NULL stay data; None becomes SQL NULL."""
    return "{" + ",".join("NULL" if value is None else _array_element(str(value)) for value in values) + "}"


def _array_element(text: str) -> str:
    if '"' in text or "\\" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
