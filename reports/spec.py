"""A report spec: which transactions (the transaction list's filters), how to group them and
what to compute. Validated once here; services and selectors take the cleaned form."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.exceptions import ApplicationError
from ledger.selectors import transaction_filters
from reports.models import ReportFormat

GROUPINGS = ("day", "week", "month", "quarter", "year", "category", "merchant", "account")
TIME_GROUPINGS = frozenset({"day", "week", "month", "quarter", "year"})
METRICS = ("sum", "count", "average", "min", "max", "income", "expenses", "net")
DEFAULT_METRICS = ("income", "expenses", "net", "count")
FILTER_KEYS = frozenset({"since", "until", "account", "category", "merchant", "min_amount", "max_amount", "q", "source"})
MAX_GROUPINGS = 2


@dataclass(frozen=True)
class ReportSpec:
    filters: dict[str, str] = field(default_factory=dict)
    group_by: tuple[str, ...] = ()
    metrics: tuple[str, ...] = DEFAULT_METRICS
    format: str = ReportFormat.JSON
    name: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "filters": dict(self.filters), "group_by": list(self.group_by),
            "metrics": list(self.metrics), "format": self.format,
        }


def spec_clean(data: Mapping[str, Any]) -> ReportSpec:
    """Raw input (API body or a stored definition) -> a ReportSpec, or a 400 naming the field."""
    filters = _filters_clean(data.get("filters") or {})
    group_by = _choices_clean(data.get("group_by") or [], GROUPINGS, "group_by")
    if len(group_by) > MAX_GROUPINGS:
        raise ApplicationError("group_by: at most two groupings.", errors={"group_by": ["At most two groupings."]})
    if len(set(group_by)) != len(group_by):
        raise ApplicationError("group_by: a grouping is repeated.", errors={"group_by": ["A grouping is repeated."]})
    metrics = _choices_clean(data.get("metrics") or list(DEFAULT_METRICS), METRICS, "metrics")
    report_format = data.get("format") or ReportFormat.JSON
    if report_format not in ReportFormat.values:
        message = f"Unknown format; one of {', '.join(ReportFormat.values)}."
        raise ApplicationError(f"format: {message}", errors={"format": [message]})
    return ReportSpec(
        filters=filters, group_by=tuple(group_by), metrics=tuple(dict.fromkeys(metrics)),
        format=report_format, name=str(data.get("name") or "")[:120],
    )


def _filters_clean(filters: Any) -> dict[str, str]:
    if not isinstance(filters, Mapping):
        raise ApplicationError("filters: must be an object.", errors={"filters": ["Must be an object."]})
    unknown = sorted(set(filters) - FILTER_KEYS)
    if unknown:
        message = f"Unknown filter(s): {', '.join(unknown)}."
        raise ApplicationError(f"filters: {message}", errors={"filters": [message]})
    plain = {key: str(value) for key, value in filters.items() if value not in (None, "")}
    # The ledger's own validation: the same 400s as the transaction list's query parameters.
    transaction_filters(filters=plain)
    return plain


def _choices_clean(values: Any, choices: tuple[str, ...], name: str) -> list[str]:
    if isinstance(values, str):
        values = [part for part in values.split(",") if part]
    if not isinstance(values, list | tuple) or not all(isinstance(value, str) for value in values):
        raise ApplicationError(f"{name}: must be a list of names.", errors={name: ["Must be a list of names."]})
    unknown = [value for value in values if value not in choices]
    if unknown:
        message = f"Unknown {name} value(s): {', '.join(unknown)}; allowed: {', '.join(choices)}."
        raise ApplicationError(f"{name}: {message}", errors={name: [message]})
    return list(values)
