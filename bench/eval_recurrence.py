#!/usr/bin/env python
"""Quality of subscription detection and anomaly scoring on synthetic ledgers with planted truth.

Generates EVAL_USERS (200) users' ledgers of EVAL_MONTHS (18) months, seeded (EVAL_SEED):
real-looking recurring charges (weekly to yearly, calendar-month billing incl. the 29th-31st,
weekend shifts, skipped months, price rises, cancellations, descriptor variants such as
"NETFLIX.COM 866-579-7172" / "NETFLIX.COM*4B21") among look-alike noise (weekly groceries at
varying amounts, utilities monthly at varying amounts, same-price parking at irregular
intervals, a haircut at one price every 4-7 weeks, daily coffee, dining, fuel, a monthly transfer to savings), and planted anomalies
(a charge many times its category's usual, a duplicate charge the next day, a large charge at
a first-ever merchant). Runs the same pure code the services run (analytics.recurrence and
analytics.anomaly_rules: the services only load rows and group them by merchant key) and
prints precision and recall against the planted truth. Targets (issue #17): subscriptions
precision >= 0.95, recall >= 0.90.

Truth for subscriptions: a planted recurring charge with enough charges in the window to be
knowable (3, or 2 for yearly). Truth for anomalies: the planted anomalies dated in the last
EVAL_SCORE_DAYS (90) days, plus the first charge of a known subscription after a planted
price rise in that window; every outflow of that window is scored with the history before it,
flagged when its score >= ANOMALY_ALERT_THRESHOLD (0.8).

Also, with `--statements`, runs detection on every statement in ../shared/data/statements/
spanning >= 3 months that the small reader below understands (CSV with a date, an amount or
debit/credit and a description column; OFX) and prints what it finds."""

import argparse
import csv
import datetime
import io
import os
import random
import re
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
import django  # noqa: E402

django.setup()

from analytics import anomaly_rules  # noqa: E402
from analytics.recurrence import Charge, add_months, descriptor_of, detect_groups, merchant_key  # noqa: E402

USERS = int(os.environ.get("EVAL_USERS", "200"))
MONTHS = int(os.environ.get("EVAL_MONTHS", "18"))
SEED = int(os.environ.get("EVAL_SEED", "17"))
SCORE_DAYS = int(os.environ.get("EVAL_SCORE_DAYS", "90"))
THRESHOLD = float(os.environ.get("ANOMALY_ALERT_THRESHOLD", "0.8"))
AS_OF = datetime.date(2026, 11, 30)
STATEMENTS = ROOT.parent / "shared" / "data" / "statements"
LABELLED = ROOT.parent / "shared" / "data" / "labelled" / "yassirawad" / "transactions.csv"

# name, descriptor variants, amount, period, billing
CATALOGUE = [
    ("Netflix", ["NETFLIX.COM 866-579-7172", "NETFLIX.COM*{code}"], "15.49", "monthly"),
    ("Spotify", ["SPOTIFY P{code} STOCKHOLM", "Spotify USA"], "10.99", "monthly"),
    ("iCloud", ["APPLE.COM/BILL {code}", "APPLE.COM/BILL ITUNES.COM"], "2.99", "monthly"),
    ("Gym", ["PURE GYM LTD {code}", "PUREGYM MEMBERSHIP"], "45.00", "monthly"),
    ("Phone", ["VERIZON WRLS {code}", "VERIZON WIRELESS PAYMENT"], "65.00", "monthly"),
    ("Rent", ["RENT PAYMENT OAK APTS", "OAK APARTMENTS RENT {code}"], "1450.00", "monthly"),
    ("News", ["NYTIMES DIGITAL {code}", "NYTIMES.COM"], "4.00", "weekly"),
    ("MealKit", ["HELLOFRESH {code}", "HELLO FRESH US"], "59.99", "weekly"),
    ("Cleaner", ["SPARKLE CLEANING {code}", "SPARKLE CLEANING SVC"], "80.00", "fortnightly"),
    ("Insurance", ["STATE FARM INSURANCE {code}", "STATEFARM PREMIUM"], "210.00", "quarterly"),
    ("Domain", ["NAMECHEAP.COM {code}", "NAMECHEAP RENEWAL"], "14.99", "yearly"),
    ("Prime", ["AMAZON PRIME*{code}", "AMZN PRIME MEMBERSHIP"], "139.00", "yearly"),
    ("Cloud", ["GOOGLE *GOOGLE ONE {code}", "GOOGLE ONE STORAGE"], "1.99", "monthly"),
    ("Patreon", ["PATREON* MEMBERSHIP {code}", "PATREON MEMBERSHIP"], "5.00", "monthly"),
]
STEP_DAYS = {"weekly": 7, "fortnightly": 14}
STEP_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
JEWELLERS = ["ASTOR", "BELLA", "CROWN", "DIAMANTE", "EMERALD", "FABERGE"]
DINING = [f"BISTRO {name}" for name in ("ROMA", "LUCA", "AZUL", "SOL", "KOI", "NOVA", "ELM", "FIG", "OAK", "RYE")]


