"""The personal layer: what one user's own labelled rows teach, on top of the global model.

Two parts, so that a correction counts at once and the heavier model retrains in the background:
- the personal model: a logistic regression (SGD) over the global features, the amount's sign
  and size, and the global model's log-probabilities (so it learns "when the global model says
  coffee, this user means dining"), fitted on the user's labelled rows (method "user": a
  correction, a bulk categorisation, an explicit category). Stored per user as plain arrays;
  retrained by a task after CATEGORISER_RETRAIN_AFTER corrections and nightly.
- fresh corrections: the ones newer than the model, matched by cosine similarity of their
  descriptors' character features (nearest neighbour), read at prediction time.
Neither sees another user's rows."""

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from scipy import sparse
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import normalize

from ledger.categoriser.model import GlobalModel, get_global_model
from ledger.models import Category, PersonalCategoriser, Transaction, UserCorrection
from merchants.services import normalise_descriptor

AMOUNT_FEATURES = 12
GLOBAL_PROBABILITY_WEIGHT = 0.3
PERSONAL_ALPHA = 1e-3
# Weight of the personal model against the global one: examples / (examples + PRIOR_EXAMPLES).
PRIOR_EXAMPLES = 20.0
FRESH_MAX = 500
FRESH_MIN_SIMILARITY = 0.65
_CACHE_SIZE = 256


