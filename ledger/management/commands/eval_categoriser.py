"""manage.py eval_categoriser [--csv PATH] [--label-map PATH] [--no-baseline]

Replays the labelled ledger through the real API as one new user and prints the share of rows
that needed no correction, per-category precision/recall, calibration and, in the same run, the
smart_importer baseline (see ledger/categoriser/evaluation.py). Writes to the configured
database (a throwaway user): `make eval-categoriser` points it at a scratch SQLite file."""

from pathlib import Path

from django.core.management.base import BaseCommand

from ledger.categoriser.evaluation import evaluate


class Command(BaseCommand):
    help = "Evaluate the categoriser against a labelled ledger, beside the smart_importer baseline."

    def add_arguments(self, parser):
        parser.add_argument("--csv", type=Path)
        parser.add_argument("--label-map", type=Path)
        parser.add_argument("--no-baseline", action="store_true")

    def handle(self, *args, **options):
        report = evaluate(csv_path=options["csv"], map_path=options["label_map"], baseline=not options["no_baseline"])
        self.stdout.write(report.text())
