from django.contrib import admin, messages

from core.models import DeadLetter
from core.services import dead_letter_retry


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ["task_name", "exception_type", "failed_at", "retries", "retried_at"]
    list_filter = ["task_name", "exception_type", ("retried_at", admin.EmptyFieldListFilter)]
    search_fields = ["task_name", "task_id", "exception_message"]
    readonly_fields = [field.name for field in DeadLetter._meta.fields]
    actions = ["retry_selected"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Re-run the selected tasks with their original arguments")
    def retry_selected(self, request, queryset):
        sent = sum(1 for dead_letter in queryset if dead_letter_retry(dead_letter=dead_letter))
        skipped = queryset.count() - sent
        self.message_user(request, f"Re-sent {sent} task(s); {skipped} had already been re-run.", messages.SUCCESS)