@dataclass
class PersonalModel:
    columns: np.ndarray  # int32: the feature columns the user's rows use
    coef: np.ndarray  # (len(columns), n_classes) float32
    intercept: np.ndarray  # (n_classes,) float32
    classes: list[str]  # category ids (str)
    examples: int

    def probabilities(self, features: sparse.csr_matrix) -> np.ndarray:
        scores = np.asarray(features[:, self.columns] @ self.coef) + self.intercept
        if len(self.classes) == 2 and self.coef.shape[1] == 1:
            positive = 1 / (1 + np.exp(-scores[:, 0]))
            return np.column_stack([1 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        return scores / scores.sum(axis=1, keepdims=True)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer, columns=self.columns, coef=self.coef, intercept=self.intercept,
            classes=np.array(self.classes, dtype=str), examples=np.array([self.examples]),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> "PersonalModel":
        with np.load(io.BytesIO(bytes(payload)), allow_pickle=False) as arrays:
            return cls(
                columns=arrays["columns"], coef=arrays["coef"], intercept=arrays["intercept"],
                classes=[str(value) for value in arrays["classes"]], examples=int(arrays["examples"][0]),
            )


def amount_features(amounts) -> np.ndarray:
    """Sign (2 columns) and order of magnitude (10 buckets: < 0.10 ... >= 10,000,000)."""
    values = np.asarray([float(amount) for amount in amounts], dtype=np.float64)
    out = np.zeros((len(values), AMOUNT_FEATURES), dtype=np.float32)
    rows = np.arange(len(values))
    out[rows, (values > 0).astype(int)] = 1
    magnitude = np.floor(np.log10(np.abs(values) + 1e-9) + 2)
    out[rows, 2 + np.clip(magnitude, 0, 9).astype(int)] = 1
    return out


def personal_features(global_features: sparse.csr_matrix, amounts, global_probabilities: np.ndarray) -> sparse.csr_matrix:
    log_probabilities = np.log(global_probabilities + 1e-4).astype(np.float32) * GLOBAL_PROBABILITY_WEIGHT
    return sparse.hstack(
        [global_features, sparse.csr_matrix(amount_features(amounts)), sparse.csr_matrix(log_probabilities)], format="csr"
    )


def fit_personal(features: sparse.csr_matrix, labels: list[str], *, seed: int = 0) -> PersonalModel | None:
    """Fit on the columns the user's rows use (a few thousand of the global ones): fast, small."""
    if len(set(labels)) < 2:
        return None
    columns = np.unique(features.tocoo().col).astype(np.int32)
    classifier = SGDClassifier(loss="log_loss", alpha=PERSONAL_ALPHA, max_iter=30, tol=None, random_state=seed)
    classifier.fit(features[:, columns], labels)
    return PersonalModel(
        columns=columns, coef=classifier.coef_.T.astype(np.float32), intercept=classifier.intercept_.astype(np.float32),
        classes=[str(value) for value in classifier.classes_], examples=len(labels),
    )


def labelled_rows(*, user_id, limit: int) -> list[tuple[str, object, str]]:
    """The user's rows they labelled themselves, newest first: (merchant_raw, amount, category id)."""
    rows = (
        Transaction.objects.filter(user_id=user_id, is_deleted=False, confidence__method="user")
        .order_by("-updated_at")
        .values_list("merchant_raw", "amount", "category_id")[:limit]
    )
    return [(raw, amount, str(category_id)) for raw, amount, category_id in rows]


def personal_model_retrain(*, user_id) -> PersonalCategoriser | None:
    """Retrain one user's personal model from all their labelled rows (idempotent: the same rows
    give the same model). None, and any old model removed, when they have too few to learn from."""
    global_model = get_global_model()
    started = timezone.now()
    rows = labelled_rows(user_id=user_id, limit=settings.CATEGORISER_PERSONAL_MAX_EXAMPLES)
    model = None
    if rows:
        raws = [raw for raw, _, _ in rows]
        descriptors = [normalise_descriptor(raw) for raw in raws]
        global_features = global_model.features(descriptors, raws)
        probabilities = global_model.probabilities(global_features)
        features = personal_features(global_features, [amount for _, amount, _ in rows], probabilities)
        model = fit_personal(features, [category for _, _, category in rows])
    with transaction.atomic():
        if model is None:
            PersonalCategoriser.objects.filter(user_id=user_id).delete()
            return None
        stored, _ = PersonalCategoriser.objects.update_or_create(
            user_id=user_id,
            defaults={
                "global_version": global_model.version, "examples": model.examples,
                "trained_through": started, "payload": model.to_bytes(),
            },
        )
    return stored


_cache_lock = threading.Lock()
_cache: OrderedDict = OrderedDict()


def personal_state(user) -> tuple[PersonalModel | None, object]:
    """(the user's personal model or None, the instant it was trained through or None). One
    query; a second only the first time this process sees that model version."""
    row = (
        PersonalCategoriser.objects.filter(user_id=user.pk)
        .values_list("updated_at", "trained_through", "global_version").first()
    )
    if row is None:
        return None, None
    updated_at, trained_through, global_version = row
    if global_version != get_global_model().version:
        return None, None  # trained on another global model: its columns mean something else
    key = (str(user.pk), updated_at)
    with _cache_lock:
        model = _cache.get(key)
        if model is not None:
            _cache.move_to_end(key)
            return model, trained_through
    payload = PersonalCategoriser.objects.filter(user_id=user.pk).values_list("payload", flat=True).first()
    if payload is None:
        return None, None
    model = PersonalModel.from_bytes(payload)
    with _cache_lock:
        _cache[key] = model
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return model, trained_through


@dataclass
class FreshExamples:
    vectors: sparse.csr_matrix  # unit rows of character features
    categories: list[str]
    total: int  # how many corrections are newer than the model (for the retrain trigger)


def fresh_examples(user, *, since, global_model: GlobalModel) -> FreshExamples:
    """Corrections newer than the personal model (all of them without one), newest first and
    one per descriptor: the latest correction wins, as with rules."""
    corrections = UserCorrection.objects.filter(transaction__user_id=user.pk)
    if since is not None:
        corrections = corrections.filter(created_at__gt=since)
    rows = list(corrections.order_by("-created_at").values_list("descriptor", "new_category_id")[:FRESH_MAX])
    seen: dict[str, str] = {}
    for descriptor, category_id in rows:
        if descriptor and category_id is not None and descriptor not in seen:
            seen[descriptor] = str(category_id)
    if not seen:
        return FreshExamples(vectors=sparse.csr_matrix((0, 1)), categories=[], total=len(rows))
    vectors = normalize(global_model.char.transform(list(seen)))
    return FreshExamples(vectors=vectors, categories=list(seen.values()), total=len(rows))


def nearest_fresh(fresh: FreshExamples, descriptor_vectors: sparse.csr_matrix) -> list[tuple[str, float] | None]:
    """For each row: (category id, similarity) of its most similar fresh correction, if close."""
    if not fresh.categories:
        return [None] * descriptor_vectors.shape[0]
    similarities = (normalize(descriptor_vectors) @ fresh.vectors.T).toarray()
    best = similarities.argmax(axis=1)
    out: list[tuple[str, float] | None] = []
    for row, column in enumerate(best):
        similarity = float(similarities[row, column])
        out.append((fresh.categories[column], similarity) if similarity >= FRESH_MIN_SIMILARITY else None)
    return out


def system_category_ids() -> dict[str, str]:
    return {slug: str(pk) for slug, pk in Category.objects.filter(user__isnull=True).values_list("slug", "pk")}


def users_with_new_corrections() -> list:
    """Users with a correction newer than their personal model (or with corrections and no model)."""
    newest = dict(
        UserCorrection.objects.values_list("transaction__user_id").annotate(newest=Max("created_at")).order_by()
    )
    trained = dict(PersonalCategoriser.objects.values_list("user_id", "trained_through"))
    return sorted(
        (user_id for user_id, latest in newest.items() if user_id not in trained or latest > trained[user_id]), key=str
    )


GRANULARITY_WINDOW = 5000


def collapsed_categories(user) -> dict[str, str]:
    """The user's granularity, learnt from their corrections: child category id -> parent id
    for children this user folds into the parent. A child collapses once the user has moved any
    sibling-or-itself to the parent (coffee -> dining says "I file cafes under dining"), unless
    they have ever moved a row into that child. One query over their latest corrections."""
    pairs = set(
        UserCorrection.objects.filter(transaction__user_id=user.pk)
        .order_by("-created_at")
        .values_list("old_category_id", "new_category_id")[:GRANULARITY_WINDOW]
    )
    if not pairs:
        return {}
    chosen = {str(new) for _, new in pairs if new is not None}
    parents = {
        str(pk): str(parent)
        for pk, parent in Category.objects.filter(parent__isnull=False).filter(
            Q(user__isnull=True) | Q(user_id=user.pk)
        ).values_list("pk", "parent_id")
    }
    folded = {parents[str(old)] for old, new in pairs if old is not None and parents.get(str(old)) == str(new)}
    return {child: parent for child, parent in parents.items() if parent in folded and child not in chosen}
