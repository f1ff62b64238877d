"""manage.py import_merchants PATH [--errors FILE] [--batch-size N]

CSV columns: canonical_name, category, aliases (pipe-separated), country, tags (JSON).
Validates every row, dedupes within the file and against the table, upserts in batches,
writes rejected rows with their reasons to an error file, prints a summary. Safe to run twice.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import ApplicationError
from merchants.services.imports import DEFAULT_BATCH_SIZE, merchant_import_rows, read_merchant_csv, write_rejected


class Command(BaseCommand):
    help = "Import or update merchants from a CSV file (canonical_name, category, aliases, country, tags)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--errors", type=Path, help="Where to write rejected rows (default: PATH.errors.csv).")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, path: Path, errors: Path | None, batch_size: int, no_progress: bool, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = _count_rows(path)
        with tqdm(total=total, unit="row", disable=no_progress, file=self.stderr._out) as bar:
            try:
                report = merchant_import_rows(read_merchant_csv(path), batch_size=batch_size, on_progress=bar.update)
            except (ApplicationError, UnicodeDecodeError) as error:
                raise CommandError(f"{path}: {error}")
        errors_path = errors or path.with_name(path.name + ".errors.csv")
        if report.rejected:
            write_rejected(report.rejected, errors_path)
        self.stdout.write(
            f"imported {report.imported}, updated {report.updated}, skipped {report.skipped}, errors {report.errors}"
        )
        if report.rejected:
            self.stdout.write(f"rejected rows and reasons: {errors_path}")


def _count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)
