"""PostgreSQL only: the transactions table keeps 10% of each page free for the row versions
its updates write (see ledger.db.TRANSACTION_FILLFACTOR). No rewrite: instant."""

from django.db import migrations

from ledger.db import reset_transaction_fillfactor, set_transaction_fillfactor


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_transaction_indexes_lead_with_foreign_keys")]

    operations = [migrations.RunPython(set_transaction_fillfactor, reset_transaction_fillfactor)]
