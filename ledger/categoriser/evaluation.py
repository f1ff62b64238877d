"""The categoriser's evaluation: a labelled ledger replayed through the real API as one new user.

Protocol (issue 15): rows in date order; each is created without a category (POST
/api/v1/transactions/), the predicted category and confidence are read from the response, and
a wrong one is corrected to the true label (POST /api/v1/transactions/correct/) before the next
row, so the categoriser learns as a user would teach it. Rows whose label maps to no slug
(null in label_map.json) are created but neither scored nor corrected.

The baseline replays the same sequence through smart_importer's pipeline: CountVectorizer of
1-3 word grams over the description and SVC(kernel="linear"), retrained on every earlier
labelled row before each prediction (with fewer than two labels seen it predicts the only one)."""

import csv
import datetime
import json
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

URL = "/api/v1/transactions/"
CALIBRATION_BUCKETS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.01)
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_AMOUNT_RE = re.compile(r"[^0-9.\-]")


@dataclass
class LabelledRow:
    date: datetime.date
    amount: Decimal
    description: str
    label: str | None  # our slug, or None when the source label maps to none


@dataclass
class Prediction:
    truth: str
    predicted: str
    confidence: float
    method: str
    description: str = ""


@dataclass
class Report:
    rows: int = 0
    scored: int = 0
    predictions: list[Prediction] = field(default_factory=list)
    baseline: list[tuple[str, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(p.truth == p.predicted for p in self.predictions) / max(1, len(self.predictions))

    @property
    def baseline_accuracy(self) -> float:
        return sum(truth == predicted for truth, predicted in self.baseline) / max(1, len(self.baseline))

    def calibration(self) -> list[tuple[float, float, int, float]]:
        """(low, high, rows, share right) per confidence bucket."""
        out = []
        for low, high in zip(CALIBRATION_BUCKETS, CALIBRATION_BUCKETS[1:], strict=False):
            bucket = [p for p in self.predictions if low <= p.confidence < high]
            right = sum(p.truth == p.predicted for p in bucket) / len(bucket) if bucket else 0.0
            out.append((low, min(high, 1.0), len(bucket), right))
        return out

    def accuracy_at(self, minimum: float) -> tuple[int, float]:
        confident = [p for p in self.predictions if p.confidence >= minimum]
        return len(confident), sum(p.truth == p.predicted for p in confident) / max(1, len(confident))

    def per_category(self) -> list[tuple[str, int, float, float]]:
        """(slug, support, precision, recall) for every true or predicted slug."""
        truths = Counter(p.truth for p in self.predictions)
        predicted = Counter(p.predicted for p in self.predictions)
        right = Counter(p.truth for p in self.predictions if p.truth == p.predicted)
        slugs = sorted(set(truths) | set(predicted), key=lambda slug: (-truths[slug], slug))
        return [
            (slug, truths[slug], right[slug] / predicted[slug] if predicted[slug] else 0.0,
             right[slug] / truths[slug] if truths[slug] else 0.0)
            for slug in slugs
        ]

    def text(self) -> str:
        methods = defaultdict(lambda: [0, 0])
        for p in self.predictions:
            methods[p.method][0] += 1
            methods[p.method][1] += p.truth == p.predicted
        confident, confident_right = self.accuracy_at(0.9)
        lines = [
            f"rows replayed: {self.rows}; scored (label maps to a slug): {self.scored}",
            f"ledgerline: {self.accuracy:.3f} needed no correction (target >= 0.85)",
            f"smart_importer baseline (CountVectorizer 1-3 + linear SVC, retrained per row): {self.baseline_accuracy:.3f}",
            f"confidence >= 0.9: {confident} rows, {confident_right:.3f} right (target >= 0.95)",
            "by method: " + ", ".join(f"{m} {n} ({r / n:.2f} right)" for m, (n, r) in sorted(methods.items())),
            "calibration (confidence bucket: rows, share right):",
            *[f"  [{low:.2f}, {high:.2f}): {n:4d}  {right:.3f}" for low, high, n, right in self.calibration()],
            "most frequent mistakes (true -> predicted: rows):",
            *[f"  {t} -> {p}: {n}" for (t, p), n in Counter(
                (p.truth, p.predicted) for p in self.predictions if p.truth != p.predicted).most_common(8)],
            "per category (support, precision, recall):",
            *[f"  {slug:16s} {n:4d}  {precision:.3f}  {recall:.3f}" for slug, n, precision, recall in self.per_category()],
        ]
        return "\n".join(lines)


def default_paths() -> tuple[Path, Path]:
    labelled = Path(settings.BASE_DIR).parent / "shared" / "data" / "labelled"
    return labelled / "yassirawad" / "transactions.csv", labelled / "label_map.json"


def load_rows(csv_path: Path, map_path: Path) -> list[LabelledRow]:
    """The labelled rows in date order (stable for ties). Amounts like "-1 300.00" lose their
    spaces; a date is the first YYYY-MM-DD in its cell."""
    label_map = json.loads(map_path.read_text(encoding="utf-8"))["yassirawad"]
    rows = []
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            date = _DATE_RE.search(record["date"])
            try:
                amount = Decimal(_AMOUNT_RE.sub("", record["amount"]))
            except InvalidOperation:
                continue
            if date is None:
                continue
            rows.append(
                LabelledRow(
                    date=datetime.date(*map(int, date.groups())), amount=amount.quantize(Decimal("0.01")),
                    description=record["description"].strip(), label=label_map.get(record["label"]),
                )
            )
    rows.sort(key=lambda row: row.date)
    return rows


def replay_api(rows: list[LabelledRow], *, client: APIClient, report: Report) -> None:
    for row in rows:
        response = client.post(
            URL, {"date": row.date.isoformat(), "amount": str(row.amount), "merchant_raw": row.description}, format="json"
        )
        if response.status_code != 201:
            raise RuntimeError(f"create failed ({response.status_code}): {response.content[:200]!r}")
        body = response.json()
        report.rows += 1
        if row.label is None:
            continue
        report.scored += 1
        confidence = body.get("confidence") or {}
        report.predictions.append(
            Prediction(
                row.label, body["category"], float(confidence.get("category", 0.0)), confidence.get("method", ""),
                row.description,
            )
        )
        if body["category"] != row.label:
            corrected = client.post(f"{URL}correct/", {"transaction_id": body["id"], "new_category": row.label}, format="json")
            if corrected.status_code != 200:
                raise RuntimeError(f"correct failed ({corrected.status_code}): {corrected.content[:200]!r}")


def replay_baseline(rows: list[LabelledRow], *, report: Report) -> None:
    texts: list[str] = []
    labels: list[str] = []
    for row in rows:
        if row.label is None:
            continue
        if len(set(labels)) >= 2:
            pipeline = make_pipeline(CountVectorizer(ngram_range=(1, 3)), SVC(kernel="linear"))
            pipeline.fit(texts, labels)
            predicted = str(pipeline.predict([row.description])[0])
        else:
            predicted = labels[0] if labels else "uncategorized"
        report.baseline.append((row.label, predicted))
        texts.append(row.description)
        labels.append(row.label)


def evaluate(*, csv_path: Path | None = None, map_path: Path | None = None, baseline: bool = True) -> Report:
    """Replay through the API as a brand-new user (created here), then the baseline."""
    default_csv, default_map = default_paths()
    rows = load_rows(csv_path or default_csv, map_path or default_map)
    user = get_user_model().objects.create_user(
        email=f"eval-{uuid.uuid4().hex[:12]}@example.com", password=uuid.uuid4().hex
    )
    client = APIClient()
    client.force_authenticate(user)
    report = Report()
    replay_api(rows, client=client, report=report)
    if baseline:
        replay_baseline(rows, report=report)
    return report
