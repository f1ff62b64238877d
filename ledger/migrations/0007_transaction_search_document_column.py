"""PostgreSQL only: the full-text document becomes a stored generated column
`search_document` with the GIN index on it (see ledger.db). Kept out of the model state like
0003's index: SQLite rebuilds tables from that state and searches with icontains.

Adding a stored column rewrites the table under an exclusive lock (about 10-20 s at a
million rows on a small machine)."""

from django.db import migrations

from ledger.db import add_search_column, remove_search_column


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_transaction_user_index_covered")]

    operations = [migrations.RunPython(add_search_column, remove_search_column)]
