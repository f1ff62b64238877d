"""The editable category -> tax-line mapping (reports/fixtures/tax_lines.json by default;
`REPORTS_TAX_LINES_FILE` points at an operator's own copy)."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class TaxLine:
    code: str  # TXF reference number, e.g. "N280"
    form: str
    line: str
    categories: tuple[str, ...]


def tax_lines() -> list[TaxLine]:
    """Read on every call (a report run is rare), so an edited file applies at once."""
    data = json.loads(Path(settings.REPORTS_TAX_LINES_FILE).read_text(encoding="utf-8"))
    return [
        TaxLine(code=item["code"], form=item["form"], line=item["line"], categories=tuple(item["categories"]))
        for item in data["lines"]
    ]


def tax_line_by_category(lines: list[TaxLine]) -> dict[str, TaxLine]:
    mapping: dict[str, TaxLine] = {}
    for line in lines:
        for slug in line.categories:
            mapping.setdefault(slug, line)  # the first line naming a category wins
    return mapping
