"""PostgreSQL only (issue 17): a covering index for the analytics aggregates.

Every dashboard figure aggregates one user's live rows over a date range by category, merchant
or account. Without this index PostgreSQL reads the table itself (~500 MB at a million rows: a
parallel sequential scan of every user's rows); with it, an index-only scan reads the user's
range of a much narrower structure. Partial (live rows only) and kept out of the model state
like 0003/0007/0010, since SQLite has no INCLUDE. The cost is one more b-tree entry per
inserted row (see docs/decisions/0017-analytics-covering-index.md for both sides measured)."""

from django.db import migrations

INDEX = "txn_user_date_analytics"


def add_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON ledger_transaction (user_id, date) "
        "INCLUDE (amount, category_id, merchant_id, account_id) WHERE NOT is_deleted"
    )


def remove_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0015_categoriser_personal_model_embeddings")]

    operations = [migrations.RunPython(add_index, remove_index)]
