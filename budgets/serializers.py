"""Input checks and the documented output shapes of the budgets API. Outputs are built by
the selectors as plain dicts; these serializers describe them for OpenAPI."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from budgets.models import BudgetPeriodKind
from budgets.periods import COMPARISON_PERIODS
from core.money import MONEY_MAX_DIGITS, to_money

MAX_AMOUNT = Decimal(10) ** (MONEY_MAX_DIGITS - 2) - Decimal("0.01")
MONEY_SCHEMA = {"type": "string", "pattern": r"^-?\d{1,12}(\.\d{1,2})?$", "example": "450.00"}


@extend_schema_field({**MONEY_SCHEMA, "pattern": r"^\d{1,12}(\.\d{1,2})?$"})
class PositiveMoneyField(serializers.Field):
    """A decimal string (or an integer) greater than zero with at most two places. Floats
    are refused: they have lost cents by the time JSON hands them over."""

    default_error_messages = {
        "invalid": 'A decimal amount as a string, such as "450.00", is required.',
        "places": "At most two decimal places.",
        "positive": "The amount must be greater than zero.",
        "range": "Amount is too large.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        try:
            exact = Decimal(str(data).strip())
            amount = to_money(data)
        except (ValueError, ArithmeticError):
            self.fail("invalid")
        if not exact.is_finite():
            self.fail("invalid")
        if exact != amount:
            self.fail("places")
        if amount <= 0:
            self.fail("positive")
        if amount > MAX_AMOUNT:
            self.fail("range")
        return amount

    def to_representation(self, value):
        return f"{value:.2f}"


@extend_schema_field(MONEY_SCHEMA)
class MoneyText(serializers.CharField):
    pass


class BudgetCreateInput(serializers.Serializer):
    category = serializers.SlugField(max_length=50, help_text="A category slug (system or your own).")
    amount = PositiveMoneyField()
    period = serializers.ChoiceField(choices=BudgetPeriodKind.choices, default=BudgetPeriodKind.MONTHLY)
    start_date = serializers.DateField()
    end_date = serializers.DateField(
        required=False, help_text="Inclusive. Defaults to the end of the calendar period; required for `custom`."
    )
    auto_renew = serializers.BooleanField(default=False)


class BudgetUpdateInput(serializers.Serializer):
    amount = PositiveMoneyField(required=False)
    period = serializers.ChoiceField(choices=BudgetPeriodKind.choices, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    auto_renew = serializers.BooleanField(required=False)


class BudgetListQuery(serializers.Serializer):
    active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: only budgets whose period contains today."
    )
    category = serializers.SlugField(required=False, help_text="Only the budgets of this category slug.")


class ComparisonQuery(serializers.Serializer):
    period = serializers.ChoiceField(choices=COMPARISON_PERIODS, default="month")


class BudgetOutput(serializers.Serializer):
    id = serializers.UUIDField()
    category = serializers.CharField(help_text="Category slug; spending includes its child categories.")
    amount = MoneyText()
    period = serializers.ChoiceField(choices=BudgetPeriodKind.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="Inclusive.")
    auto_renew = serializers.BooleanField()
    spent = MoneyText(help_text="-(sum of amounts) of live transactions in the period: refunds reduce it.")
    remaining = MoneyText(help_text="amount - spent (negative when over).")
    percentage = serializers.FloatField(help_text="spent / amount x 100, two decimals.")
    suggested_amount = MoneyText(allow_null=True, help_text="See suggestions/; null without recent spending.")
    state = serializers.ChoiceField(choices=["healthy", "at_risk", "over_budget"])
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class BudgetStatusOutput(serializers.Serializer):
    date = serializers.DateField(help_text="Today where you live: the budgets whose period contains it count.")
    total_budgeted = MoneyText()
    total_spent = MoneyText()
    total_remaining = MoneyText()
    percentage = serializers.FloatField()
    over_budget_count = serializers.IntegerField()
    at_risk_count = serializers.IntegerField()
    healthy_count = serializers.IntegerField()
    over_budget = BudgetOutput(many=True, help_text="At or above 100 %, highest first.")
    at_risk = BudgetOutput(many=True, help_text="80 % up to 100 %, highest first.")
    healthy = BudgetOutput(many=True, help_text="Below 80 %, highest first.")


class BudgetPeriodOutput(serializers.Serializer):
    id = serializers.UUIDField()
    budget = serializers.UUIDField()
    category = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    amount = MoneyText()
    spent = MoneyText()
    remaining = MoneyText()
    percentage = serializers.FloatField()
    closed_at = serializers.DateTimeField()


class BudgetSuggestionOutput(serializers.Serializer):
    category = serializers.CharField()
    average_monthly_spending = MoneyText(allow_null=True, help_text="Spending over the last 90 days / 3.")
    suggested_amount = MoneyText(allow_null=True, help_text="average x 1.1, rounded up, at least the floor.")
    current_budget = MoneyText(allow_null=True)
    budget_id = serializers.UUIDField(allow_null=True)
    flagged = serializers.BooleanField(help_text="The average is above the flag threshold (10,000 a month).")
    flag_reason = serializers.CharField(allow_null=True)


class ChangeOutput(serializers.Serializer):
    current = MoneyText()
    previous = MoneyText()
    change = MoneyText()
    change_percentage = serializers.FloatField(allow_null=True, help_text="null when the previous period had none.")


class CategoryChangeOutput(ChangeOutput):
    category = serializers.CharField()


class PeriodBoundsOutput(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    through = serializers.DateField(required=False, help_text="The current period counts up to today.")


class ComparisonOutput(serializers.Serializer):
    period = serializers.CharField(help_text="week, month, quarter or year.")
    current = PeriodBoundsOutput()
    previous = PeriodBoundsOutput()
    totals = ChangeOutput()
    categories = CategoryChangeOutput(many=True)
