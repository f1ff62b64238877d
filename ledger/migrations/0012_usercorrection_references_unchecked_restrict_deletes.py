"""A correction's references (transaction, old and new category) stay foreign keys, indexed,
with CASCADE and SET_NULL applied by Django, but without a database constraint: it checked
every inserted correction at commit, 128 ms of a 10,000-row bulk-categorise (see
UserCorrection). On PostgreSQL that drops three constraints and nothing else.

A transaction's account and category, and a category's parent, go from PROTECT to RESTRICT:
still refused alone, but a user can now be deleted with their accounts, categories and
transactions (PROTECT refused it). Django applies both; the database schema does not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0011_usercorrection_user_from_transaction'),
    ]

    operations = [
        migrations.AlterField(
            model_name='category',
            name='parent',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='children', to='ledger.category'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='account',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.RESTRICT, related_name='transactions', to='ledger.account'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='category',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.RESTRICT, related_name='transactions', to='ledger.category'),
        ),
        migrations.AlterField(
            model_name='usercorrection',
            name='new_category',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='ledger.category'),
        ),
        migrations.AlterField(
            model_name='usercorrection',
            name='old_category',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='ledger.category'),
        ),
        migrations.AlterField(
            model_name='usercorrection',
            name='transaction',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='corrections', to='ledger.transaction'),
        ),
    ]