def code(rng) -> str:
    # Banks' reference numbers: digits, which descriptor normalisation drops.
    return "".join(rng.choice("0123456789") for _ in range(6))


def weekend_shift(day: datetime.date, rng) -> datetime.date:
    if day.weekday() < 5:
        return day
    forward = rng.random() < 0.7
    return day + datetime.timedelta(days=(7 - day.weekday()) if forward else -(day.weekday() - 4))


class Ledger:
    def __init__(self, user: int):
        self.rows: list[dict] = []
        self.subscriptions: dict[str, str] = {}  # group key -> name (truth)
        self.anomalies: set[str] = set()
        self.price_change_rows: set[str] = set()
        self.user = user

    def add(self, day, amount, descriptor, category, **extra) -> dict:
        row = {"id": f"{self.user}-{len(self.rows)}", "date": day, "amount": Decimal(amount).quantize(Decimal("0.01")),
               "descriptor": descriptor, "category": category, **extra}
        self.rows.append(row)
        return row


def plant_subscription(ledger: Ledger, rng, start: datetime.date, item) -> None:
    name, variants, amount, period = item
    amount = Decimal(amount) * Decimal(str(rng.choice([1, 1, 1, 0.9, 1.2])))
    first = start + datetime.timedelta(days=rng.randrange(0, 200))
    end = AS_OF if rng.random() > 0.2 else first + datetime.timedelta(days=rng.randrange(120, 400))
    billing_day = rng.choice([first.day, 29, 30, 31]) if period in STEP_MONTHS and rng.random() < 0.15 else first.day
    rise_at = rng.randrange(3, 14) if rng.random() < 0.2 else None
    variant = rng.choice(variants)  # a bank formats one merchant one way; only the codes change
    charges, index, day = [], 0, first
    while day <= min(end, AS_OF):
        if not (period in STEP_MONTHS and index > 0 and rng.random() < 0.05):  # a skipped month
            price = amount * (Decimal("1.15") if rise_at is not None and index >= rise_at else 1)
            descriptor = variant.format(code=code(rng))
            posted = weekend_shift(day, rng) if period in STEP_MONTHS else day
            row = ledger.add(posted, -price, descriptor, "subscriptions")
            if rise_at is not None and index == rise_at:
                ledger.price_change_rows.add(row["id"])
            charges.append(row)
        index += 1
        day = add_months(first, index * STEP_MONTHS[period], billing_day) if period in STEP_MONTHS else first + datetime.timedelta(days=STEP_DAYS[period] * index)
    needed = 2 if period == "yearly" else 3
    keys = {key_of(row) for row in charges}
    if len(charges) >= needed and len(keys) == 1:
        ledger.subscriptions[keys.pop()] = name


