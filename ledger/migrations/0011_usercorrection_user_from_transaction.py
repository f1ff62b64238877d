"""A correction's user is its transaction's: the column (and its foreign key and index) goes.
On PostgreSQL dropping a column is instant."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0010_transaction_search_head'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='usercorrection',
            name='user',
        ),
    ]
