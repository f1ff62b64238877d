"""Full-text search over merchant_raw + note, PostgreSQL only (SQLite falls back to icontains).

Kept out of the model state on purpose: SQLite rebuilds a table from that state and cannot
express a GIN index."""

from django.db import migrations

from ledger.db import add_search_index, remove_search_index


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_seed_system_categories")]

    operations = [migrations.RunPython(add_search_index, remove_search_index)]
