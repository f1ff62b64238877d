"""Loads fixtures/merchants_seed.csv with the same loader as `manage.py import_merchants`.

Idempotent (names already present are updated or skipped), so a later migration can call the
loader again after the seed file grows. Uses the historical models: the loader touches only
the fields of 0001_initial."""

from pathlib import Path

from django.conf import settings
from django.db import migrations


def load_seed(apps, schema_editor):
    from merchants.services.imports import merchant_import_rows, read_merchant_csv

    path = Path(settings.BASE_DIR) / "fixtures" / "merchants_seed.csv"
    report = merchant_import_rows(
        read_merchant_csv(path),
        merchant_model=apps.get_model("merchants", "Merchant"),
        alias_model=apps.get_model("merchants", "MerchantAlias"),
    )
    if report.errors:
        reasons = "; ".join(f"line {item.line}: {item.reason}" for item in report.rejected[:5])
        raise RuntimeError(f"merchants_seed.csv has {report.errors} invalid rows: {reasons}")


class Migration(migrations.Migration):
    dependencies = [("merchants", "0002_merge_audit_unmatched")]

    operations = [migrations.RunPython(load_seed, migrations.RunPython.noop, elidable=True)]
