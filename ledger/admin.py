from django.contrib import admin, messages

from ledger.models import Account, Category, CategoryRule, ImportBatch, Transaction, UserCorrection
from ledger.services import corrections_apply_to_matching


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ("date", "amount", "currency", "merchant_raw", "category", "source", "user", "is_deleted")
    list_filter = ("source", "is_deleted", "date", "category", ("user", admin.RelatedOnlyFieldListFilter))
    search_fields = ("merchant_raw", "note", "external_id")
    date_hierarchy = "date"
    list_select_related = ("category", "user")
    raw_id_fields = ("user", "account", "merchant", "import_batch")
    autocomplete_fields = ("category",)
    # Provenance is what the importer and the integrity chain wrote: never edited by hand.
    readonly_fields = (
        "id", "source", "import_batch", "external_id", "fingerprint", "blockchain_hash", "ipfs_cid",
        "confidence", "anomaly_score", "deleted_at", "created_at", "updated_at",
    )
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is not worth it


@admin.register(UserCorrection)
class UserCorrectionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "descriptor", "old_category", "new_category", "reason")
    list_filter = ("new_category", ("transaction__user", admin.RelatedOnlyFieldListFilter))
    search_fields = ("descriptor", "reason", "transaction__user__email")
    list_select_related = ("transaction__user", "old_category", "new_category")
    readonly_fields = ("id", "user", "transaction", "old_category", "new_category", "reason", "descriptor", "created_at")
    actions = ["apply_to_matching"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="user", ordering="transaction__user__email")
    def user(self, correction):
        return correction.transaction.user

    @admin.action(description="Apply to all of that user's transactions with the same descriptor")
    def apply_to_matching(self, request, queryset):
        corrections = queryset.select_related("transaction__user", "new_category")
        total = sum(corrections_apply_to_matching(correction=correction) for correction in corrections)
        self.message_user(request, f"{total} transaction(s) recategorised.", messages.SUCCESS)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "parent", "is_system", "user")
    list_filter = ("is_system",)
    search_fields = ("slug", "name")
    list_select_related = ("parent", "user")
    raw_id_fields = ("user",)

    def get_readonly_fields(self, request, obj=None):
        # The system taxonomy comes from fixtures/categories.json; edit the file, not the row.
        if obj is not None and obj.is_system:
            return ("slug", "name", "parent", "is_system", "user")
        return ("is_system",)

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_system


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "currency", "institution", "last4", "user")
    list_filter = ("kind", "currency")
    search_fields = ("name", "institution", "user__email")
    raw_id_fields = ("user",)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("created_at", "filename", "format", "status", "total_rows", "imported", "duplicates", "errors", "user")
    list_filter = ("status", "format")
    search_fields = ("filename", "file_hash", "user__email")
    readonly_fields = [field.name for field in ImportBatch._meta.fields]


@admin.register(CategoryRule)
class CategoryRuleAdmin(admin.ModelAdmin):
    list_display = ("key", "category", "user", "updated_at")
    search_fields = ("key", "user__email")
    raw_id_fields = ("user", "category")
