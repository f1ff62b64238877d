"""The ledger's admin screens, driven through the real admin views with Django's test client:
transactions (search, filters, read-only provenance), the corrections audit list and its
apply-to-matching action, categories (the system taxonomy is read-only) and accounts."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from ledger import services
from ledger.models import Category, Transaction, UserCorrection
from ledger.signals import transactions_changed
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


def change_form(staff, row, **changes) -> dict:
    form = staff.get(reverse("admin:ledger_transaction_change", args=[row.pk])).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {name: ("" if value is None else str(getattr(value, "pk", value))) for name, value in data.items()}
    return {**data, **changes}


def test_an_admin_edit_is_a_correction_and_reaches_every_reader(staff, auth_client, user, django_capture_on_commit_callbacks):
    row = TransactionFactory(user=user, merchant_raw="QUORRA CAFE", amount="-4.10")
    assert auth_client.get("/api/v1/transactions/", {"category": "coffee"}).json()["count"] == 0  # cached
    received = []

    def receiver(sender, **payload):
        received.append(payload)

    transactions_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = staff.post(
                reverse("admin:ledger_transaction_change", args=[row.pk]),
                change_form(staff, row, category=str(system_category("coffee").pk), amount="-4.20"),
            )
    finally:
        transactions_changed.disconnect(receiver)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    row.refresh_from_db()
    assert (row.category.slug, str(row.amount)) == ("coffee", "-4.20")
    assert UserCorrection.objects.get(transaction=row, reason="edited").new_category.slug == "coffee"
    assert len(received) == 1 and str(system_category("coffee").pk) in received[0]["category_ids"]
    assert auth_client.get("/api/v1/transactions/", {"category": "coffee"}).json()["count"] == 1  # not the cached 0


def test_an_admin_cannot_give_a_row_another_users_category_or_account(staff, user, other_user):
    row = TransactionFactory(user=user)
    theirs, their_account = CategoryFactory(user=other_user, slug="their_hobby"), AccountFactory(user=other_user)
    response = staff.post(
        reverse("admin:ledger_transaction_change", args=[row.pk]),
        change_form(staff, row, category=str(theirs.pk), account=str(their_account.pk)),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "another user" in errors["category"][0] and "another user" in errors["account"][0]
    row.refresh_from_db()
    assert row.category_id != theirs.pk and row.account_id != their_account.pk


def test_admins_soft_delete_and_restore_but_never_add_or_hard_delete(staff, user):
    row = TransactionFactory(user=user)
    assert staff.get(reverse("admin:ledger_transaction_add")).status_code == 403
    assert staff.get(reverse("admin:ledger_transaction_delete", args=[row.pk])).status_code == 403
    form_fields = set(staff.get(reverse("admin:ledger_transaction_change", args=[row.pk])).context["adminform"].form.fields)
    assert not form_fields & {"is_deleted", "user", "merchant"}
    response = staff.post(TRANSACTIONS, {"action": "soft_delete", ACTION_CHECKBOX_NAME: [str(row.pk)]}, follow=True)
    assert "1 transaction(s) soft-deleted." in response.content.decode()
    row.refresh_from_db()
    assert row.is_deleted and row.deleted_at is not None
    response = staff.post(TRANSACTIONS, {"action": "restore", ACTION_CHECKBOX_NAME: [str(row.pk)]}, follow=True)
    assert "1 transaction(s) restored." in response.content.decode()
    row.refresh_from_db()
    assert not row.is_deleted and row.deleted_at is None
    choices = {name for name, _ in staff.get(TRANSACTIONS).context["action_form"].fields["action"].choices}
    assert {"soft_delete", "restore"} <= choices and "delete_selected" not in choices


def test_restoring_over_a_live_duplicate_is_refused_with_a_message(staff, user):
    deleted = TransactionFactory(user=user, fingerprint="a" * 64, is_deleted=True, deleted_at=datetime.datetime.now(datetime.UTC))
    TransactionFactory(user=user, fingerprint="a" * 64)
    response = staff.post(TRANSACTIONS, {"action": "restore", ACTION_CHECKBOX_NAME: [str(deleted.pk)]}, follow=True)
    page = response.content.decode()
    assert "0 transaction(s) restored." in page and "Not changed:" in page and "same fingerprint" in page
    deleted.refresh_from_db()
    assert deleted.is_deleted


def test_an_admin_edit_the_service_would_refuse_is_a_field_error_not_a_500(staff, user):
    row = TransactionFactory(user=user, currency="USD")
    url = reverse("admin:ledger_transaction_change", args=[row.pk])
    response = staff.post(url, change_form(staff, row, currency="ZZZ"))  # three capitals, not ISO 4217
    assert response.status_code == 200
    assert "ISO 4217" in response.context["adminform"].form.errors["currency"][0]
    row.refresh_from_db()
    assert row.currency == "USD"
    assert staff.post(url, change_form(staff, row, currency="eur")).status_code == 302
    row.refresh_from_db()
    assert row.currency == "EUR"


def category_form(staff, category=None, **data) -> dict:
    url = reverse("admin:ledger_category_change", args=[category.pk]) if category else reverse("admin:ledger_category_add")
    return staff.post(url, {"slug": "", "name": "", "parent": "", "user": "", **data})


def test_an_admin_adds_a_users_category_only_under_the_apis_rules(staff, user, other_user):
    theirs = CategoryFactory(user=other_user, slug="their_own", name="Their own")
    refused = {
        "no owner": {"slug": "side_hustle", "name": "Side hustle"},
        "a system slug": {"slug": "coffee", "name": "Coffee", "user": str(user.pk)},
        "another user's parent": {"slug": "side_hustle", "name": "Side hustle", "user": str(user.pk), "parent": str(theirs.pk)},
    }
    for case, data in refused.items():
        response = category_form(staff, **data)
        assert response.status_code == 200, case  # the form again, with its error
        assert response.context["adminform"].form.errors, case
    assert not Category.objects.filter(user=user).exists()
    created = category_form(staff, slug="side_hustle", name="Side hustle", user=str(user.pk), parent=str(system_category("income").pk))
    assert created.status_code == 302
    assert Category.objects.get(user=user, slug="side_hustle").parent.slug == "income"


def test_an_admin_keeps_a_users_category_with_its_owner_and_off_itself(staff, user, other_user):
    own = CategoryFactory(user=user, slug="side_hustle", name="Side hustle")
    assert "user" not in staff.get(reverse("admin:ledger_category_change", args=[own.pk])).context["adminform"].form.fields
    response = category_form(staff, own, slug="side_hustle", name="Side hustle", parent=str(own.pk))
    assert response.status_code == 200 and "parent" in response.context["adminform"].form.errors
    response = category_form(staff, own, slug="side_hustle", name="Gigs", user=str(other_user.pk))
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.name == "Gigs" and own.user == user


def test_deleting_a_users_category_in_the_admin_moves_its_transactions_to_uncategorized(staff, user):
    own = CategoryFactory(user=user, slug="side_hustle", name="Side hustle")
    child = CategoryFactory(user=user, slug="gigs", name="Gigs", parent=own)
    row = TransactionFactory(user=user, category=own)
    response = staff.post(reverse("admin:ledger_category_delete", args=[own.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Category.objects.filter(pk=own.pk).exists()
    row.refresh_from_db()
    child.refresh_from_db()
    assert row.category.slug == "uncategorized" and child.parent is None
    # The bulk action takes the same path.
    other = CategoryFactory(user=user, slug="fun_money", name="Fun money")
    TransactionFactory(user=user, category=other)
    response = staff.post(
        reverse("admin:ledger_category_changelist"), {"action": "delete_selected", ACTION_CHECKBOX_NAME: [str(other.pk)], "post": "yes"}
    )
    assert response.status_code == 302
    assert set(Transaction.objects.filter(user=user).values_list("category__slug", flat=True)) == {"uncategorized"}



def test_an_admin_deletes_a_user_with_their_whole_ledger(staff, user, other_user):
    own_category = CategoryFactory(user=user, slug="boardgames")
    row = TransactionFactory(user=user, account=AccountFactory(user=user), category=own_category)
    services.transaction_correct(user=user, transaction_id=row.pk, new_category="dining")
    theirs = TransactionFactory(user=other_user)
    url = reverse("admin:accounts_user_delete", args=[user.pk])
    confirmation = staff.get(url)
    assert confirmation.status_code == 200 and not confirmation.context["protected"]
    assert staff.post(url, {"post": "yes"}).status_code == 302
    assert not Transaction.objects.filter(user_id=user.pk).exists()
    assert not UserCorrection.objects.filter(transaction_id=row.pk).exists()
    assert not Category.objects.filter(pk=own_category.pk).exists()
    assert Transaction.objects.filter(pk=theirs.pk).exists()
