"""Curators' admin: find a merchant by name or alias, fix it (aliases inline), merge duplicates
with a confirmation step, and see the descriptors people meet that no merchant matches yet."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from core.categories import system_category_slugs
from core.exceptions import ApplicationError
from merchants.index import bump_index_version
from merchants.models import Merchant, MerchantAlias, MerchantMerge, UnmatchedDescriptor
from merchants.normalisation import normalise_descriptor
from merchants.selectors import unmatched_descriptor_list
from merchants.services import merchant_merge
from merchants.services.curation import MAX_ALIASES, clean_canonical_name, validate_country


class MerchantForm(forms.ModelForm):
    category = forms.ChoiceField(choices=[])

    class Meta:
        model = Merchant
        fields = ["canonical_name", "category", "country", "tags"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(slug, slug) for slug in sorted(system_category_slugs())]

    def clean_canonical_name(self):
        try:
            name = clean_canonical_name(self.cleaned_data["canonical_name"])
        except ApplicationError as error:
            raise forms.ValidationError(error.message)
        clash = Merchant.objects.filter(canonical_name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"{clash.first().canonical_name!r} already exists; merge instead.")
        return name

    def clean_country(self):
        try:
            return validate_country(self.cleaned_data.get("country", ""))
        except ApplicationError as error:
            raise forms.ValidationError(error.errors["country"][0])


class MerchantAliasForm(forms.ModelForm):
    class Meta:
        model = MerchantAlias
        fields = ["alias"]

    def clean_alias(self):
        alias = " ".join(self.cleaned_data["alias"].split())
        key = normalise_descriptor(alias)
        if len(key) < 2:
            raise forms.ValidationError("Nothing usable is left of this alias after normalisation.")
        owner = MerchantAlias.objects.filter(normalised=key).exclude(pk=self.instance.pk).select_related("merchant").first()
        if owner is not None:
            raise forms.ValidationError(f"Normalises to {key!r}, which is already an alias of {owner.merchant}.")
        self.instance.normalised = key
        return alias


class MerchantAliasFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """Two rows of one submission that normalise alike would both pass `clean_alias` (each
        checks the table only) and then break the unique index on save: refuse them here."""
        super().clean()
        seen: dict[str, str] = {}
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form) or "alias" not in form.cleaned_data:
                continue
            key = form.instance.normalised
            if key in seen:
                form.add_error("alias", f"Normalises to {key!r}, like {seen[key]!r} above.")
            else:
                seen[key] = form.cleaned_data["alias"]


class MerchantAliasInline(admin.TabularInline):
    model = MerchantAlias
    form = MerchantAliasForm
    formset = MerchantAliasFormSet
    fields = ["alias", "normalised"]
    readonly_fields = ["normalised"]
    extra = 1
    max_num = MAX_ALIASES


class MergeTargetForm(forms.Form):
    into = forms.ModelChoiceField(queryset=Merchant.objects.none(), widget=forms.RadioSelect, empty_label=None)


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    form = MerchantForm
    inlines = [MerchantAliasInline]
    list_display = ["canonical_name", "category", "country", "alias_count", "usage_count", "updated_at"]
    list_filter = ["category", "country"]
    search_fields = ["canonical_name", "aliases__alias", "aliases__normalised"]
    readonly_fields = ["id", "created_at", "updated_at"]
    actions = ["merge_selected"]
    list_per_page = 50

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(alias_count=Count("aliases", distinct=True))
        if _has_transactions():
            # Live transactions only: a soft-deleted one is not a use of the merchant.
            queryset = queryset.annotate(
                usage_count=Count("transactions", filter=Q(transactions__is_deleted=False), distinct=True)
            )
        return queryset

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        # "Add merchant" from the unmatched descriptors passes the descriptor as the first alias.
        # Only on GET: posted, the row must count as changed so that it is saved.
        adding = obj is None or obj._state.adding
        if request.method == "GET" and adding and isinstance(inline, MerchantAliasInline) and request.GET.get("alias"):
            kwargs["initial"] = [{"alias": request.GET["alias"]}]
        return kwargs

    def get_search_results(self, request, queryset, search_term):
        # Curators paste descriptors straight from statements: search their normalised form too.
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        key = normalise_descriptor(search_term)
        if key:
            results = results | queryset.filter(pk__in=MerchantAlias.objects.filter(normalised__startswith=key).values("merchant_id"))
            may_have_duplicates = True
        return results, may_have_duplicates

    @admin.display(description="aliases", ordering="alias_count")
    def alias_count(self, merchant):
        return merchant.alias_count

    @admin.display(description="transactions", ordering="usage_count")
    def usage_count(self, merchant):
        return getattr(merchant, "usage_count", 0)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_index_version()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        keys = [normalise_descriptor(form.instance.canonical_name), *form.instance.aliases.values_list("normalised", flat=True)]
        UnmatchedDescriptor.objects.filter(normalised__in=keys).delete()
        bump_index_version()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        bump_index_version()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        bump_index_version()

    @admin.action(description="Merge selected merchants into one of them")
    def merge_selected(self, request, queryset):
        merchants = list(queryset.order_by("canonical_name"))
        if len(merchants) < 2:
            self.message_user(request, "Select at least two merchants to merge.", messages.WARNING)
            return None
        form = MergeTargetForm(request.POST if "confirm" in request.POST else None)
        form.fields["into"].queryset = queryset
        if form.is_bound and form.is_valid():
            into = form.cleaned_data["into"]
            try:
                # All or none: a curator's one confirmation is one merge, however many sources.
                with transaction.atomic():
                    for merchant in merchants:
                        if merchant.pk != into.pk:
                            merchant_merge(source_id=merchant.pk, into_id=into.pk, merged_by=request.user)
            except ApplicationError as error:  # e.g. one was merged or deleted meanwhile
                self.message_user(request, f"Nothing merged: {error.message}", messages.ERROR)
                return None
            self.message_user(request, f"Merged {len(merchants) - 1} merchant(s) into {into}.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge merchants",
            "merchants": merchants,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/merchants/merge_confirmation.html", context)


@admin.register(UnmatchedDescriptor)
class UnmatchedDescriptorAdmin(admin.ModelAdmin):
    """Descriptors no merchant matched, across users (anonymised: counts only)."""

    list_display = ["normalised", "user_count", "occurrences", "last_seen", "add_merchant"]
    search_fields = ["normalised"]
    readonly_fields = ["normalised", "occurrences", "first_seen", "last_seen"]
    list_per_page = 100

    def get_queryset(self, request):
        return unmatched_descriptor_list()

    def get_ordering(self, request):
        # Seen by the most people first (the model's default is occurrences alone).
        return ["-user_count", "-occurrences", "normalised"]

    @admin.display(description="users", ordering="user_count")
    def user_count(self, descriptor):
        return descriptor.user_count

    @admin.display(description="")
    def add_merchant(self, descriptor):
        try:
            name = clean_canonical_name(descriptor.normalised)
        except ApplicationError:
            name = descriptor.normalised
        query = urlencode({"canonical_name": name, "alias": descriptor.normalised})
        url = reverse("admin:merchants_merchant_add") + "?" + query
        return format_html('<a href="{}">Add merchant</a>', url)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MerchantMerge)
class MerchantMergeAdmin(admin.ModelAdmin):
    list_display = ["source_name", "into_name", "merged_by", "aliases_moved", "created_at"]
    search_fields = ["source_name", "into_name"]
    readonly_fields = [field.name for field in MerchantMerge._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _has_transactions() -> bool:
    return any(relation.related_name == "transactions" for relation in Merchant._meta.related_objects)
