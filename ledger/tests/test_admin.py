"""The ledger's admin screens, driven through the real admin views with Django's test client:
transactions (search, filters, read-only provenance), the corrections audit list and its
apply-to-matching action, categories (the system taxonomy is read-only) and accounts."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from ledger.models import Category, Transaction, UserCorrection
from ledger.tests.factories import AccountFactory, CategoryFactory, TransactionFactory, system_category

pytestmark = pytest.mark.django_db
TRANSACTIONS = reverse("admin:ledger_transaction_changelist")
CORRECTIONS = reverse("admin:ledger_usercorrection_changelist")


@pytest.fixture
def staff(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def correct(client, row, category: str) -> UserCorrection:
    response = client.post(
        "/api/v1/transactions/correct/", {"transaction_id": str(row.pk), "new_category": category}, format="json"
    )
    assert response.status_code == 200
    return UserCorrection.objects.get(transaction=row)


def test_transactions_are_searched_by_merchant_and_note_and_filtered(staff, user, other_user):
    coffee = TransactionFactory(user=user, merchant_raw="QUORRA CAFE 12", category=system_category("coffee"))
    noted = TransactionFactory(user=user, merchant_raw="ACME", note="team quorra lunch", source="ofx")
    theirs = TransactionFactory(user=other_user, merchant_raw="PLUMBIX", date=datetime.date(2023, 5, 1))
    assert set(listed(staff.get(TRANSACTIONS, {"q": "quorra"}))) == {coffee, noted}
    assert listed(staff.get(TRANSACTIONS, {"source__exact": "ofx"})) == [noted]
    assert listed(staff.get(TRANSACTIONS, {"category__id__exact": str(coffee.category_id)})) == [coffee]
    assert listed(staff.get(TRANSACTIONS, {"user__id__exact": str(other_user.pk)})) == [theirs]
    assert listed(staff.get(TRANSACTIONS, {"date__year": "2023"})) == [theirs]


def test_a_transactions_provenance_is_shown_but_never_editable(staff, user):
    row = TransactionFactory(user=user, fingerprint="f" * 64, external_id="FITID-1")
    page = staff.get(reverse("admin:ledger_transaction_change", args=[row.pk]))
    assert page.status_code == 200
    form_fields = set(page.context["adminform"].form.fields)
    assert {"merchant_raw", "note", "category", "amount"} <= form_fields
    assert not form_fields & {"fingerprint", "external_id", "source", "import_batch", "confidence", "created_at"}
    assert "FITID-1" in page.content.decode()


def test_the_corrections_audit_list_shows_whose_correction_and_filters_by_user(staff, auth_client, user, other_user):
    mine = correct(auth_client, TransactionFactory(user=user, merchant_raw="QUORRA CAFE"), "coffee")
    theirs = UserCorrection.objects.create(
        transaction=TransactionFactory(user=other_user), old_category=system_category("groceries"),
        new_category=system_category("dining"), descriptor="PLUMBIX",
    )
    page = staff.get(CORRECTIONS)
    assert set(listed(page)) == {mine, theirs}
    assert user.email in page.content.decode() and other_user.email in page.content.decode()
    assert listed(staff.get(CORRECTIONS, {"q": user.email})) == [mine]
    assert listed(staff.get(CORRECTIONS, {"q": "plumbix"})) == [theirs]
    assert listed(staff.get(CORRECTIONS, {"transaction__user__id__exact": str(other_user.pk)})) == [theirs]
    assert staff.get(reverse("admin:ledger_usercorrection_add")).status_code == 403


def test_applying_a_correction_recategorises_only_that_users_matching_rows(staff, auth_client, user, other_user):
    corrected = TransactionFactory(user=user, merchant_raw="QUORRA CAFE 12 SEATTLE WA")
    same_place = TransactionFactory(user=user, merchant_raw="QUORRA CAFE 99 SEATTLE WA")
    elsewhere = TransactionFactory(user=user, merchant_raw="PLUMBIX HARDWARE")
    not_theirs = TransactionFactory(user=other_user, merchant_raw="QUORRA CAFE 12 SEATTLE WA")
    correction = correct(auth_client, corrected, "coffee")
    response = staff.post(CORRECTIONS, {"action": "apply_to_matching", ACTION_CHECKBOX_NAME: [str(correction.pk)]}, follow=True)
    assert "1 transaction(s) recategorised." in response.content.decode()
    categories = dict(Transaction.objects.values_list("pk", "category__slug"))
    assert categories[same_place.pk] == "coffee"
    assert categories[elsewhere.pk] == categories[not_theirs.pk] == "groceries"
    assert UserCorrection.objects.filter(transaction=same_place, reason="admin: applied correction").exists()


def test_the_system_taxonomy_is_read_only_and_a_users_category_is_not(staff, user):
    system = system_category("coffee")
    page = staff.get(reverse("admin:ledger_category_change", args=[system.pk]))
    assert page.status_code == 200
    assert not {"slug", "name", "parent"} & set(page.context["adminform"].form.fields)
    assert staff.get(reverse("admin:ledger_category_delete", args=[system.pk])).status_code == 403
    own = CategoryFactory(user=user, slug="side_hustle", name="Side hustle")
    assert {"slug", "name", "parent"} <= set(staff.get(reverse("admin:ledger_category_change", args=[own.pk])).context["adminform"].form.fields)
    assert Category.objects.filter(pk=system.pk, slug="coffee").exists()


def test_accounts_are_listed_and_searched_by_institution_and_owner(staff, user, other_user):
    mine = AccountFactory(user=user, name="Everyday", institution="Quorra Bank")
    theirs = AccountFactory(user=other_user, name="Savings", institution="Plumbix Credit Union")
    changelist = reverse("admin:ledger_account_changelist")
    assert listed(staff.get(changelist, {"q": "quorra"})) == [mine]
    assert listed(staff.get(changelist, {"q": other_user.email})) == [theirs]
