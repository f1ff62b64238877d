"""QuickBooks exports of the matching transactions.

- IIF (QuickBooks Desktop): an !ACCNT list (the bank accounts, and one income or expense
  account per category, "Parent:Child" as QuickBooks names sub-accounts), then for every
  transaction a TRNS line on the bank account, one SPL line on the category's account with
  the opposite amount, and ENDTRNS. Tab-separated, CRLF, dates MM/DD/YYYY.
- QuickBooks Online bank CSV: the three-column layout (Date, Description, Amount), signed.
- QBO: an OFX 1.02 (SGML) bank statement per account for QuickBooks Web Connect."""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from reports.renderers.cells import money_text, neutralise
from reports.selectors import ReportTable

CRLF = "\r\n"
DEFAULT_BANK_ACCOUNT = "Ledgerline"
INCOME_ROOT = "Income"
IIF_HEADER = (
    "!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tMEMO",
    "!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tMEMO",
    "!ENDTRNS",
)
OFX_NAME_LENGTH = 32


def iif_field(value: str) -> str:
    """IIF has no quoting: tabs, line breaks and double quotes would break the row."""
    return " ".join(str(value).replace('"', "'").split())


def category_account(row: dict[str, Any]) -> str:
    parent, name = row["category__parent__name"], row["category__name"] or "Uncategorized"
    return iif_field(f"{parent}:{name}" if parent else name)


def _is_income(row: dict[str, Any]) -> bool:
    return INCOME_ROOT in (row["category__parent__name"], row["category__name"])


def _us_date(value) -> str:
    return value.strftime("%m/%d/%Y")


def render_iif(table: ReportTable) -> bytes:
    rows = list(table.transactions())
    lines = ["!ACCNT\tNAME\tACCNTTYPE"]
    bank_accounts = sorted({
        (iif_field(row["account__name"] or DEFAULT_BANK_ACCOUNT), "CCARD" if row["account__kind"] == "credit_card" else "BANK")
        for row in rows
    })
    lines += [f"ACCNT\t{name}\t{kind}" for name, kind in bank_accounts]
    categories = sorted({(category_account(row), "INC" if _is_income(row) else "EXP") for row in rows})
    lines += [f"ACCNT\t{name}\t{kind}" for name, kind in categories]
    lines += IIF_HEADER
    for row in rows:
        kind = "DEPOSIT" if row["amount"] > 0 else "CHECK"
        date = _us_date(row["date"])
        payee = iif_field(row["merchant__canonical_name"] or row["merchant_raw"])
        memo = iif_field(row["note"] or row["merchant_raw"])
        bank = iif_field(row["account__name"] or DEFAULT_BANK_ACCOUNT)
        lines.append(f"TRNS\t\t{kind}\t{date}\t{bank}\t{payee}\t{money_text(row['amount'])}\t{memo}")
        lines.append(f"SPL\t\t{kind}\t{date}\t{category_account(row)}\t{payee}\t{money_text(-row['amount'])}\t{memo}")
        lines.append("ENDTRNS")
    return (CRLF.join(lines) + CRLF).encode("utf-8")


def render_qbo_csv(table: ReportTable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=CRLF)
    writer.writerow(["Date", "Description", "Amount"])
    for row in table.transactions():
        description = row["merchant__canonical_name"] or row["merchant_raw"]
        writer.writerow([_us_date(row["date"]), neutralise(description), money_text(row["amount"])])
    return buffer.getvalue().encode("utf-8")


def ofx_text(value: str, limit: int | None = None) -> str:
    text = " ".join(str(value).split())[:limit]
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_qbo(table: ReportTable) -> bytes:
    by_account: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in table.transactions():
        by_account[row["account_id"]].append(row)
    now = timezone.now().strftime("%Y%m%d%H%M%S")
    bank_id = settings.REPORTS_QBO_INTU_BID
    lines = [
        "OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "SECURITY:NONE", "ENCODING:USASCII", "CHARSET:1252",
        "COMPRESSION:NONE", "OLDFILEUID:NONE", "NEWFILEUID:NONE", "",
        "<OFX>", "<SIGNONMSGSRSV1>", "<SONRS>", "<STATUS>", "<CODE>0", "<SEVERITY>INFO", "</STATUS>",
        f"<DTSERVER>{now}", "<LANGUAGE>ENG", "<FI>", "<ORG>Ledgerline", f"<FID>{bank_id}", "</FI>",
        f"<INTU.BID>{bank_id}", "</SONRS>", "</SIGNONMSGSRSV1>", "<BANKMSGSRSV1>",
    ]
    for index, (account_id, rows) in enumerate(by_account.items(), start=1):
        lines += _ofx_statement(index, account_id, rows, table.currency, now)
    lines += ["</BANKMSGSRSV1>", "</OFX>"]
    return (CRLF.join(lines) + CRLF).encode("cp1252", errors="replace")


def _ofx_statement(index: int, account_id, rows: list[dict[str, Any]], currency: str, now: str) -> list[str]:
    balance = sum((row["amount"] for row in rows), Decimal("0.00"))
    lines = [
        "<STMTTRNRS>", f"<TRNUID>{index}", "<STATUS>", "<CODE>0", "<SEVERITY>INFO", "</STATUS>", "<STMTRS>",
        f"<CURDEF>{currency}", "<BANKACCTFROM>", f"<BANKID>{settings.REPORTS_QBO_INTU_BID}",
        f"<ACCTID>{(account_id.hex if account_id else 'ledgerline')[:22]}", "<ACCTTYPE>CHECKING", "</BANKACCTFROM>",
        "<BANKTRANLIST>", f"<DTSTART>{rows[0]['date']:%Y%m%d}", f"<DTEND>{rows[-1]['date']:%Y%m%d}",
    ]
    for row in rows:
        lines += _ofx_transaction(row)
    lines += [
        "</BANKTRANLIST>", "<LEDGERBAL>", f"<BALAMT>{money_text(balance)}", f"<DTASOF>{now}", "</LEDGERBAL>",
        "</STMTRS>", "</STMTTRNRS>",
    ]
    return lines


def _ofx_transaction(row: dict[str, Any]) -> Iterable[str]:
    name = row["merchant__canonical_name"] or row["merchant_raw"] or "Transaction"
    lines = [
        "<STMTTRN>", f"<TRNTYPE>{'CREDIT' if row['amount'] > 0 else 'DEBIT'}", f"<DTPOSTED>{row['date']:%Y%m%d}",
        f"<TRNAMT>{money_text(row['amount'])}", f"<FITID>{row['id'].hex}", f"<NAME>{ofx_text(name, OFX_NAME_LENGTH)}",
    ]
    if row["note"]:
        lines.append(f"<MEMO>{ofx_text(row['note'], 255)}")
    lines.append("</STMTTRN>")
    return lines
