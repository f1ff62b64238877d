"""Load the system taxonomy from fixtures/categories.json (parents before children).

Idempotent: re-running updates names and parents in place, so extending the fixture and
adding a migration that calls `load_system_categories` again is all a new category needs."""

from django.db import migrations

from core.categories import system_categories


def load_system_categories(apps, schema_editor):
    Category = apps.get_model("ledger", "Category")
    by_slug = {}
    for entry in system_categories():
        parent = by_slug.get(entry["parent"]) if entry["parent"] else None
        category, _ = Category.objects.update_or_create(
            user=None,
            slug=entry["slug"],
            defaults={"name": entry["name"], "parent": parent, "is_system": True},
        )
        by_slug[entry["slug"]] = category


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(load_system_categories, migrations.RunPython.noop)]