def plant_noise(ledger: Ledger, rng, start: datetime.date) -> None:
    days = (AS_OF - start).days
    stores = rng.sample(["CORNER GROCER", "FRESH MART", "GREEN MARKET", "VALUE FOODS"], 2)
    grocery_day = rng.randrange(7)
    for week in range(days // 7):
        day = start + datetime.timedelta(days=7 * week + grocery_day + rng.choice([0, 0, 0, 1, -1]))
        ledger.add(day, -Decimal(rng.uniform(35, 140)), f"{rng.choice(stores)} #{rng.randrange(10, 99)}", "groceries")
    for month in range(MONTHS + 1):
        base = add_months(start, month, 1)
        ledger.add(base + datetime.timedelta(days=rng.randrange(3, 8)), -Decimal(rng.uniform(60, 140)), "CITY POWER & LIGHT", "utilities")
        ledger.add(base + datetime.timedelta(days=24), Decimal("4200.00"), "ACME CORP PAYROLL", "salary")
        ledger.add(base + datetime.timedelta(days=25), Decimal("-500.00"), "TRANSFER TO SAVINGS", "transfer")
    for _ in range(days // 12):
        ledger.add(start + datetime.timedelta(days=rng.randrange(days)), Decimal("-12.00"), "CITY PARKING GARAGE", "parking")
    for _ in range(int(days * 0.5)):
        ledger.add(start + datetime.timedelta(days=rng.randrange(days)), -Decimal(rng.choice(["3.50", "4.25", "4.50", "5.10"])), "BEAN THERE COFFEE", "coffee")
    for _ in range(int(days * 0.2)):
        ledger.add(start + datetime.timedelta(days=rng.randrange(days)), -Decimal(rng.uniform(18, 85)), rng.choice(DINING), "dining")
    for _ in range(days // 14):
        ledger.add(start + datetime.timedelta(days=rng.randrange(days)), -Decimal(rng.uniform(30, 70)), "SHELL OIL 5521", "fuel")
    haircut = start + datetime.timedelta(days=rng.randrange(30))
    while haircut < AS_OF:  # same price, roughly monthly but irregular (4-7 weeks): not a subscription
        ledger.add(haircut, Decimal("-35.00"), "SNIP HAIR STUDIO", "personal_care")
        haircut += datetime.timedelta(days=rng.randrange(26, 50))
    for _ in range(days // 20):
        ledger.add(start + datetime.timedelta(days=rng.randrange(days)), -Decimal(rng.uniform(10, 180)), f"WEBSHOP {code(rng)[:2]}", "shopping")


def plant_anomalies(ledger: Ledger, rng) -> None:
    window_start = AS_OF - datetime.timedelta(days=SCORE_DAYS)
    for _ in range(rng.randrange(0, 4)):
        day = window_start + datetime.timedelta(days=rng.randrange(SCORE_DAYS))
        kind = rng.choice(["outlier", "duplicate", "new_merchant"])
        if kind == "outlier":
            category, descriptor, usual = rng.choice([("groceries", "CORNER GROCER #12", 80), ("dining", DINING[0], 50), ("fuel", "SHELL OIL 5521", 50)])
            row = ledger.add(day, -Decimal(usual * rng.uniform(6, 12)), descriptor, category)
        elif kind == "duplicate":
            amount = -Decimal(rng.uniform(25, 300))
            ledger.add(day, amount, "ELECTRO STORE 881", "electronics")
            row = ledger.add(day + datetime.timedelta(days=rng.choice([0, 1])), amount, "ELECTRO STORE 881", "electronics")
        else:
            row = ledger.add(day, -Decimal(rng.uniform(1500, 4000)), f"{JEWELLERS[len(ledger.anomalies)]} JEWELLERS", "shopping")
        ledger.anomalies.add(row["id"])


def key_of(row: dict) -> str:
    return merchant_key(None, descriptor_of(row["descriptor"]))


def generate(user: int) -> Ledger:
    rng = random.Random(SEED * 100_003 + user)
    ledger = Ledger(user)
    start = add_months(AS_OF, -MONTHS, 1)
    for item in rng.sample(CATALOGUE, rng.randrange(2, 7)):
        plant_subscription(ledger, rng, start, item)
    plant_noise(ledger, rng, start)
    plant_anomalies(ledger, rng)
    ledger.rows = [r for r in ledger.rows if r["date"] <= AS_OF]
    ledger.rows.sort(key=lambda r: (r["date"], r["id"]))
    return ledger


def spending_groups(rows, until: datetime.date) -> dict[str, list[Charge]]:
    groups = defaultdict(list)
    for row in rows:
        if row["amount"] < 0 and row["category"] not in ("transfer", "salary") and row["date"] <= until:
            key = key_of(row)
            if key:
                groups[key].append(Charge(id=row["id"], date=row["date"], amount=row["amount"]))
    return groups


def evaluate_subscriptions(ledger: Ledger) -> tuple[int, int, int, list]:
    found = detect_groups(spending_groups(ledger.rows, AS_OF), as_of=AS_OF)
    truth = set(ledger.subscriptions)
    hits = truth & set(found)
    false_positives = [(key, found[key].period.name, str(found[key].amount_mean)) for key in set(found) - truth]
    return len(hits), len(found), len(truth), false_positives


def evaluate_anomalies(ledger: Ledger) -> tuple[int, int, int]:
    window_start = AS_OF - datetime.timedelta(days=SCORE_DAYS)
    known_at_start = detect_groups(spending_groups(ledger.rows, window_start), as_of=window_start)
    known = {key: anomaly_rules.KnownRecurrence(id=key, name=key, amount_mean=d.amount_mean, amount_tolerance=d.amount_tolerance)
             for key, d in known_at_start.items() if not d.ended}
    rows = [anomaly_rules.Row(id=r["id"], date=r["date"], amount=r["amount"], category_id=r["category"], key=key_of(r) or r["id"],
                              order=(r["date"], int(r["id"].split("-")[1])))
            for r in ledger.rows if r["category"] not in ("transfer", "salary")]
    history = anomaly_rules.History(rows)
    truth = set(ledger.anomalies) | {r for r in ledger.price_change_rows if r in {x.id for x in rows if x.date >= window_start}}
    truth = {t for t in truth if any(x.id == t and x.date >= window_start for x in rows)}
    truth -= {r for r in ledger.price_change_rows if not any(x.id == r and x.key in known for x in rows)}
    flagged = set()
    for row in rows:
        if row.date >= window_start:
            finding = anomaly_rules.score_row(history, row, known=known.get(row.key), expected=set())
            if finding.price_change:  # what the incremental detection after an import does
                known[row.key] = anomaly_rules.KnownRecurrence(id=row.key, name=row.key, amount_mean=row.amount, amount_tolerance=Decimal("0"))
            if finding.score >= THRESHOLD:
                flagged.add(row.id)
                if row.id not in truth:
                    FALSE_ALARMS[finding.reasons[0]["rule"]] += 1
                    if len(FALSE_ALARM_EXAMPLES) < 8:
                        FALSE_ALARM_EXAMPLES.append((row.key, str(row.amount), finding.reasons[0]["detail"]))
    return len(flagged & truth), len(flagged), len(truth)


FALSE_ALARMS: dict[str, int] = defaultdict(int)
FALSE_ALARM_EXAMPLES: list = []


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def synthetic() -> None:
    totals = defaultdict(int)
    examples = []
    for user in range(USERS):
        ledger = generate(user)
        hits, found, truth, false_positives = evaluate_subscriptions(ledger)
        totals["sub_hits"] += hits
        totals["sub_found"] += found
        totals["sub_truth"] += truth
        totals["rows"] += len(ledger.rows)
        examples.extend(false_positives[:1])
        a_hits, a_flagged, a_truth = evaluate_anomalies(ledger)
        totals["an_hits"] += a_hits
        totals["an_flagged"] += a_flagged
        totals["an_truth"] += a_truth
    print(f"synthetic: {USERS} users, {totals['rows']:,} rows, {MONTHS} months, seed {SEED}")
    sub_p, sub_r = ratio(totals["sub_hits"], totals["sub_found"]), ratio(totals["sub_hits"], totals["sub_truth"])
    print(f"subscriptions: planted {totals['sub_truth']}, detected {totals['sub_found']}, correct {totals['sub_hits']}")
    print(f"  precision {sub_p:.3f} (target >= 0.95: {'met' if sub_p >= 0.95 else 'MISSED'})   "
          f"recall {sub_r:.3f} (target >= 0.90: {'met' if sub_r >= 0.90 else 'MISSED'})")
    if examples:
        print(f"  false positives, e.g.: {examples[:5]}")
    an_p, an_r = ratio(totals["an_hits"], totals["an_flagged"]), ratio(totals["an_hits"], totals["an_truth"])
    print(f"anomalies (last {SCORE_DAYS} days, score >= {THRESHOLD}): planted {totals['an_truth']}, flagged {totals['an_flagged']}, "
          f"correct {totals['an_hits']}")
    print(f"  precision {an_p:.3f}   recall {an_r:.3f}   (no target set; for comparison between versions)")
    if FALSE_ALARMS:
        print(f"  false alarms by strongest rule: {dict(FALSE_ALARMS)}; e.g. {FALSE_ALARM_EXAMPLES[:4]}")


# --- real statements ---------------------------------------------------------------------------
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%y", "%m/%d/%y")


def parse_date(text: str) -> datetime.date | None:
    text = text.strip()[:10]
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_amount(text: str) -> Decimal | None:
    text = text.strip().replace("\u2212", "-").replace(" ", "").replace("$", "").replace("€", "")
    if not text:
        return None
    if re.fullmatch(r"-?[\d.]*,\d{1,2}", text):
        text = text.replace(".", "").replace(",", ".")
    text = text.replace(",", "")
    try:
        return Decimal(text)
    except Exception:
        return None


def read_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1251" if "russian" in str(path) else "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_csv(path: Path) -> list[tuple]:
    """(date, amount, description) rows: the header row is the first naming a date column;
    amount from an amount column or debit/credit columns."""
    text = read_text(path)
    delimiter = ";" if text.count(";") > text.count(",") else ","
    lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    for index, header in enumerate(lines):
        names = [h.strip().lower() for h in header]
        date_col = next((i for i, n in enumerate(names) if "date" in n or "datum" in n or "дата" in n), None)
        if date_col is None:
            continue
        amount_col = next((i for i, n in enumerate(names) if n in ("amount", "betrag", "сумма", "brutto") or "amount" in n or "betrag" in n), None)
        debit_col = next((i for i, n in enumerate(names) if "debit" in n or "withdraw" in n), None)
        credit_col = next((i for i, n in enumerate(names) if "credit" in n or "deposit" in n), None)
        text_col = next((i for i, n in enumerate(names) if any(w in n for w in ("description", "payee", "name", "merchant", "memo", "note", "verwendungszweck", "beschreibung", "описание"))), None)
        if text_col is None or (amount_col is None and debit_col is None):
            continue
        rows = []
        for line in lines[index + 1:]:
            if len(line) <= max(c for c in (date_col, amount_col, debit_col, credit_col, text_col) if c is not None):
                continue
            day = parse_date(line[date_col])
            if amount_col is not None:
                amount = parse_amount(line[amount_col])
                if amount is not None and "type" in " ".join(names) and any(v.strip().lower() == "debit" for v in line):
                    amount = -abs(amount)
            else:
                debit, credit = parse_amount(line[debit_col]) or Decimal(0), parse_amount(line[credit_col]) if credit_col is not None else Decimal(0)
                amount = (credit or Decimal(0)) - abs(debit)
            if day and amount is not None:
                rows.append((day, amount, line[text_col].strip()))
        return rows
    return []


def ofx_tag(block: str, name: str) -> str:
    found = re.search(rf"<{name}>\s*([^<\r\n]*)", block, re.I)
    return found.group(1).strip() if found else ""


def read_ofx(path: Path) -> list[tuple]:
    text = read_text(path)
    rows = []
    for block in re.findall(r"<STMTTRN>(.*?)(?:</STMTTRN>|(?=<STMTTRN>)|</BANKTRANLIST>)", text, re.S | re.I):
        posted = ofx_tag(block, "DTPOSTED")
        day = parse_date(f"{posted[:4]}-{posted[4:6]}-{posted[6:8]}")
        amount = parse_amount(ofx_tag(block, "TRNAMT"))
        if day and amount is not None:
            rows.append((day, amount, ofx_tag(block, "NAME") or ofx_tag(block, "MEMO")))
    return rows


def statements() -> None:
    print(f"\nstatements under {STATEMENTS} spanning >= 3 months (and the labelled real ledger):")
    for path in [*sorted(STATEMENTS.rglob("*")), LABELLED]:
        if path.suffix.lower() not in (".csv", ".ofx", ".qfx") or not path.is_file():
            continue
        rows = read_ofx(path) if path.suffix.lower() in (".ofx", ".qfx") else read_csv(path)
        if not rows:
            continue
        first, last = min(r[0] for r in rows), max(r[0] for r in rows)
        if (last - first).days < 89:
            continue
        ledger_rows = [{"id": str(i), "date": d, "amount": a, "descriptor": t, "category": "x"} for i, (d, a, t) in enumerate(rows)]
        found = detect_groups(spending_groups(ledger_rows, last), as_of=last)
        relative = path.relative_to(STATEMENTS.parent)
        print(f"- {relative}: {len(rows)} rows, {first} .. {last}: {len(found)} recurring")
        for key, item in sorted(found.items(), key=lambda kv: kv[1].amount_mean):
            print(f"    {key[2:]!r}: {item.period.name}, {item.amount_mean} x{item.occurrences}, {item.first_seen} .. {item.last_seen}, "
                  f"next {item.next_expected_date}{' (ended)' if item.ended else ''}, confidence {item.confidence:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", action="store_true", help="Also run detection on ../shared/data/statements.")
    parser.add_argument("--only-statements", action="store_true")
    args = parser.parse_args()
    if not args.only_statements:
        synthetic()
    if args.statements or args.only_statements:
        statements()


if __name__ == "__main__":
    main()
