"""The (user, category, ...) and (user, account, date) indexes lead with category and account
instead, and the two single-column foreign-key indexes go: the composites serve those
lookups too. Every row written (import, bulk-categorise) then updates two index entries
fewer. At a million rows the two builds take ~5-10 s under the migration's lock."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0007_transaction_search_document_column'),
        ('merchants', '0004_prefix_indexes_c_collation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='transaction',
            name='txn_user_account_date',
        ),
        migrations.RemoveIndex(
            model_name='transaction',
            name='txn_user_category_date_order',
        ),
        migrations.AlterField(
            model_name='transaction',
            name='account',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='transactions', to='ledger.account'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='category',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='transactions', to='ledger.category'),
        ),
        migrations.AddIndex(
            model_name='transaction',
            index=models.Index(fields=['category', 'user', 'date', 'created_at', 'id'], name='txn_category_user_date_order'),
        ),
        migrations.AddIndex(
            model_name='transaction',
            index=models.Index(fields=['account', 'user', 'date'], name='txn_account_user_date'),
        ),
    ]
