from django import forms
from django.contrib import admin, messages

from core.exceptions import ApplicationError
from core.money import is_currency
from ledger import services
from ledger.models import Account, Category, CategoryRule, ImportBatch, Transaction, UserCorrection
from ledger.services import corrections_apply_to_matching


class TransactionAdminForm(forms.ModelForm):
    """What `transaction_update` would refuse, refused here as field errors: a row's category
    and account must be the system's or its owner's, and its currency an ISO 4217 code."""

    class Meta:
        model = Transaction
        fields = services.TRANSACTION_WRITABLE

    def clean_currency(self):
        currency = (self.cleaned_data.get("currency") or "").upper()
        if not is_currency(currency):
            raise forms.ValidationError(f"{currency!r} is not an ISO 4217 currency code.")
        return currency

    def clean(self):
        cleaned = super().clean()
        owner = self.instance.user_id
        category, account = cleaned.get("category"), cleaned.get("account")
        if category is not None and category.user_id not in (None, owner):
            self.add_error("category", "That category belongs to another user.")
        if account is not None and account.user_id != owner:
            self.add_error("account", "That account belongs to another user.")
        return cleaned


class CategoryAdminForm(forms.ModelForm):
    """A user's category, held to the rules the API keeps (`services.category_check`), and it
    has an owner: a category without one would show in every user's list."""

    class Meta:
        model = Category
        fields = ("slug", "name", "parent", "user")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and self.instance.is_system:
            return cleaned
        # The owner is chosen when the category is added, then read-only (and the database
        # holds that a category without an owner is a system one).
        owner = cleaned.get("user") if "user" in self.fields else self.instance.user
        if owner is None:
            self.add_error("user", "A category of one's own needs its owner.")
            return cleaned
        try:
            services.category_check(
                user=owner, slug=cleaned.get("slug"), parent=cleaned.get("parent"),
                category=self.instance if self.instance.pk is not None else None,
            )
        except ApplicationError as error:
            for field, messages_ in (error.errors or {None: [error.message]}).items():
                self.add_error(field if field in self.fields else None, messages_)
        return cleaned


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    """Edits go through the ledger's services, as the API's do: a category change is recorded
    as a correction, and `transactions_changed` reaches budgets, analytics and the cached list
    counts. Rows are entered by their owners and imports, and soft-deleted (an action), never
    added or removed here."""

    form = TransactionAdminForm
    list_display = ("date", "amount", "currency", "merchant_raw", "category", "source", "user", "is_deleted")
    list_filter = ("source", "is_deleted", "date", "category", ("user", admin.RelatedOnlyFieldListFilter))
    search_fields = ("merchant_raw", "note", "external_id")
    date_hierarchy = "date"
    list_select_related = ("category", "user")
    raw_id_fields = ("user", "account", "merchant", "import_batch")
    autocomplete_fields = ("category",)
    # Everything but the API's writable fields (ledger.transaction_fields) is provenance the
    # importer, the categoriser or the integrity chain wrote: never edited by hand.
    readonly_fields = tuple(
        field.name for field in Transaction._meta.concrete_fields if field.name not in services.TRANSACTION_WRITABLE
    )
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is not worth it
    actions = ["soft_delete", "restore"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in services.TRANSACTION_WRITABLE}
        if "category" in data:
            data["category"] = data["category"].slug
        if "account" in data:
            data["account"] = data["account"].pk if data["account"] else None
        if not data:
            return
        try:
            services.transaction_update(user=obj.user, transaction_id=obj.pk, data=data)
        except ApplicationError as error:  # the row was soft-deleted meanwhile, say
            self.message_user(request, f"Not changed: {error}", messages.ERROR)

    # Soft delete and restore stand in for Django's hard "delete selected".
    @admin.action(description="Soft-delete selected transactions (they can be restored)", permissions=["change"])
    def soft_delete(self, request, queryset):
        self._each(request, queryset.filter(is_deleted=False), services.transaction_delete, "soft-deleted")

    @admin.action(description="Restore selected soft-deleted transactions", permissions=["change"])
    def restore(self, request, queryset):
        self._each(request, queryset.filter(is_deleted=True), services.transaction_restore, "restored")

    def _each(self, request, queryset, service, done: str) -> None:
        changed, refused = 0, []
        for row in queryset.select_related("user"):
            try:
                service(user=row.user, transaction_id=row.pk)
                changed += 1
            except ApplicationError as error:
                refused.append(f"{row.merchant_raw} {row.date}: {error}")
        self.message_user(request, f"{changed} transaction(s) {done}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "Not changed: " + "; ".join(refused), messages.WARNING)


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
    """The system taxonomy is read-only here; a user's own category is edited under the rules
    the API keeps (CategoryAdminForm) and deleted through `category_delete`, which first moves
    its transactions to `uncategorized` (a plain delete was refused: transactions restrict
    their category's deletion)."""

    form = CategoryAdminForm
    list_display = ("slug", "name", "parent", "is_system", "user")
    list_filter = ("is_system",)
    search_fields = ("slug", "name")
    list_select_related = ("parent", "user")
    raw_id_fields = ("user",)

    def get_deleted_objects(self, objs, request):
        # Transactions and child categories restrict a category's deletion, so the confirmation
        # page would refuse (and ask for the right to hard-delete transactions, which nobody has
        # here); but category_delete moves the transactions to `uncategorized` and detaches the
        # children before the category goes. Those are its only RESTRICT relations (ledger.models).
        deleted, counts, perms_needed, _protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed - {Transaction._meta.verbose_name}, []

    def delete_model(self, request, obj):
        services.category_delete(user=obj.user, category_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for category in queryset.select_related("user"):
            services.category_delete(user=category.user, category_id=category.pk)

    def get_readonly_fields(self, request, obj=None):
        # The system taxonomy comes from fixtures/categories.json; edit the file, not the row.
        if obj is not None and obj.is_system:
            return ("slug", "name", "parent", "is_system", "user")
        # A user's category keeps its owner (its transactions are that user's).
        return ("is_system",) if obj is None else ("is_system", "user")

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
