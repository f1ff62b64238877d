"""PostgreSQL only: `search_head`, the stripped full-text document of short rows, carried in
the (user, date, created_at, id) index so a `q` page's walk reads only that index (see
ledger.db). Kept out of the model state like 0003 and 0007.

Adding the stored column rewrites the transactions table and rebuilds the date index under
an exclusive lock (about 20-30 s per million rows)."""

from django.db import migrations

from ledger.db import add_search_head, remove_search_head


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_transaction_fillfactor")]

    operations = [migrations.RunPython(add_search_head, remove_search_head)]
