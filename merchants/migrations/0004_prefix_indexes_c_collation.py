"""Prefix tiers of the search API: C-collation btrees instead of varchar_pattern_ops ones.

A pattern_ops btree serves `LIKE 'wa%'` but not `ORDER BY lower(name)`, so the planner walked
the locale-ordered unique index and filtered every row (96k rows for "wa", and all of them for
a prefix with one match). A btree on `lower(name) COLLATE "C"` serves both the range and the
order, so each prefix branch reads just the first 20 matches. PostgreSQL only."""

from django.db import migrations

FORWARD = [
    'CREATE INDEX IF NOT EXISTS merchant_name_lower_c ON merchants_merchant ((lower(canonical_name) COLLATE "C"))',
    'CREATE INDEX IF NOT EXISTS merchant_alias_normalised_c ON merchants_merchantalias ((normalised COLLATE "C"))',
    "DROP INDEX IF EXISTS merchant_name_lower_prefix",
    "DROP INDEX IF EXISTS merchant_alias_prefix",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS merchant_name_lower_prefix ON merchants_merchant (lower(canonical_name) varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS merchant_alias_prefix ON merchants_merchantalias (normalised varchar_pattern_ops)",
    "DROP INDEX IF EXISTS merchant_alias_normalised_c",
    "DROP INDEX IF EXISTS merchant_name_lower_c",
]


def _run_on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("merchants", "0003_seed_merchants")]

    operations = [migrations.RunPython(_run_on_postgres(FORWARD), _run_on_postgres(BACKWARD))]
