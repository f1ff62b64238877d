"""The budgets admin, through the real admin views: listing and filtering, adding and editing
through the services (the API's rules hold), deleting, and the alerts list (read-only)."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from budgets.models import AlertLevel, Budget, BudgetAlert
from budgets.tests.factories import BudgetFactory
from ledger.tests.factories import CategoryFactory, system_category

pytestmark = pytest.mark.django_db
BUDGETS = reverse("admin:budgets_budget_changelist")


@pytest.fixture
def staff(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def form(user, **fields):
    data = {
        "user": str(user.pk), "category": str(system_category("groceries").pk), "amount": "120.00", "period": "monthly",
        "start_date": "2026-11-01", "end_date": "2026-11-30", "auto_renew": "on",
        "closed_period-TOTAL_FORMS": "0", "closed_period-INITIAL_FORMS": "0",
        "alerts-TOTAL_FORMS": "0", "alerts-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


def test_budgets_are_listed_and_filtered_by_user(staff, user, other_user):
    mine = BudgetFactory(user=user)
    theirs = BudgetFactory(user=other_user, category=system_category("dining"))
    response = staff.get(BUDGETS, {"user__id__exact": str(other_user.pk)})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [theirs]
    assert set(staff.get(BUDGETS, {"q": "groceries"}).context["cl"].result_list) == {mine}


def test_adding_a_budget_keeps_the_apis_rules(staff, user, other_user):
    response = staff.post(reverse("admin:budgets_budget_add"), form(user))
    assert response.status_code == 302, response.content.decode()[:2000]
    budget = Budget.objects.get(user=user)
    assert (budget.amount, budget.end_date, budget.auto_renew) == (Decimal("120.00"), datetime.date(2026, 11, 30), True)
    theirs = CategoryFactory(user=other_user, slug="their_own")
    for bad in ({"amount": "0"}, {"end_date": "2026-10-01"}, {"category": str(theirs.pk)}, {"start_date": "2026-11-01"}):
        response = staff.post(reverse("admin:budgets_budget_add"), form(user, **bad))
        assert response.status_code == 200  # the form again, with its errors
        assert response.context["adminform"].form.errors
    assert Budget.objects.count() == 1


def test_editing_and_deleting_go_through_the_services(staff, user):
    budget = BudgetFactory(user=user)
    response = staff.post(reverse("admin:budgets_budget_change", args=[budget.pk]), form(user, amount="75.00", start_date="2026-10-01", end_date="2026-10-31"))
    assert response.status_code == 302
    budget.refresh_from_db()
    assert (budget.amount, budget.user_id, budget.category.slug) == (Decimal("75.00"), user.pk, "groceries")
    response = staff.post(reverse("admin:budgets_budget_delete", args=[budget.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Budget.objects.exists()


def test_the_alerts_sent_are_listed_read_only(staff, user):
    budget = BudgetFactory(user=user)
    alert = BudgetAlert.objects.create(
        budget=budget, level=AlertLevel.WARNING, amount=Decimal("100.00"), spent=Decimal("80.00"), percentage=Decimal("80.00")
    )
    response = staff.get(reverse("admin:budgets_budgetalert_changelist"))
    assert list(response.context["cl"].result_list) == [alert]
    assert staff.get(reverse("admin:budgets_budgetalert_add")).status_code == 403
    assert "warning" in staff.get(reverse("admin:budgets_budget_change", args=[budget.pk])).content.decode()
