from django.urls import path

from reports.apis import reports

urlpatterns = [
    path("reports/", reports.ReportListApi.as_view(), name="report-list"),
    path("reports/definitions/", reports.DefinitionListApi.as_view(), name="report-definition-list"),
    path("reports/definitions/<uuid:definition_id>/", reports.DefinitionDetailApi.as_view(), name="report-definition-detail"),
    path("reports/definitions/<uuid:definition_id>/run/", reports.DefinitionRunApi.as_view(), name="report-definition-run"),
    path("reports/schedules/", reports.ScheduleListApi.as_view(), name="report-schedule-list"),
    path("reports/schedules/unsubscribe/", reports.ScheduleUnsubscribeApi.as_view(), name="report-schedule-unsubscribe"),
    path("reports/schedules/<uuid:schedule_id>/", reports.ScheduleDetailApi.as_view(), name="report-schedule-detail"),
    path("reports/<uuid:report_id>/", reports.ReportDetailApi.as_view(), name="report-detail"),
    path("reports/<uuid:report_id>/download/", reports.ReportDownloadApi.as_view(), name="report-download"),
]
