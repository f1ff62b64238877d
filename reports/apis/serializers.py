"""Input shapes and output mapping for the reports API. Domain rules live in reports.spec
and reports.services; these only check shape."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from reports.models import (
    FILE_FORMAT_CHOICES,
    Cadence,
    GeneratedReport,
    ReportDefinition,
    ReportFormat,
    ReportSchedule,
    ScheduleKind,
)
from reports.selectors import ReportTable
from reports.spec import GROUPINGS, METRICS


class ReportFiltersInput(serializers.Serializer):
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)
    account = serializers.UUIDField(required=False)
    category = serializers.CharField(required=False, help_text="Category slug; comma-separated for several.")
    merchant = serializers.CharField(required=False, help_text="Merchant id, or text in the merchant name.")
    min_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    max_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    q = serializers.CharField(required=False)
    source = serializers.CharField(required=False)


class ReportInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    filters = ReportFiltersInput(required=False)
    group_by = serializers.ListField(child=serializers.ChoiceField(choices=GROUPINGS), required=False, max_length=2)
    metrics = serializers.ListField(child=serializers.ChoiceField(choices=METRICS), required=False)
    format = serializers.ChoiceField(choices=ReportFormat.choices, default=ReportFormat.JSON)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        validated = super().to_internal_value(data)
        # Filters go on to the ledger's own filter parser as text, the way query strings do.
        filters = {key: str(value) for key, value in (validated.get("filters") or {}).items()}
        return {**validated, "filters": filters}


class DefinitionInput(ReportInput):
    name = serializers.CharField(max_length=120)


class DefinitionUpdateInput(ReportInput):
    name = serializers.CharField(max_length=120, required=False)
    format = serializers.ChoiceField(choices=ReportFormat.choices, required=False)


class RerunInput(serializers.Serializer):
    filters = ReportFiltersInput(required=False)
    format = serializers.ChoiceField(choices=ReportFormat.choices, required=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        validated = super().to_internal_value(data)
        if "filters" in validated:
            validated["filters"] = {key: str(value) for key, value in validated["filters"].items()}
        return validated


def _json_value(value: Any) -> Any:
    return f"{value:.2f}" if isinstance(value, Decimal) else value


def table_json(table: ReportTable) -> dict[str, Any]:
    since, until = table.period
    return {
        "name": table.name,
        "currency": table.currency,
        "period": {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None},
        "filters": table.spec.filters,
        "group_by": list(table.spec.group_by),
        "metrics": list(table.spec.metrics),
        "columns": table.columns,
        "rows": [{key: _json_value(value) for key, value in row.items()} for row in table.rows],
        "totals": {key: _json_value(value) for key, value in table.totals.items()},
        "generated_at": table.generated_at,
    }


class ReportTableOutput(serializers.Serializer):
    """Documentation of `table_json`'s shape (money as signed strings, count as integers)."""

    name = serializers.CharField()
    currency = serializers.CharField()
    period = serializers.DictField(child=serializers.DateField(allow_null=True))
    filters = serializers.DictField(child=serializers.CharField())
    group_by = serializers.ListField(child=serializers.CharField())
    metrics = serializers.ListField(child=serializers.CharField())
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.DictField())
    totals = serializers.DictField()
    generated_at = serializers.DateTimeField()


class GeneratedReportOutput(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = GeneratedReport
        fields = [
            "id", "name", "status", "format", "size", "sha256", "error", "definition", "created_at", "completed_at",
            "expires_at", "download_url",
        ]

    def get_download_url(self, report: GeneratedReport) -> str | None:
        if report.status != GeneratedReport.Status.COMPLETED:
            return None
        return f"/api/v1/reports/{report.id}/download/"


class DefinitionOutput(serializers.ModelSerializer):
    class Meta:
        model = ReportDefinition
        fields = ["id", "name", "filters", "group_by", "metrics", "format", "created_at", "updated_at"]


class ScheduleInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ScheduleKind.choices)
    definition = serializers.UUIDField(required=False, allow_null=True)
    cadence = serializers.ChoiceField(choices=Cadence.choices, required=False, help_text="Custom schedules only.")
    format = serializers.ChoiceField(choices=FILE_FORMAT_CHOICES, default=ReportFormat.PDF)
    enabled = serializers.BooleanField(default=True)


class ScheduleUpdateInput(serializers.Serializer):
    definition = serializers.UUIDField(required=False)
    cadence = serializers.ChoiceField(choices=Cadence.choices, required=False)
    format = serializers.ChoiceField(choices=FILE_FORMAT_CHOICES, required=False)
    enabled = serializers.BooleanField(required=False)


class ScheduleOutput(serializers.ModelSerializer):
    class Meta:
        model = ReportSchedule
        fields = ["id", "kind", "definition", "cadence", "format", "enabled", "next_run", "last_run", "created_at"]


class UnsubscribeOutput(serializers.Serializer):
    id = serializers.UUIDField()
    enabled = serializers.BooleanField()
