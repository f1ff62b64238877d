import csv
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from merchants.models import Merchant, MerchantAlias

HEADER = "canonical_name,category,aliases,country,tags\n"


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_merchants", str(path), "--no-progress", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def write(tmp_path: Path, body: str, name: str = "merchants.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_it_imports_validates_dedupes_and_reports(tmp_path):
    path = write(
        tmp_path,
        'Plixo Cafe,coffee,PLIXO CAFE|SQ *PLIXO,GB,"[""local""]"\n'
        "Drennan Hardware,home,DRENNAN HDW,ie,\n"
        "plixo cafe,coffee,PLIXO 2,GB,\n"  # duplicate name within the file
        "Bad Category Co,not_a_slug,,US,\n"
        "Bad Country Co,shopping,,USA,\n"
        "Bad Tags Co,shopping,,US,{not json\n"
        "Stolen Alias Co,shopping,AMZN MKTP US,US,\n"  # the seeded Amazon owns it
        "Claimer One,shopping,CLAIMED ALIAS,US,\n"
        "Claimer Two,shopping,CLAIMED ALIAS,US,\n"
        ",shopping,,US,\n",
    )
    output = run(path)
    assert "imported 3, updated 0, skipped 1, errors 6" in output
    plixo = Merchant.objects.get(canonical_name="Plixo Cafe")
    assert (plixo.category, plixo.country, plixo.tags) == ("coffee", "GB", ["local"])
    assert set(plixo.aliases.values_list("normalised", flat=True)) == {"PLIXO CAFE", "PLIXO"}
    assert Merchant.objects.get(canonical_name="Drennan Hardware").country == "IE"
    with (tmp_path / "merchants.csv.errors.csv").open(encoding="utf-8") as handle:
        rejected = {row["line"]: row["reason"] for row in csv.DictReader(handle)}
    assert rejected["4"] == "duplicate of line 2 in this file"
    assert rejected["5"].startswith("category:")
    assert rejected["6"].startswith("country:")
    assert rejected["7"].startswith("tags is not valid JSON")
    assert rejected["8"] == "alias 'AMZN MKTP US' belongs to another merchant"
    assert rejected["10"] == "alias 'CLAIMED ALIAS' is claimed by another row of this file"
    assert rejected["11"].startswith("canonical_name:")


@pytest.mark.django_db
def test_running_it_twice_changes_nothing_and_updates_are_applied(tmp_path):
    path = write(tmp_path, "Plixo Cafe,coffee,PLIXO CAFE,GB,\n")
    assert "imported 1, updated 0, skipped 0, errors 0" in run(path)
    assert "imported 0, updated 0, skipped 1, errors 0" in run(path)
    changed = write(tmp_path, "PLIXO CAFE,dining,PLIXO CAFE|PLIXO KITCHEN,GB,\n", "changed.csv")
    assert "imported 0, updated 1, skipped 0, errors 0" in run(changed, "--batch-size", "1")
    merchant = Merchant.objects.get(canonical_name="Plixo Cafe")
    assert merchant.category == "dining"
    assert merchant.aliases.count() == 2


@pytest.mark.django_db
def test_the_seed_has_500_real_merchants_across_regions_and_reloads_idempotently():
    seed = Path(settings.BASE_DIR) / "fixtures" / "merchants_seed.csv"
    with seed.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 500
    assert {"US", "GB", "DE", "FR", "IN", "AU", "ZA"} <= {row["country"] for row in rows}
    assert Merchant.objects.count() >= 500  # loaded by migration merchants.0003
    for name in ["Swiggy", "Zomato", "Flipkart", "Starbucks", "Netflix", "Spotify", "Amazon", "Uber", "Lyft",
                 "Walmart", "Tesco", "Aldi", "Lidl", "Woolworths", "Checkers", "Engen", "Shell", "BP", "Apple", "Google"]:
        assert Merchant.objects.filter(canonical_name=name).exists(), name
    aliases_before = MerchantAlias.objects.count()
    assert f"imported 0, updated 0, skipped {len(rows)}, errors 0" in run(seed)
    assert MerchantAlias.objects.count() == aliases_before


def test_it_refuses_a_missing_file_or_a_bad_header(tmp_path, db):
    with pytest.raises(CommandError):
        run(tmp_path / "absent.csv")
    path = tmp_path / "bad.csv"
    path.write_text("name,kind\nX,Y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="canonical_name"):
        run(path)
