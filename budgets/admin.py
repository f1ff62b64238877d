"""Budgets in the admin: find a user's budgets, see their closed periods and the alerts they
sent. Adds, edits and deletions go through the same services as the API's, so the rules
(amount > 0, end after start, the owner's or a system category, one budget per category and
start date) hold and the user's cached figures are dropped."""

from django import forms
from django.contrib import admin, messages

from budgets import services
from budgets.models import Budget, BudgetAlert, BudgetPeriod
from core.exceptions import ApplicationError


class BudgetAdminForm(forms.ModelForm):
    class Meta:
        model = Budget
        fields = ("user", "category", "amount", "period", "start_date", "end_date", "auto_renew")

    def clean(self):
        cleaned = super().clean()
        owner = cleaned.get("user") or getattr(self.instance, "user", None)
        category = cleaned.get("category")
        if owner is not None and category is not None and category.user_id not in (None, owner.pk):
            self.add_error("category", "That category belongs to another user.")
        amount = cleaned.get("amount")
        if amount is not None and amount <= 0:
            self.add_error("amount", "The amount must be greater than zero.")
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", "The end date must be after the start date.")
        return cleaned


class BudgetPeriodInline(admin.StackedInline):
    model = BudgetPeriod
    fk_name = "budget"
    can_delete = False
    extra = 0
    fields = ("start_date", "end_date", "amount", "spent", "percentage", "closed_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class BudgetAlertInline(admin.TabularInline):
    model = BudgetAlert
    can_delete = False
    extra = 0
    fields = ("created_at", "level", "percentage", "spent", "amount")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    form = BudgetAdminForm
    list_display = ("category", "amount", "period", "start_date", "end_date", "auto_renew", "alert_level", "user")
    list_filter = ("period", "auto_renew", "alert_level", "start_date", ("user", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__email", "category__slug", "category__name")
    date_hierarchy = "start_date"
    list_select_related = ("category", "user")
    raw_id_fields = ("user",)
    autocomplete_fields = ("category",)
    readonly_fields = ("alert_level", "created_at", "updated_at")
    inlines = [BudgetPeriodInline, BudgetAlertInline]

    def get_readonly_fields(self, request, obj=None):
        # The owner and the category are chosen when the budget is added.
        return self.readonly_fields + (("user", "category") if obj is not None else ())

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in services.UPDATABLE if field in form.cleaned_data}
        try:
            if change:
                services.budget_update(user=obj.user, budget_id=obj.pk, data=data)
            else:
                budget, _ = services.budget_upsert(user=obj.user, category=obj.category.slug, **data)
                obj.pk = budget.pk
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)

    def delete_model(self, request, obj):
        services.budget_delete(user=obj.user, budget_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for budget in queryset.select_related("user"):
            services.budget_delete(user=budget.user, budget_id=budget.pk)


@admin.register(BudgetAlert)
class BudgetAlertAdmin(admin.ModelAdmin):
    """The alerts sent: read-only (the rate limit reads them)."""

    list_display = ("created_at", "level", "percentage", "spent", "amount", "budget")
    list_filter = ("level", "created_at")
    search_fields = ("budget__user__email", "budget__category__slug")
    list_select_related = ("budget", "budget__category")
    readonly_fields = ("budget", "level", "percentage", "spent", "amount", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
