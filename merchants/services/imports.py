"""Bulk import of merchant lists (CSV: canonical_name, category, aliases pipe-separated,
country, tags as JSON). The `import_merchants` command and the seed migration share this
loader, so it takes the model classes as arguments (a migration passes its historical ones)
and touches only the fields of merchants.0001_initial.

Idempotent: a name already in the table is updated (category, country and tags from the
file; aliases added, never removed) or skipped when nothing changed, so running the same
file twice changes nothing the second time.
"""

import csv
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from core.exceptions import ApplicationError
from merchants.index import bump_index_version
from merchants.models import Merchant, MerchantAlias, UnmatchedDescriptor
from merchants.services.curation import clean_aliases, clean_canonical_name, validate_category, validate_country

logger = logging.getLogger(__name__)

CSV_COLUMNS = ("canonical_name", "category", "aliases", "country", "tags")
DEFAULT_BATCH_SIZE = 500


@dataclass
class ValidRow:
    line: int
    canonical_name: str
    category: str
    country: str
    aliases: list[tuple[str, str]]
    tags: list | dict
    raw: dict = field(default_factory=dict)


@dataclass
class RejectedRow:
    line: int
    row: dict
    reason: str
    duplicate: bool = False  # counted as skipped, listed in the error file all the same


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for item in self.rejected if not item.duplicate)


def read_merchant_csv(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, row) for each data row; the header must name the CSV_COLUMNS."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in ("canonical_name", "category") if column not in (reader.fieldnames or [])]
        if missing:
            raise ApplicationError(f"The CSV header lacks {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}.")
        for row in reader:
            yield reader.line_num, row


def validate_row(line: int, row: dict) -> ValidRow:
    """Raise ApplicationError with a readable reason when the row is not importable."""
    if None in row:
        raise ApplicationError("More columns than the header.")
    tags_text = (row.get("tags") or "").strip()
    try:
        tags = json.loads(tags_text) if tags_text else []
    except json.JSONDecodeError as error:
        raise ApplicationError(f"tags is not valid JSON ({error.msg}).")
    if not isinstance(tags, list | dict):
        raise ApplicationError("tags must be a JSON list or object.")
    aliases_text = row.get("aliases") or ""
    return ValidRow(
        line=line,
        canonical_name=clean_canonical_name(row.get("canonical_name") or ""),
        category=validate_category((row.get("category") or "").strip()),
        country=validate_country(row.get("country") or ""),
        aliases=clean_aliases(alias for alias in aliases_text.split("|") if alias.strip()),
        tags=tags,
        raw=row,
    )


def merchant_import_rows(
    rows: Iterable[tuple[int, dict]],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    merchant_model=Merchant,
    alias_model=MerchantAlias,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate, dedupe (within the file and against the table) and upsert in batches."""
    report = ImportReport()
    seen_names: dict[str, int] = {}
    claimed_aliases: dict[str, str] = {}  # normalised alias -> lower name that claimed it in this file
    batch: list[ValidRow] = []
    for line, row in rows:
        valid = _validate_and_dedupe(line, row, report, seen_names, claimed_aliases)
        if valid is not None:
            batch.append(valid)
        if len(batch) >= batch_size:
            _write_batch(batch, report, merchant_model, alias_model)
            batch = []
        if on_progress is not None:
            on_progress(1)
    if batch:
        _write_batch(batch, report, merchant_model, alias_model)
    if report.imported or report.updated:
        _master_changed()
        if merchant_model is Merchant:
            prune_unmatched(claimed_aliases)
    return report


def _validate_and_dedupe(line, row, report, seen_names, claimed_aliases) -> ValidRow | None:
    try:
        valid = validate_row(line, row)
    except ApplicationError as error:
        report.rejected.append(RejectedRow(line, row, _reason(error)))
        return None
    name_key = valid.canonical_name.lower()
    if name_key in seen_names:
        report.skipped += 1
        report.rejected.append(RejectedRow(line, row, f"duplicate of line {seen_names[name_key]} in this file", duplicate=True))
        return None
    clashes = [alias for alias, key in valid.aliases if claimed_aliases.get(key, name_key) != name_key]
    if clashes:
        report.rejected.append(RejectedRow(line, row, f"alias {clashes[0]!r} is claimed by another row of this file"))
        return None
    seen_names[name_key] = line
    claimed_aliases.update((key, name_key) for _, key in valid.aliases)
    return valid


def _reason(error: ApplicationError) -> str:
    if error.errors:
        field_name, messages = next(iter(error.errors.items()))
        return f"{field_name}: {messages[0]}"
    return error.message


def _write_batch(batch: list[ValidRow], report: ImportReport, merchant_model, alias_model) -> None:
    with transaction.atomic():
        existing = {
            merchant.lower_name: merchant
            for merchant in merchant_model.objects.annotate(lower_name=Lower("canonical_name")).filter(
                lower_name__in=[row.canonical_name.lower() for row in batch]
            )
        }
        owners = dict(
            alias_model.objects.filter(normalised__in=[key for row in batch for _, key in row.aliases]).values_list(
                "normalised", "merchant_id"
            )
        )
        to_create, to_update, new_aliases = [], [], []
        for row in batch:
            merchant = existing.get(row.canonical_name.lower())
            merchant_id = merchant.id if merchant is not None else uuid.uuid4()
            taken = [alias for alias, key in row.aliases if owners.get(key, merchant_id) != merchant_id]
            if taken:
                report.rejected.append(RejectedRow(row.line, row.raw, f"alias {taken[0]!r} belongs to another merchant"))
                continue
            aliases = [alias_model(merchant_id=merchant_id, alias=alias, normalised=key) for alias, key in row.aliases if key not in owners]
            new_aliases += aliases
            if merchant is None:
                to_create.append(
                    merchant_model(id=merchant_id, canonical_name=row.canonical_name, category=row.category, country=row.country, tags=row.tags)
                )
            elif _apply_changes(merchant, row) or aliases:
                to_update.append(merchant)
            else:
                report.skipped += 1
        merchant_model.objects.bulk_create(to_create)
        merchant_model.objects.bulk_update(to_update, ["category", "country", "tags", "updated_at"])
        alias_model.objects.bulk_create(new_aliases)
    report.imported += len(to_create)
    report.updated += len(to_update)


def _apply_changes(merchant, row: ValidRow) -> bool:
    changed = (merchant.category, merchant.country, merchant.tags) != (row.category, row.country, row.tags)
    merchant.category, merchant.country, merchant.tags = row.category, row.country, row.tags
    merchant.updated_at = timezone.now()
    return changed


def _master_changed() -> None:
    try:
        bump_index_version()
    except Exception:  # a cache outage during `migrate` must not fail the seed
        logger.warning("Could not bump the merchant index version; processes rebuild on their next cache miss.")


def prune_unmatched(keys: Iterable[str]) -> None:
    """Descriptors that now have a merchant leave the curators' unmatched list."""
    UnmatchedDescriptor.objects.filter(normalised__in=list(keys)).delete()


def write_rejected(rejected: list[RejectedRow], path: Path, fieldnames: Iterable[str] = CSV_COLUMNS) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["line", *fieldnames, "reason"], extrasaction="ignore")
        writer.writeheader()
        for item in rejected:
            writer.writerow({"line": item.line, **item.row, "reason": item.reason})
