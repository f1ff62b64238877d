"""Cell values that spreadsheets will not evaluate, and money as text.

The same rule as the ledger's transaction export: a text cell starting with = + - @, a tab or
a carriage return gets a leading single quote, so Excel or LibreOffice shows it as text
instead of running it (CSV/formula injection). Plain signed numbers ("-12.50") stay numbers."""

import re
from decimal import Decimal
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def money_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def cell_text(value: Any) -> str:
    """A table value as CSV text: money with two decimals, labels neutralised."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return money_text(value)
    return neutralise(str(value))
