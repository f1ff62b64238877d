"""The system category taxonomy is reference data in fixtures/categories.json.

Apps below ledger (merchants) refer to categories by slug and validate against this file;
ledger.Category loads the same file into the database."""

import json
from functools import cache
from pathlib import Path

from django.conf import settings

UNCATEGORIZED = "uncategorized"


def categories_fixture_path() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "categories.json"


@cache
def system_categories() -> tuple[dict, ...]:
    """[{slug, name, parent}] in file order (parents before children)."""
    with categories_fixture_path().open(encoding="utf-8") as handle:
        return tuple(json.load(handle))


@cache
def system_category_slugs() -> frozenset[str]:
    return frozenset(category["slug"] for category in system_categories())


def is_system_category(slug: str) -> bool:
    return slug in system_category_slugs()
