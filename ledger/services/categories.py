"""A user's own categories. The system taxonomy (fixtures/categories.json) is never changed here."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from core.categories import UNCATEGORIZED
from core.exceptions import ApplicationError, ConflictError
from ledger import selectors
from ledger.models import Category, Transaction
from ledger.services.common import invalid, resolve_category
from ledger.signals import send_transactions_changed_on_commit


@transaction.atomic
def category_create(*, user, name: str, slug: str = "", parent: str | None = None) -> Category:
    """A user's own category. Slugs are unique per user and never shadow a system slug."""
    slug = slugify(slug or name).replace("-", "_")[:50]
    if not slug:
        raise invalid("slug", "A slug (or a name to derive it from) is required.")
    parent_row = resolve_category(user=user, slug=parent, field="parent") if parent else None
    category_check(user=user, slug=slug, parent=parent_row)
    try:
        with transaction.atomic():
            return Category.objects.create(user=user, slug=slug, name=name, parent=parent_row, is_system=False)
    except IntegrityError:
        raise ConflictError(f"You already have a category {slug!r}.", code="category_exists") from None


def category_check(*, user, slug: str | None, parent: Category | None, category: Category | None = None) -> None:
    """The rules a user's category keeps (the API's create and update, and the admin form):
    its slug never shadows a system slug, and its parent is a system category or one of the
    same user's, never itself."""
    if slug and Category.objects.filter(user__isnull=True, slug=slug).exclude(pk=getattr(category, "pk", None)).exists():
        message = f"{slug!r} is a system category."
        raise ConflictError(message, code="category_exists", errors={"slug": [message]})
    if parent is not None and parent.user_id not in (None, getattr(user, "pk", None)):
        raise invalid("parent", "That category belongs to another user.")
    if parent is not None and category is not None and parent.pk == category.pk:
        raise invalid("parent", "A category cannot be its own parent.")


def _own_category(*, user, category_id) -> Category:
    category = selectors.category_get(user=user, category_id=category_id)
    if category.is_system:
        raise ApplicationError("System categories cannot be changed.", code="system_category", status_code=403)
    return category


@transaction.atomic
def category_update(*, user, category_id, name: str | None = None, parent: str | None = None) -> Category:
    category = _own_category(user=user, category_id=category_id)
    if name is not None:
        category.name = name
    if parent is not None:
        parent_row = resolve_category(user=user, slug=parent, field="parent") if parent else None
        category_check(user=user, slug=None, parent=parent_row, category=category)
        category.parent = parent_row
    category.save()
    return category


@transaction.atomic
def category_delete(*, user, category_id) -> None:
    """Delete a user's category; its transactions move to `uncategorized` in one statement."""
    category = _own_category(user=user, category_id=category_id)
    fallback = Category.objects.get(user__isnull=True, slug=UNCATEGORIZED)
    moved = Transaction.objects.filter(user=user, category=category)
    dates = set(moved.values_list("date", flat=True).distinct())
    moved.update(category=fallback, updated_at=timezone.now())
    Category.objects.filter(user=user, parent=category).update(parent=None)
    category.delete()
    if dates:
        selectors.transaction_counts_forget(user_id=user.pk)
        send_transactions_changed_on_commit(user_id=user.pk, category_ids=[category_id, fallback.pk], dates=dates)
