"""ledger.export: streamed CSV, JSON and XLSX, with spreadsheet formulas neutralised."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ledger.export import neutralise
from ledger.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/transactions/"


def streamed(response) -> bytes:
    return b"".join(part if isinstance(part, bytes) else part.encode() for part in response.streaming_content)


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"])
def test_neutralise_prefixes_formula_triggers(dangerous):
    assert neutralise(dangerous) == "'" + dangerous


def test_neutralise_keeps_plain_numbers_and_text():
    assert (neutralise("-12.50"), neutralise("COFFEE"), neutralise(3)) == ("-12.50", "COFFEE", 3)


def test_csv_export_neutralises_and_has_a_safe_filename(auth_client, user, other_user):
    TransactionFactory(user=user, merchant_raw='=cmd|"/c calc"!A1', note="@evil", amount=Decimal("-7.25"))
    TransactionFactory(user=other_user, merchant_raw="THEIRS")
    response = auth_client.get(f"{URL}export/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="transactions-{datetime.date.today().isoformat()}.csv"'
    rows = list(csv.DictReader(io.StringIO(streamed(response).decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["merchant_raw"] == '\'=cmd|"/c calc"!A1'
    assert rows[0]["note"] == "'@evil"
    assert rows[0]["amount"] == "-7.25"


def test_json_export_honours_filters(auth_client, user):
    TransactionFactory(user=user, date=datetime.date(2024, 1, 1))
    kept = TransactionFactory(user=user, date=datetime.date(2024, 6, 1))
    response = auth_client.get(f"{URL}export/", {"format": "json", "since": "2024-03-01"})
    body = json.loads(streamed(response))
    assert [row["id"] for row in body] == [str(kept.pk)]
    assert body[0]["amount"] == "-12.50"


def test_xlsx_export_neutralises_text_and_keeps_amounts_numeric(auth_client, user):
    TransactionFactory(user=user, merchant_raw="+SUM(1)", amount=Decimal("-0.10"))
    response = auth_client.get(f"{URL}export/", {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(streamed(response)), read_only=True).active
    header, row = list(sheet.iter_rows(values_only=True))
    values = dict(zip(header, row, strict=True))
    assert values["merchant_raw"] == "'+SUM(1)"
    assert Decimal(str(values["amount"])) == Decimal("-0.10")


@pytest.mark.parametrize("params", [{"format": "pdf"}, {"format": "csv", "since": "never"}])
def test_export_refuses_bad_parameters(auth_client, params):
    response = auth_client.get(f"{URL}export/", params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
