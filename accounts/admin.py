from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import DeviceSession, User


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_verified", "is_active", "is_staff", "created_at"]
    list_filter = ["is_active", "is_staff", "is_verified"]
    search_fields = ["email", "full_name", "phone"]
    readonly_fields = ["id", "created_at", "updated_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["id", "email", "password"]}),
        ("Profile", {"fields": ["full_name", "phone", "preferences", "wallet_addresses"]}),
        ("Status", {"fields": ["is_active", "is_verified", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "usable_password", "password1", "password2"]})]

    def get_deleted_objects(self, objs, request):
        # What a user owns goes with them (CASCADE). Screens that never hard-delete one of those
        # rows on its own (the ledger soft-deletes transactions) must not stop erasing the whole
        # user: the right to delete a user is the right to delete what they own.
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected


@admin.register(DeviceSession)
class DeviceSessionAdmin(admin.ModelAdmin):
    list_display = ["user", "user_agent", "ip_address", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__email", "user_agent", "ip_address"]
    readonly_fields = [field.name for field in DeviceSession._meta.fields]
    list_select_related = ["user"]
