"""ledger.apis.reference: categories and financial accounts over the API."""

import pytest

from ledger.models import Account, Category, Transaction
from ledger.tests.factories import AccountFactory, CategoryFactory, TransactionFactory, system_category

pytestmark = pytest.mark.django_db


def test_categories_list_system_and_my_own_only(auth_client, user, other_user):
    CategoryFactory(user=user, slug="boardgames", name="Board games")
    CategoryFactory(user=other_user, slug="theirs")
    body = auth_client.get("/api/v1/categories/").json()
    slugs = {item["slug"] for item in body}
    assert {"groceries", "coffee", "boardgames"} <= slugs and "theirs" not in slugs
    coffee = next(item for item in body if item["slug"] == "coffee")
    assert (coffee["parent"], coffee["is_system"]) == ("dining", True)


def test_category_create_update_delete(auth_client, user):
    created = auth_client.post("/api/v1/categories/", {"name": "Board games", "parent": "entertainment"})
    assert created.status_code == 201
    assert (created.json()["slug"], created.json()["parent"], created.json()["is_system"]) == ("board_games", "entertainment", False)
    category_url = f"/api/v1/categories/{created.json()['id']}/"
    assert auth_client.patch(category_url, {"name": "Tabletop"}).json()["name"] == "Tabletop"
    row = TransactionFactory(user=user, category=Category.objects.get(pk=created.json()["id"]))
    assert auth_client.delete(category_url).status_code == 204
    row.refresh_from_db()
    assert row.category.slug == "uncategorized"


def test_category_slugs_are_unique_per_user_and_never_shadow_system_ones(auth_client, user, other_user):
    CategoryFactory(user=other_user, slug="boardgames")
    assert auth_client.post("/api/v1/categories/", {"name": "x", "slug": "boardgames"}).status_code == 201
    assert auth_client.post("/api/v1/categories/", {"name": "x", "slug": "boardgames"}).status_code == 409
    assert auth_client.post("/api/v1/categories/", {"name": "Groceries"}).json()["code"] == "category_exists"


def test_system_categories_cannot_be_renamed_or_deleted(auth_client):
    groceries = system_category("groceries")
    url = f"/api/v1/categories/{groceries.pk}/"
    assert auth_client.patch(url, {"name": "Food"}).status_code == 403
    assert auth_client.delete(url).status_code == 403
    groceries.refresh_from_db()
    assert groceries.name == "Groceries"


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_users_category_is_a_404(auth_client, other_user, method):
    theirs = CategoryFactory(user=other_user, name="Theirs")
    response = getattr(auth_client, method)(f"/api/v1/categories/{theirs.pk}/", {"name": "Mine"} if method == "patch" else None)
    assert response.status_code == 404
    assert Category.objects.get(pk=theirs.pk).name == "Theirs"


# --- accounts -------------------------------------------------------------------------------------
def test_account_crud(auth_client, user):
    created = auth_client.post("/api/v1/accounts/", {"name": "Everyday", "kind": "savings", "last4": "4321", "user": "x"})
    assert created.status_code == 201
    body = created.json()
    assert {key: body[key] for key in ("name", "kind", "currency", "institution", "last4")} == {
        "name": "Everyday", "kind": "savings", "currency": "USD", "institution": "", "last4": "4321",
    }
    url = f"/api/v1/accounts/{body['id']}/"
    assert auth_client.get("/api/v1/accounts/").json()[0]["id"] == body["id"]
    assert auth_client.patch(url, {"name": "Joint", "currency": "eur"}).json()["currency"] == "EUR"
    assert auth_client.patch(url, {"last4": "12"}).status_code == 400
    assert auth_client.post("/api/v1/accounts/", {"name": "x", "kind": "piggy"}).status_code == 400
    assert auth_client.delete(url).status_code == 204
    assert not Account.objects.exists()


def test_an_account_with_transactions_cannot_be_deleted(auth_client, user):
    row = TransactionFactory(user=user)
    response = auth_client.delete(f"/api/v1/accounts/{row.account_id}/")
    assert response.status_code == 409
    assert response.json()["code"] == "account_in_use"
    assert Transaction.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_users_account_is_a_404(auth_client, other_user, method):
    theirs = AccountFactory(user=other_user, name="Theirs")
    response = getattr(auth_client, method)(f"/api/v1/accounts/{theirs.pk}/", {"name": "Mine"} if method == "patch" else None)
    assert response.status_code == 404
    assert Account.objects.get(pk=theirs.pk).name == "Theirs"
