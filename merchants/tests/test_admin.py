"""The curators' admin, driven through the real admin views with Django's test client."""

import copy
import html
import re
from collections import Counter
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledger.models import Transaction
from ledger.tests.factories import TransactionFactory
from merchants.models import Merchant, MerchantMerge, UnmatchedDescriptor
from merchants.services.matching import record_unmatched
from merchants.tests.factories import merchant_with_aliases

CHANGELIST = reverse("admin:merchants_merchant_changelist")
ADD = reverse("admin:merchants_merchant_add")
UNMATCHED = reverse("admin:merchants_unmatcheddescriptor_changelist")


def change_url(merchant) -> str:
    return reverse("admin:merchants_merchant_change", args=[merchant.pk])


@pytest.fixture
def curator(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def shelf(db):
    """Made-up merchants, so the seeded ones cannot interfere with searches."""
    return {
        "plumbix": merchant_with_aliases("Plumbix Hardware", "PLMBX HDW", category="home", country="GB"),
        "quorra": merchant_with_aliases("Quorra Coffee", "QRRA CAFE", "SQ *QUORRA", category="dining", country="US"),
        "zentil": merchant_with_aliases("Zentil Grocer", category="groceries", country="US"),
    }


def listed_names(response) -> list[str]:
    return [merchant.canonical_name for merchant in response.context["cl"].result_list]


def inline_post(merchant, aliases: list[str], **fields) -> dict:
    """The change form as a browser posts it: the merchant's fields, its aliases as they are
    (ids kept), then `aliases` as new rows."""
    adding = merchant._state.adding
    existing = [] if adding else list(merchant.aliases.order_by("alias"))
    data = {
        "canonical_name": merchant.canonical_name,
        "category": merchant.category,
        "country": merchant.country,
        "tags": "[]",
        "aliases-TOTAL_FORMS": str(len(existing) + len(aliases)),
        "aliases-INITIAL_FORMS": str(len(existing)),
        "aliases-MIN_NUM_FORMS": "0",
        "aliases-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for number, alias in enumerate(existing):
        data[f"aliases-{number}-id"] = str(alias.pk)
        data[f"aliases-{number}-merchant"] = str(merchant.pk)
        data[f"aliases-{number}-alias"] = alias.alias
    for number, alias in enumerate(aliases, start=len(existing)):
        data[f"aliases-{number}-id"] = ""
        data[f"aliases-{number}-merchant"] = "" if adding else str(merchant.pk)
        data[f"aliases-{number}-alias"] = alias
    return data


# Changelist: search and filters


def test_the_changelist_needs_a_staff_login(client, shelf):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_changelist_finds_a_merchant_by_name(curator, shelf):
    response = curator.get(CHANGELIST, {"q": "plumbix"})
    assert response.status_code == 200
    assert listed_names(response) == ["Plumbix Hardware"]


def test_the_changelist_finds_a_merchant_by_alias(curator, shelf):
    response = curator.get(CHANGELIST, {"q": "QRRA"})
    assert response.status_code == 200
    assert listed_names(response) == ["Quorra Coffee"]


def test_the_changelist_finds_a_merchant_by_a_pasted_descriptor(curator, shelf):
    # Straight off a statement: processor prefix, store number, city. Its normalised form is an alias.
    response = curator.get(CHANGELIST, {"q": "POS PLMBX HDW #0042 LONDON"})
    assert response.status_code == 200
    assert listed_names(response) == ["Plumbix Hardware"]


def test_a_merchant_matching_by_name_and_several_aliases_is_listed_once(curator, shelf):
    response = curator.get(CHANGELIST, {"q": "quorra"})
    assert listed_names(response) == ["Quorra Coffee"]
    assert response.context["cl"].result_count == 1


def test_the_changelist_filters_by_category_and_country(curator, shelf):
    response = curator.get(CHANGELIST, {"category": "dining", "q": "o"})
    assert response.status_code == 200
    names = listed_names(response)
    assert "Quorra Coffee" in names
    assert "Plumbix Hardware" not in names and "Zentil Grocer" not in names
    assert {merchant.category for merchant in response.context["cl"].result_list} == {"dining"}

    response = curator.get(CHANGELIST, {"country__exact": "GB", "q": "ix"})
    assert response.status_code == 200
    assert "Plumbix Hardware" in listed_names(response)
    assert {merchant.country for merchant in response.context["cl"].result_list} == {"GB"}

    response = curator.get(CHANGELIST, {"category": "dining", "country__exact": "GB", "q": "quorra"})
    assert listed_names(response) == []


def test_the_changelist_shows_alias_and_usage_counts(curator, shelf):
    quorra = shelf["quorra"]
    TransactionFactory.create_batch(3, merchant=quorra)
    TransactionFactory(merchant=quorra, is_deleted=True, deleted_at=timezone.now())
    TransactionFactory(merchant=shelf["zentil"])
    response = curator.get(CHANGELIST, {"q": "quorra"})
    row = response.context["cl"].result_list[0]
    assert (row.alias_count, row.usage_count) == (2, 3)
    content = response.content.decode()
    assert '<td class="field-alias_count">2</td>' in content
    assert '<td class="field-usage_count">3</td>' in content


def test_the_changelist_sorts_by_usage(curator, shelf):
    TransactionFactory.create_batch(2, merchant=shelf["zentil"])
    TransactionFactory(merchant=shelf["plumbix"])
    # Column 5 (after the action checkbox): transactions, descending.
    response = curator.get(CHANGELIST, {"q": "r", "o": "-5"})
    assert response.status_code == 200
    assert listed_names(response)[:2] == ["Zentil Grocer", "Plumbix Hardware"]


# Change page: inline aliases


def test_the_change_page_saves_a_new_inline_alias(curator, shelf):
    plumbix = shelf["plumbix"]
    response = curator.post(change_url(plumbix), inline_post(plumbix, ["PLUMBIX HARDWARE LTD"]))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert sorted(plumbix.aliases.values_list("alias", "normalised")) == [
        ("PLMBX HDW", "PLMBX HDW"),
        ("PLUMBIX HARDWARE LTD", "PLUMBIX HARDWARE LTD"),
    ]


def test_a_saved_alias_is_found_by_the_search_api_at_once(curator, auth_client, shelf):
    plumbix = shelf["plumbix"]
    curator.post(change_url(plumbix), inline_post(plumbix, ["PLUMBIX DIRECT"]))
    body = auth_client.get("/api/v1/merchants/search/", {"q": "PLUMBIX DIRECT"}).json()
    assert body[0]["canonical_name"] == "Plumbix Hardware" and body[0]["score"] == 0.9


def test_an_alias_of_another_merchant_is_a_form_error(curator, shelf):
    plumbix = shelf["plumbix"]
    response = curator.post(change_url(plumbix), inline_post(plumbix, ["qrra cafe"]))
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert any("Quorra Coffee" in message for form_errors in errors for message in form_errors.get("alias", []))
    assert list(plumbix.aliases.values_list("alias", flat=True)) == ["PLMBX HDW"]


def test_two_new_rows_normalising_alike_are_a_form_error_not_a_500(curator, shelf):
    plumbix = shelf["plumbix"]
    response = curator.post(change_url(plumbix), inline_post(plumbix, ["PLUMBIX ONLINE", "POS plumbix   online #12"]))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    messages = [message for form_errors in formset.errors for message in form_errors.get("alias", [])]
    messages += formset.non_form_errors()
    assert any("PLUMBIX ONLINE" in message for message in messages)
    assert list(plumbix.aliases.values_list("alias", flat=True)) == ["PLMBX HDW"]


def test_a_new_row_repeating_an_existing_alias_of_the_same_merchant_is_a_form_error(curator, shelf):
    plumbix = shelf["plumbix"]
    response = curator.post(change_url(plumbix), inline_post(plumbix, ["plmbx hdw"]))
    assert response.status_code == 200
    assert list(plumbix.aliases.values_list("alias", flat=True)) == ["PLMBX HDW"]


def test_an_alias_that_normalises_to_nothing_is_a_form_error(curator, shelf):
    plumbix = shelf["plumbix"]
    response = curator.post(change_url(plumbix), inline_post(plumbix, ["POS 1234"]))
    assert response.status_code == 200
    assert list(plumbix.aliases.values_list("alias", flat=True)) == ["PLMBX HDW"]


def test_renaming_to_another_merchants_name_is_a_form_error(curator, shelf):
    plumbix = shelf["plumbix"]
    response = curator.post(change_url(plumbix), inline_post(plumbix, [], canonical_name="quorra coffee"))
    assert response.status_code == 200
    assert "merge instead" in str(response.context["adminform"].form.errors["canonical_name"])
    plumbix.refresh_from_db()
    assert plumbix.canonical_name == "Plumbix Hardware"


def test_the_change_page_cleans_the_name_and_rejects_an_unknown_category(curator, shelf):
    plumbix = shelf["plumbix"]
    response = curator.post(change_url(plumbix), inline_post(plumbix, [], canonical_name="  plumbix   hardware depot "))
    assert response.status_code == 302
    plumbix.refresh_from_db()
    assert plumbix.canonical_name == "Plumbix Hardware Depot"
    response = curator.post(change_url(plumbix), inline_post(plumbix, [], category="not_a_slug"))
    assert response.status_code == 200
    assert "category" in response.context["adminform"].form.errors


# Merge action


def merge_action(curator, merchants, *, follow=False, **extra):
    data = {"action": "merge_selected", ACTION_CHECKBOX_NAME: [str(merchant.pk) for merchant in merchants], **extra}
    return curator.post(CHANGELIST, data, follow=follow)


def test_the_merge_action_asks_for_confirmation_first(curator, shelf):
    response = merge_action(curator, [shelf["quorra"], shelf["zentil"]])
    assert response.status_code == 200
    assert "admin/merchants/merge_confirmation.html" in [template.name for template in response.templates]
    content = response.content.decode()
    assert "Quorra Coffee" in content and "Zentil Grocer" in content
    assert 'name="confirm"' in content
    assert Merchant.objects.filter(pk__in=[shelf["quorra"].pk, shelf["zentil"].pk]).count() == 2
    assert not MerchantMerge.objects.exists()


def test_confirming_a_merge_moves_aliases_repoints_transactions_and_audits(curator, admin_user, shelf):
    quorra, zentil = shelf["quorra"], shelf["zentil"]
    moved = TransactionFactory.create_batch(2, merchant=zentil)
    kept = TransactionFactory(merchant=quorra)
    other = TransactionFactory(merchant=shelf["plumbix"])
    merchant_with_aliases("Zentil Extra", "ZNTL XTRA")  # not selected

    response = merge_action(curator, [quorra, zentil], confirm="Yes, merge", into=str(quorra.pk))
    assert response.status_code == 302
    assert not Merchant.objects.filter(pk=zentil.pk).exists()
    assert sorted(quorra.aliases.values_list("alias", flat=True)) == ["QRRA CAFE", "SQ *QUORRA", "Zentil Grocer"]
    assert set(Transaction.objects.filter(merchant=quorra).values_list("pk", flat=True)) == {kept.pk, *(t.pk for t in moved)}
    assert Transaction.objects.get(pk=other.pk).merchant_id == shelf["plumbix"].pk
    merge = MerchantMerge.objects.get()
    assert (merge.source_merchant_id, merge.source_name, merge.into_id, merge.merged_by_id) == (
        zentil.pk, "Zentil Grocer", quorra.pk, admin_user.pk,
    )
    assert merge.repointed["ledger.Transaction.merchant"] == 2
    assert Merchant.objects.filter(canonical_name="Zentil Extra").exists()
    messages = [str(message) for message in curator.get(CHANGELIST).context["messages"]]
    assert any("Merged 1 merchant(s) into Quorra Coffee" in message for message in messages)


def test_merging_three_keeps_the_chosen_one(curator, shelf):
    plumbix = shelf["plumbix"]
    response = merge_action(curator, list(shelf.values()), confirm="Yes, merge", into=str(plumbix.pk))
    assert response.status_code == 302
    assert list(Merchant.objects.filter(pk__in=[m.pk for m in shelf.values()])) == [plumbix]
    assert MerchantMerge.objects.count() == 2
    assert set(plumbix.aliases.values_list("alias", flat=True)) >= {"PLMBX HDW", "QRRA CAFE", "SQ *QUORRA", "Quorra Coffee", "Zentil Grocer"}


def test_a_confirmation_without_a_choice_shows_the_page_again(curator, shelf):
    response = merge_action(curator, [shelf["quorra"], shelf["zentil"]], confirm="Yes, merge")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not MerchantMerge.objects.exists()


def test_a_target_outside_the_selection_is_refused(curator, shelf):
    response = merge_action(curator, [shelf["quorra"], shelf["zentil"]], confirm="Yes, merge", into=str(shelf["plumbix"].pk))
    assert response.status_code == 200
    assert not MerchantMerge.objects.exists()
    assert Merchant.objects.filter(pk__in=[m.pk for m in shelf.values()]).count() == 3


def test_merging_a_single_merchant_only_warns(curator, shelf):
    response = merge_action(curator, [shelf["quorra"]], follow=True)
    assert response.status_code == 200
    assert "Select at least two merchants" in response.content.decode()
    assert not MerchantMerge.objects.exists()


def test_the_merge_audit_is_listed_and_read_only(curator, shelf):
    merge_action(curator, [shelf["quorra"], shelf["zentil"]], confirm="Yes, merge", into=str(shelf["quorra"].pk))
    merge = MerchantMerge.objects.get()
    response = curator.get(reverse("admin:merchants_merchantmerge_changelist"))
    assert response.status_code == 200
    assert "Zentil Grocer" in response.content.decode()
    response = curator.get(reverse("admin:merchants_merchantmerge_change", args=[merge.pk]))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


# Unmatched descriptors


@pytest.fixture
def unmatched(user, other_user, admin_user):
    record_unmatched(Counter({"GLOBEX DINER": 3, "NOVA LAUNDRY": 1}), user_id=user.pk)
    record_unmatched(Counter({"GLOBEX DINER": 2}), user_id=other_user.pk)
    record_unmatched(Counter({"NOVA LAUNDRY": 9}), user_id=user.pk)


def test_the_unmatched_view_lists_descriptors_by_users_then_occurrences(curator, unmatched):
    response = curator.get(UNMATCHED)
    assert response.status_code == 200
    rows = [(row.normalised, row.user_count, row.occurrences) for row in response.context["cl"].result_list]
    assert rows == [("GLOBEX DINER", 2, 5)]


def test_a_descriptor_only_one_user_has_is_never_shown(curator, unmatched, settings):
    single = UnmatchedDescriptor.objects.get(normalised="NOVA LAUNDRY")
    assert "NOVA LAUNDRY" not in curator.get(UNMATCHED).content.decode()
    assert curator.get(reverse("admin:merchants_unmatcheddescriptor_change", args=[single.pk])).status_code == 302
    settings.UNMATCHED_MIN_USERS = 1
    rows = [(row.normalised, row.user_count, row.occurrences) for row in curator.get(UNMATCHED).context["cl"].result_list]
    assert rows == [("GLOBEX DINER", 2, 5), ("NOVA LAUNDRY", 1, 10)]


def test_the_unmatched_view_shows_no_user_ids(curator, unmatched, user, other_user):
    content = curator.get(UNMATCHED).content.decode()
    descriptor = UnmatchedDescriptor.objects.get(normalised="GLOBEX DINER")
    detail = curator.get(reverse("admin:merchants_unmatcheddescriptor_change", args=[descriptor.pk])).content.decode()
    for page in (content, detail):
        for person in (user, other_user):
            assert str(person.pk) not in page
            assert person.email not in page
        for sighting in descriptor.sightings.all():
            assert sighting.user_hash not in page and sighting.user_hash[:8] not in page


def test_the_unmatched_view_links_to_add_merchant_prefilled(curator, unmatched):
    content = curator.get(UNMATCHED).content.decode()
    links = [html.unescape(link) for link in re.findall(r'href="([^"]*/merchants/merchant/add/[^"]*)"', content)]
    globex = next(link for link in links if "Globex" in link or "GLOBEX" in link)
    query = parse_qs(urlparse(globex).query)
    assert query["canonical_name"] == ["Globex Diner"]
    assert query["alias"] == ["GLOBEX DINER"]

    page = curator.get(globex)
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["canonical_name"] == "Globex Diner"
    inline_forms = page.context["inline_admin_formsets"][0].formset.forms
    assert inline_forms[0].initial.get("alias") == "GLOBEX DINER"


def test_adding_a_merchant_from_the_unmatched_view_clears_the_descriptor(curator, unmatched):
    data = inline_post(Merchant(canonical_name="Globex Diner", category="dining", country="US"), ["GLOBEX DINER"])
    response = curator.post(ADD, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    merchant = Merchant.objects.get(canonical_name="Globex Diner")
    assert list(merchant.aliases.values_list("normalised", flat=True)) == ["GLOBEX DINER"]
    assert list(UnmatchedDescriptor.objects.values_list("normalised", flat=True)) == ["NOVA LAUNDRY"]


def test_the_unmatched_view_cannot_add_or_change(curator, unmatched):
    descriptor = UnmatchedDescriptor.objects.get(normalised="GLOBEX DINER")
    assert curator.get(reverse("admin:merchants_unmatcheddescriptor_add")).status_code == 403
    response = curator.post(reverse("admin:merchants_unmatcheddescriptor_change", args=[descriptor.pk]), {"normalised": "X"})
    assert response.status_code == 403
    assert UnmatchedDescriptor.objects.get(pk=descriptor.pk).normalised == "GLOBEX DINER"


# Every page renders


def test_every_merchants_admin_page_renders_without_template_errors(curator, shelf, unmatched, settings):
    # A copy, assigned: setting_changed then rebuilds the template engines (and the fixture
    # restores the original afterwards).
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0].setdefault("OPTIONS", {})["string_if_invalid"] = "INVALID_TEMPLATE_VARIABLE[%s]"
    settings.TEMPLATES = templates
    merge_action(curator, [shelf["quorra"], shelf["zentil"]], confirm="Yes, merge", into=str(shelf["quorra"].pk))
    merge = MerchantMerge.objects.get()
    descriptor = UnmatchedDescriptor.objects.get(normalised="GLOBEX DINER")
    pages = [
        reverse("admin:index"),
        reverse("admin:app_list", args=["merchants"]),
        CHANGELIST,
        CHANGELIST + "?q=plumbix&category=home&country__exact=GB",
        ADD,
        change_url(shelf["plumbix"]),
        reverse("admin:merchants_merchant_history", args=[shelf["plumbix"].pk]),
        reverse("admin:merchants_merchant_delete", args=[shelf["plumbix"].pk]),
        UNMATCHED,
        reverse("admin:merchants_unmatcheddescriptor_change", args=[descriptor.pk]),
        reverse("admin:merchants_merchantmerge_changelist"),
        reverse("admin:merchants_merchantmerge_change", args=[merge.pk]),
    ]
    for page in pages:
        response = curator.get(page)
        assert response.status_code == 200, page
        assert "INVALID_TEMPLATE_VARIABLE" not in response.content.decode(), page
    confirmation = merge_action(curator, [shelf["plumbix"], shelf["quorra"]])
    assert confirmation.status_code == 200
    assert "INVALID_TEMPLATE_VARIABLE" not in confirmation.content.decode()
