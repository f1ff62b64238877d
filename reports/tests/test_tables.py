"""Every metric and grouping on the hand-computed ledger of conftest.py."""

from decimal import Decimal

import pytest

from core.exceptions import ApplicationError
from reports.selectors import report_table
from reports.spec import METRICS, spec_clean

pytestmark = pytest.mark.django_db
D = Decimal


def table(user, **data):
    return report_table(user=user, spec=spec_clean(data))


def test_every_metric_by_month(user, ledger):
    result = table(user, group_by=["month"], metrics=list(METRICS))
    assert result.rows == [
        # Jan: -50.00 -30.25 +2000.00; the deleted -999.00 and the other user's row never count.
        {"month": "2024-01", "sum": D("1919.75"), "count": 3, "average": D("639.92"), "min": D("-50.00"),
         "max": D("2000.00"), "income": D("2000.00"), "expenses": D("80.25"), "net": D("1919.75")},
        # Feb: -19.75 -60.00 +10.00 (a refund) -100.00; average -42.4375 rounds half up to -42.44.
        {"month": "2024-02", "sum": D("-169.75"), "count": 4, "average": D("-42.44"), "min": D("-100.00"),
         "max": D("10.00"), "income": D("10.00"), "expenses": D("179.75"), "net": D("-169.75")},
        {"month": "2024-03", "sum": D("-12.40"), "count": 1, "average": D("-12.40"), "min": D("-12.40"),
         "max": D("-12.40"), "income": D("0.00"), "expenses": D("12.40"), "net": D("-12.40")},
    ]
    assert result.totals == {
        "sum": D("1737.60"), "count": 8, "average": D("217.20"), "min": D("-100.00"), "max": D("2000.00"),
        "income": D("2010.00"), "expenses": D("272.40"), "net": D("1737.60"),
    }


@pytest.mark.parametrize(("grouping", "expected"), [
    ("day", [("2024-01-05", "-50.00", 1), ("2024-01-20", "-30.25", 1), ("2024-01-31", "2000.00", 1),
             ("2024-02-03", "-19.75", 1), ("2024-02-14", "-60.00", 1), ("2024-02-15", "10.00", 1),
             ("2024-02-28", "-100.00", 1), ("2024-03-01", "-12.40", 1)]),
    # ISO weeks start on Monday: Jan 5 (Fri) -> Jan 1; Jan 20 (Sat) -> Jan 15; Jan 31 (Wed) -> Jan 29;
    # Feb 3 (Sat) -> Jan 29; Feb 14/15 -> Feb 12; Feb 28 (Wed) -> Feb 26; Mar 1 (Fri) -> Feb 26.
    ("week", [("2024-01-01", "-50.00", 1), ("2024-01-15", "-30.25", 1), ("2024-01-29", "1980.25", 2),
              ("2024-02-12", "-50.00", 2), ("2024-02-26", "-112.40", 2)]),
    ("quarter", [("2024-Q1", "1737.60", 8)]),
    ("year", [("2024", "1737.60", 8)]),
    ("category", [("dining", "-60.00", 1), ("donations", "-100.00", 1), ("groceries", "-90.00", 4),
                  ("pharmacy", "-12.40", 1), ("salary", "2000.00", 1)]),
    ("merchant", [("=HYPERLINK(\"http://evil.example\",\"x\")", "-60.00", 1), ("ACME PAYROLL", "2000.00", 1),
                  ("CORNER GROCER", "-70.25", 3), ("FRESH MARKET", "-19.75", 1), ("RED CROSS", "-100.00", 1),
                  ("Аптека №1 Ελληνικά", "-12.40", 1)]),
    ("account", [("Card", "-92.15", 3), ("Everyday", "1829.75", 5)]),
])
def test_every_grouping(user, ledger, grouping, expected):
    result = table(user, group_by=[grouping], metrics=["sum", "count"])
    assert [(row[grouping], f"{row['sum']:.2f}", row["count"]) for row in result.rows] == expected
    assert result.totals == {"sum": D("1737.60"), "count": 8}


def test_two_groupings(user, ledger):
    result = table(user, group_by=["month", "category"], metrics=["expenses", "count"])
    assert [(row["month"], row["category"], row["expenses"], row["count"]) for row in result.rows] == [
        ("2024-01", "groceries", D("80.25"), 2), ("2024-01", "salary", D("0.00"), 1),
        ("2024-02", "dining", D("60.00"), 1), ("2024-02", "donations", D("100.00"), 1),
        ("2024-02", "groceries", D("19.75"), 2), ("2024-03", "pharmacy", D("12.40"), 1),
    ]
    assert result.totals == {"expenses": D("272.40"), "count": 8}


def test_the_transaction_lists_filters_apply(user, ledger):
    result = table(user, filters={"category": "groceries", "since": "2024-02-01"}, metrics=["sum", "count"])
    assert result.rows == [{"sum": D("-9.75"), "count": 2}]
    card = ledger["accounts"]["card"]
    result = table(user, filters={"account": str(card.id), "max_amount": "-20"}, metrics=["sum", "count"])
    assert result.rows == [{"sum": D("-60.00"), "count": 1}]


def test_no_matching_rows_is_an_empty_table(user, ledger):
    result = table(user, filters={"since": "2030-01-01"}, metrics=["sum", "count", "average"])
    assert result.rows == []
    assert result.totals == {"sum": D("0.00"), "count": 0, "average": None}


def test_kpis_series_and_spending_by_category(user, ledger):
    result = table(user, filters={"since": "2024-02-01", "until": "2024-02-29"})
    assert result.kpis == {"income": D("10.00"), "expenses": D("179.75"), "net": D("-169.75"), "count": 4}
    # Groceries: -19.75 + 10.00 refund = 9.75 spent.
    assert result.spending_by_category == [("Donations", D("100.00")), ("Dining", D("60.00")), ("Groceries", D("9.75"))]
    kind, points = result.net_series
    assert kind == "daily" and len(points) == 29
    assert points[2][1] == D("-19.75") and points[13][1] == D("-79.75") and points[-1][1] == D("-169.75")
    kind, points = table(user, filters={"since": "2023-12-01", "until": "2024-03-31"}).net_series
    assert kind == "monthly"
    assert [(day.isoformat(), value) for day, value in points] == [
        ("2024-01-01", D("1919.75")), ("2024-02-01", D("-169.75")), ("2024-03-01", D("-12.40"))
    ]


@pytest.mark.parametrize(("data", "field"), [
    ({"group_by": ["month", "category", "account"]}, "group_by"),
    ({"group_by": ["month", "month"]}, "group_by"),
    ({"group_by": ["hour"]}, "group_by"),
    ({"metrics": ["median"]}, "metrics"),
    ({"format": "docx"}, "format"),
    ({"filters": {"since": "yesterday"}}, "since"),
    ({"filters": {"colour": "red"}}, "filters"),
])
def test_bad_specs_are_400s_naming_the_field(data, field):
    with pytest.raises(ApplicationError) as error:
        spec_clean(data)
    assert error.value.status_code == 400
    assert field in error.value.errors
