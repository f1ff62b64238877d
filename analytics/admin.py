from django.contrib import admin

from analytics.models import AnomalyFinding, ExpectedPattern, Recurrence


@admin.register(Recurrence)
class RecurrenceAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "amount_mean", "period", "next_expected_date", "confidence", "status", "review")
    list_filter = ("period", "status", "review")
    search_fields = ("name", "user__email")
    raw_id_fields = ("user", "merchant")


@admin.register(AnomalyFinding)
class AnomalyFindingAdmin(admin.ModelAdmin):
    list_display = ("transaction", "user", "score", "status", "alerted_at", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("user", "transaction")


@admin.register(ExpectedPattern)
class ExpectedPatternAdmin(admin.ModelAdmin):
    list_display = ("pattern", "user", "created_at")
    raw_id_fields = ("user",)
