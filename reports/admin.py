"""Read-mostly admin for operators: what was rendered, what is scheduled, what was sent."""

from django.contrib import admin

from reports.models import GeneratedReport, ReportDefinition, ReportSchedule, ScheduleDelivery


@admin.register(GeneratedReport)
class GeneratedReportAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "format", "status", "size", "created_at", "expires_at")
    list_filter = ("status", "format")
    search_fields = ("user__email", "name")
    raw_id_fields = ("user", "definition")
    readonly_fields = ("file", "size", "sha256", "spec", "error", "completed_at")


@admin.register(ReportDefinition)
class ReportDefinitionAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "format", "updated_at")
    search_fields = ("user__email", "name")
    raw_id_fields = ("user",)


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kind", "cadence", "format", "enabled", "next_run", "last_run")
    list_filter = ("kind", "enabled")
    search_fields = ("user__email",)
    raw_id_fields = ("user", "definition")


@admin.register(ScheduleDelivery)
class ScheduleDeliveryAdmin(admin.ModelAdmin):
    list_display = ("schedule", "period_key", "status", "attempts", "sent_at", "skip_reason")
    list_filter = ("status",)
    raw_id_fields = ("schedule", "report")
    readonly_fields = ("message_id", "claimed_at")
