"""The global corpus: (text, category slug) pairs the global text model learns from.

Sources, all read from files (no network), each row tagged with where it came from:
- the merchant master seed (fixtures/merchants_seed.csv): canonical names and aliases;
- the OpenStreetMap name-suggestion-index brands (`merchant/nsi/brands.csv`, BSD-3-Clause):
  names and aliases, with the category its OSM tag maps to;
- merchant category codes (`merchant/mcc/`, public domain): each code's descriptions, with the
  category its Plaid-style hierarchy maps to through `data/plaid_map.tsv`;
- that hierarchy's own labels ("Bank Fees: Insufficient Funds");
- `data/keywords.tsv`: the generic words banks print around a merchant (fees, interest...).

Only slugs of the system taxonomy (fixtures/categories.json) are kept. The order is stable and
duplicates are dropped, so the same files give the same corpus (and the same artefact)."""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class CorpusSources:
    seed: Path
    nsi: Path | None
    mcc_dir: Path | None
    categories: Path

    @classmethod
    def default(cls) -> "CorpusSources":
        shared = Path(settings.BASE_DIR).parent / "shared" / "data" / "merchant"
        return cls(
            seed=Path(settings.BASE_DIR) / "fixtures" / "merchants_seed.csv",
            nsi=shared / "nsi" / "brands.csv",
            mcc_dir=shared / "mcc",
            categories=Path(settings.BASE_DIR) / "fixtures" / "categories.json",
        )


def _tsv(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            yield line.rstrip("\n").split("\t")


def system_slugs(path: Path) -> set[str]:
    return {entry["slug"] for entry in json.loads(path.read_text(encoding="utf-8"))}


def plaid_slug(hierarchy: str, table: list[tuple[str, str]]) -> str | None:
    """Longest prefix of the hierarchy (whole levels) in the map table, or None."""
    best = None
    for prefix, slug in table:
        if (hierarchy == prefix or hierarchy.startswith(prefix + ":")) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, slug)
    return best[1] if best else None


def _plaid_table() -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in list(_tsv(DATA_DIR / "plaid_map.tsv"))[1:]]


def seed_pairs(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for name in [row["canonical_name"], *row["aliases"].split("|")]:
                yield name, row["category"]


def nsi_pairs(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for name in [row["name"], *(row["aliases"] or "").split("|")]:
                yield name, row["category"]


def mcc_pairs(directory: Path) -> Iterator[tuple[str, str]]:
    table = _plaid_table()
    with (directory / "inspired_linked_fi_codes.csv").open(encoding="utf-8-sig", newline="") as handle:
        hierarchy = {row["category_id"]: row["_hierarchy"] for row in csv.DictReader(handle)}
    for label in hierarchy.values():
        slug = plaid_slug(label, table)
        if slug:
            yield label.split(": ")[-1], slug
            yield label.replace(":", " "), slug
    by_code: dict[str, str] = {}
    with (directory / "inspired_mcc_codes.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            slug = plaid_slug(hierarchy.get(row["linked_fi_category"], ""), table)
            if slug:
                by_code[row["mcc"]] = slug
                yield row["edited_description"], slug
                yield row["irs_description"], slug
    with (directory / "mcc_codes.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            slug = by_code.get(row["mcc"])
            if slug:
                yield row["combined_description"], slug
                yield row["usda_description"], slug


def keyword_pairs() -> Iterator[tuple[str, str]]:
    for row in list(_tsv(DATA_DIR / "keywords.tsv"))[1:]:
        yield row[0], row[1]


def build_corpus(sources: CorpusSources) -> tuple[list[str], list[str], dict[str, int]]:
    """(texts, slugs, rows per source). Missing optional sources are skipped and counted as 0."""
    slugs = system_slugs(sources.categories)
    parts = [("seed", seed_pairs(sources.seed)), ("keywords", keyword_pairs())]
    if sources.nsi is not None and sources.nsi.exists():
        parts.append(("nsi", nsi_pairs(sources.nsi)))
    if sources.mcc_dir is not None and (sources.mcc_dir / "inspired_mcc_codes.csv").exists():
        parts.append(("mcc", mcc_pairs(sources.mcc_dir)))
    seen: set[tuple[str, str]] = set()
    texts: list[str] = []
    labels: list[str] = []
    counts: dict[str, int] = {}
    for name, pairs in parts:
        counts[name] = 0
        for text, slug in pairs:
            text = " ".join(text.split())
            key = (text.upper(), slug)
            if not text or slug not in slugs or key in seen:
                continue
            seen.add(key)
            texts.append(text)
            labels.append(slug)
            counts[name] += 1
    return texts, labels, counts
