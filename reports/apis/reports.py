"""Reports API (API.md, "Analytics and reports"). Thin views: parse, call one service or
selector, serialise."""

from django.core.files.storage import default_storage
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import ApplicationError, ConflictError
from core.openapi import error_responses
from core.pagination import LimitOffsetPagination
from reports import selectors, services
from reports.apis.serializers import (
    DefinitionInput,
    DefinitionOutput,
    DefinitionUpdateInput,
    GeneratedReportOutput,
    ReportInput,
    ReportTableOutput,
    RerunInput,
    ScheduleInput,
    ScheduleOutput,
    ScheduleUpdateInput,
    UnsubscribeOutput,
    table_json,
)
from reports.models import GeneratedReport
from reports.renderers import RENDERERS
from reports.selectors import ReportTable

TAGS = ["reports"]
REPORT_EXAMPLE = {
    "name": "Spending by month", "filters": {"since": "2024-01-01", "until": "2024-03-31"},
    "group_by": ["month", "category"], "metrics": ["expenses", "count"], "format": "json",
}
TABLE_EXAMPLE = {
    "name": "Spending by month", "currency": "USD", "period": {"since": "2024-01-01", "until": "2024-03-31"},
    "filters": {"since": "2024-01-01", "until": "2024-03-31"}, "group_by": ["month", "category"],
    "metrics": ["expenses", "count"], "columns": ["month", "category", "expenses", "count"],
    "rows": [{"month": "2024-01", "category": "groceries", "expenses": "312.40", "count": 9}],
    "totals": {"expenses": "312.40", "count": 9}, "generated_at": "2024-04-01T08:00:00Z",
}


def _run_response(result: ReportTable | GeneratedReport) -> Response:
    if isinstance(result, ReportTable):
        return Response(table_json(result))
    return Response(GeneratedReportOutput(result).data, status=status.HTTP_202_ACCEPTED)


class ReportListApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="reports_create", summary="Build a report",
        description=(
            "`format=json` answers 200 with the table. Any other format answers 202 with a pending report; "
            "a worker renders it, publishes `report_ready`, and `GET /api/v1/reports/{id}/` shows it completed "
            "with a `download_url`. Formats: csv, xlsx, pdf, iif (QuickBooks Desktop), qbo_csv (QuickBooks Online "
            "bank CSV), qbo (Web Connect), txf (TXF v042), tax_csv and tax_pdf (per tax-line summary)."
        ),
        request=ReportInput,
        responses={200: ReportTableOutput, 202: GeneratedReportOutput, **error_responses(400, 401)},
        examples=[
            OpenApiExample("grouped", value=REPORT_EXAMPLE, request_only=True),
            OpenApiExample("table", value=TABLE_EXAMPLE, response_only=True, status_codes=["200"]),
        ],
    )
    def post(self, request):
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _run_response(services.report_run(user=request.user, data=data.validated_data))

    @extend_schema(
        tags=TAGS, operation_id="reports_list", summary="Your generated report files, newest first",
        responses={200: GeneratedReportOutput(many=True), **error_responses(401)},
    )
    def get(self, request):
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.generated_report_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(GeneratedReportOutput(page, many=True).data)


class ReportDetailApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="reports_retrieve", summary="One generated report (poll until completed)",
        responses={200: GeneratedReportOutput, **error_responses(401, 404)},
    )
    def get(self, request, report_id):
        return Response(GeneratedReportOutput(selectors.generated_report_get(user=request.user, report_id=report_id)).data)


class ReportDownloadApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="reports_download", summary="Download a completed report file",
        description="The file with its content type and a `Content-Disposition: attachment` filename. "
                    "409 `not_ready` while rendering or after a failure; 410 `expired` after the retention period.",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            **error_responses(401, 404, 409, 410),
        },
    )
    def get(self, request, report_id):
        report = selectors.generated_report_get(user=request.user, report_id=report_id)
        if selectors.generated_report_is_expired(report):
            raise ApplicationError("This report has expired.", code="expired", status_code=410)
        if report.status != GeneratedReport.Status.COMPLETED:
            raise ConflictError(f"The report is {report.status}.", code="not_ready")
        response = FileResponse(
            default_storage.open(report.file, "rb"), as_attachment=True,
            filename=services.report_download_name(report), content_type=RENDERERS[report.format].content_type,
        )
        response["Content-Length"] = str(report.size)
        return response


class DefinitionListApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="report_definitions_list", summary="Your saved report definitions",
        responses={200: DefinitionOutput(many=True), **error_responses(401)},
    )
    def get(self, request):
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.report_definition_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(DefinitionOutput(page, many=True).data)

    @extend_schema(
        tags=TAGS, operation_id="report_definitions_create", summary="Save a report definition",
        request=DefinitionInput, responses={201: DefinitionOutput, **error_responses(400, 401)},
        examples=[OpenApiExample("definition", value=REPORT_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        data = DefinitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        definition = services.report_definition_create(user=request.user, data=data.validated_data)
        return Response(DefinitionOutput(definition).data, status=status.HTTP_201_CREATED)


class DefinitionDetailApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="report_definitions_retrieve", summary="One saved definition",
        responses={200: DefinitionOutput, **error_responses(401, 404)},
    )
    def get(self, request, definition_id):
        definition = selectors.report_definition_get(user=request.user, definition_id=definition_id)
        return Response(DefinitionOutput(definition).data)

    @extend_schema(
        tags=TAGS, operation_id="report_definitions_update", summary="Change a saved definition",
        request=DefinitionUpdateInput, responses={200: DefinitionOutput, **error_responses(400, 401, 404)},
    )
    def patch(self, request, definition_id):
        data = DefinitionUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        definition = services.report_definition_update(
            user=request.user, definition_id=definition_id, data=data.validated_data
        )
        return Response(DefinitionOutput(definition).data)

    @extend_schema(
        tags=TAGS, operation_id="report_definitions_destroy", summary="Delete a saved definition",
        responses={204: None, **error_responses(401, 404)},
    )
    def delete(self, request, definition_id):
        services.report_definition_delete(user=request.user, definition_id=definition_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DefinitionRunApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="report_definitions_run", summary="Run a saved definition again",
        description="Optionally with other filters or another format for this run; answers as `POST /reports/`.",
        request=RerunInput,
        responses={200: ReportTableOutput, 202: GeneratedReportOutput, **error_responses(400, 401, 404)},
    )
    def post(self, request, definition_id):
        data = RerunInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.report_definition_rerun(
            user=request.user, definition_id=definition_id, overrides=data.validated_data
        )
        return _run_response(result)


class ScheduleListApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="report_schedules_list", summary="Your emailed report schedules",
        responses={200: ScheduleOutput(many=True), **error_responses(401)},
    )
    def get(self, request):
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.report_schedule_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(ScheduleOutput(page, many=True).data)

    @extend_schema(
        tags=TAGS, operation_id="report_schedules_create", summary="Schedule an emailed report",
        description=(
            "`weekly_summary`: every Monday 08:00, `monthly_report`: the 1st at 00:00, both in your time zone "
            "(`preferences.timezone`, UTC by default); `custom` runs a saved definition weekly or monthly. "
            "Emails go only to a verified address."
        ),
        request=ScheduleInput, responses={201: ScheduleOutput, **error_responses(400, 401, 404)},
        examples=[OpenApiExample("weekly", value={"kind": "weekly_summary", "format": "pdf"}, request_only=True)],
    )
    def post(self, request):
        data = ScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = services.report_schedule_create(user=request.user, data=data.validated_data)
        return Response(ScheduleOutput(schedule).data, status=status.HTTP_201_CREATED)


class ScheduleDetailApi(APIView):
    @extend_schema(
        tags=TAGS, operation_id="report_schedules_retrieve", summary="One schedule",
        responses={200: ScheduleOutput, **error_responses(401, 404)},
    )
    def get(self, request, schedule_id):
        return Response(ScheduleOutput(selectors.report_schedule_get(user=request.user, schedule_id=schedule_id)).data)

    @extend_schema(
        tags=TAGS, operation_id="report_schedules_update", summary="Change, pause or resume a schedule",
        request=ScheduleUpdateInput, responses={200: ScheduleOutput, **error_responses(400, 401, 404)},
    )
    def patch(self, request, schedule_id):
        data = ScheduleUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        schedule = services.report_schedule_update(user=request.user, schedule_id=schedule_id, data=data.validated_data)
        return Response(ScheduleOutput(schedule).data)

    @extend_schema(
        tags=TAGS, operation_id="report_schedules_destroy", summary="Delete a schedule",
        responses={204: None, **error_responses(401, 404)},
    )
    def delete(self, request, schedule_id):
        services.report_schedule_delete(user=request.user, schedule_id=schedule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScheduleUnsubscribeApi(APIView):
    """The email's one-click link (GET from the link, POST from a mail client's RFC 8058
    List-Unsubscribe-Post): no login, the signed token names the schedule."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=TAGS, operation_id="report_schedules_unsubscribe", summary="One-click unsubscribe (from the email)",
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True, description="The signed token from the email.")],
        responses={200: UnsubscribeOutput, **error_responses(400)},
    )
    def get(self, request):
        schedule = services.report_schedule_unsubscribe(token=request.query_params.get("token", ""))
        return Response({"id": schedule.id, "enabled": schedule.enabled})

    @extend_schema(
        tags=TAGS, operation_id="report_schedules_unsubscribe_post", summary="One-click unsubscribe (RFC 8058 POST)",
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True)],
        request=None, responses={200: UnsubscribeOutput, **error_responses(400)},
    )
    def post(self, request):
        return self.get(request)
