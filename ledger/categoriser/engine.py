"""categorise(user, rows) and suggest(user, row): every layer, vectorised over a chunk.

Layers, best evidence first; each candidate carries a method and a confidence in 0..1:
1. "rule": the user's own rules learnt from corrections (exact descriptor 0.97, merchant 0.93);
2. "learned": a correction newer than the personal model with a similar descriptor (character
   cosine similarity >= 0.5; confidence = the similarity, capped at 0.95);
3. "merchant": the merchant master's category for a matched merchant (match score x 0.9);
4. "model": the global text model, blended with the user's personal model when they have one;
5. "income": for money in without the above, income keywords (0.8) else `income` (0.5);
6. below CATEGORISER_MIN_CONFIDENCE: `uncategorized`, method "default", confidence 0, with the
   model's top suggestions kept on the Suggestion (`alternatives`).

A constant number of queries per call whatever the number of rows: rules, the personal model's
row (plus its payload once per process and version), fresh corrections, categories."""

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from django.conf import settings
from django.db.models import Q

from core.categories import UNCATEGORIZED
from core.on_commit import enqueue_on_commit
from ledger.categoriser import personal
from ledger.categoriser.model import get_global_model
from ledger.categoriser.rules import (
    RowEvidence,
    gather_evidence,
    income_candidates,
    merchant_candidates,
    rule_candidates,
    rules_for,
)
from ledger.categoriser.tasks import categoriser_retrain
from ledger.models import Category

LEARNED_MAX_CONFIDENCE = 0.95
TOP_SUGGESTIONS = 3


class Suggestion(NamedTuple):
    category: Category
    confidence: float
    method: str  # "rule" | "learned" | "merchant" | "model" | "income" | "default"
    alternatives: tuple = ()  # ((Category, confidence), ...) best first, when abstaining


class _Scored(NamedTuple):
    # Per row: every candidate (reference, confidence, method), strongest layer first, and the
    # model's ranked (reference, probability) list. References: category ids (str) or slugs.
    candidates: list[tuple[Any, float, str]]
    ranked: list[tuple[Any, float]]


def _model_rankings(user, evidence: Sequence[RowEvidence]) -> tuple[list[list[tuple[str, float]]], list]:
    """Per row, the blended model's categories (ids) best first, and the fresh-correction match."""
    global_model = get_global_model()
    system_ids = personal.system_category_ids()
    keys = [(item.descriptor, item.raw) for item in evidence]
    unique = list(dict.fromkeys(keys))
    position = {key: index for index, key in enumerate(unique)}
    global_probabilities, lazy_features = global_model.featurise_cached(unique)
    model, trained_through = personal.personal_state(user)
    fresh = personal.fresh_examples(user, since=trained_through, global_model=global_model)
    if fresh.total >= settings.CATEGORISER_RETRAIN_AFTER:
        _enqueue_retrain(user.pk)
    row_index = np.array([position[key] for key in keys])
    # Feature rows are stacked only for the personal layers (a user with corrections).
    features = lazy_features.matrix() if (fresh.categories or model is not None) else None
    nearest_unique = (
        personal.nearest_fresh(fresh, features[:, : len(global_model.char.vocabulary_)])
        if features is not None else [None] * len(unique)
    )
    columns = [system_ids.get(slug) for slug in global_model.classes]
    if model is not None:
        amounts = [item.amount for item in evidence]
        personal_probabilities = model.probabilities(
            personal.personal_features(features[row_index], amounts, global_probabilities[row_index])
        )
        weight = model.examples / (model.examples + personal.PRIOR_EXAMPLES)
    rankings = []
    for row, unique_row in enumerate(row_index):
        scores: dict[str, float] = {}
        for column, category_id in enumerate(columns):
            if category_id is not None:
                scores[category_id] = float(global_probabilities[unique_row, column])
        if model is not None:
            for key in scores:
                scores[key] *= 1 - weight
            for column, category_id in enumerate(model.classes):
                scores[category_id] = scores.get(category_id, 0.0) + weight * float(personal_probabilities[row, column])
        ranked = sorted(scores.items(), key=lambda pair: pair[1], reverse=True)[: TOP_SUGGESTIONS + 1]
        rankings.append(ranked)
    return rankings, [nearest_unique[index] for index in row_index]


def _enqueue_retrain(user_id) -> None:
    enqueue_on_commit(categoriser_retrain, str(user_id))


def _score(user, evidence: Sequence[RowEvidence]) -> list[_Scored]:
    rules = rules_for(user, evidence)
    rankings, nearest = _model_rankings(user, evidence)
    collapsed = personal.collapsed_categories(user)
    system_ids = personal.system_category_ids() if collapsed else {}
    scored = []
    for item, ranked, fresh in zip(evidence, rankings, nearest, strict=True):
        found = rule_candidates(item, rules)
        if fresh is not None:
            found.append((fresh[0], round(min(fresh[1], LEARNED_MAX_CONFIDENCE), 4), "learned"))
        found += _fold(merchant_candidates(item), collapsed, system_ids)
        found += [(reference, round(probability, 4), "model") for reference, probability in _merge(ranked, collapsed)[:1]]
        found += income_candidates(item)
        scored.append(_Scored(candidates=found, ranked=[(ref, round(p, 4)) for ref, p in _merge(ranked, collapsed)]))
    return scored


def _fold(candidates, collapsed: dict[str, str], system_ids: dict[str, str]):
    """Merchant candidates (slugs) in the user's granularity: a folded child becomes its parent."""
    out = []
    for reference, confidence, method in candidates:
        category_id = system_ids.get(reference, reference)
        out.append((collapsed.get(category_id, reference), confidence, method))
    return out


def _merge(ranked: list[tuple[str, float]], collapsed: dict[str, str]) -> list[tuple[str, float]]:
    """Model rankings (category ids) in the user's granularity: folded children add to the parent."""
    if not collapsed:
        return ranked
    merged: dict[str, float] = {}
    for category_id, probability in ranked:
        target = collapsed.get(category_id, category_id)
        merged[target] = merged.get(target, 0.0) + probability
    return sorted(merged.items(), key=lambda pair: pair[1], reverse=True)


def _resolve(user, references: set) -> dict[Any, Category]:
    """Category ids (str) and system slugs -> Category rows (the user's own or system), one query."""
    ids = {reference for reference in references if not isinstance(reference, str) or _is_uuid(reference)}
    slugs = references - ids
    resolved: dict[Any, Category] = {}
    query = Q(pk__in=ids, user__isnull=True) | Q(pk__in=ids, user=user) | Q(user__isnull=True, slug__in=slugs | {UNCATEGORIZED})
    for category in Category.objects.filter(query):
        resolved[category.pk] = category
        resolved[str(category.pk)] = category
        if category.user_id is None:
            resolved[category.slug] = category
    return resolved


def _is_uuid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4


def _choose(scored: _Scored, resolved: dict) -> Suggestion:
    minimum = settings.CATEGORISER_MIN_CONFIDENCE
    for reference, confidence, method in scored.candidates:
        category = resolved.get(reference)
        # A rule or merchant always counts (the user or the curators said so); the model and
        # the income defaults only above the threshold... income keeps its old defaults.
        if category is None or category.slug == UNCATEGORIZED:
            continue
        if method in {"rule", "learned", "merchant", "income"} or confidence >= minimum:
            return Suggestion(category, confidence, method)
    alternatives = tuple((resolved[ref], p) for ref, p in scored.ranked[:TOP_SUGGESTIONS] if ref in resolved)
    return Suggestion(resolved[UNCATEGORIZED], 0.0, "default", alternatives)


def categorise(user, rows: Sequence[Any], *, evidence: list[RowEvidence] | None = None) -> list[Suggestion]:
    """Best category for each row. Rows are mappings or objects with `merchant_raw`, `amount`
    and optionally `merchant` (a Merchant already matched; otherwise it is matched here)."""
    if not rows:
        return []
    evidence = evidence if evidence is not None else gather_evidence(rows, user_id=user.pk)
    scored = _score(user, evidence)
    references = {ref for item in scored for ref, _, _ in item.candidates} | {ref for item in scored for ref, _ in item.ranked}
    resolved = _resolve(user, references)
    return [_choose(item, resolved) for item in scored]


def suggest(user, row: Any) -> list[tuple[Category, float]]:
    """Every candidate category for one row, best first, one entry per category."""
    evidence = gather_evidence([row], user_id=user.pk)
    scored = _score(user, evidence)[0]
    # The merchant master's own category stays among the suggestions even where the user's
    # granularity folds it into its parent for the automatic choice.
    options = scored.candidates + merchant_candidates(evidence[0]) + [(ref, p, "model") for ref, p in scored.ranked]
    resolved = _resolve(user, {ref for ref, _, _ in options})
    seen: dict[Any, tuple[Category, float]] = {}
    for reference, confidence, _ in options:
        category = resolved.get(reference)
        if category is not None and category.pk not in seen:
            seen[category.pk] = (category, confidence)
    if resolved.get(UNCATEGORIZED) is not None and resolved[UNCATEGORIZED].pk not in seen:
        seen[resolved[UNCATEGORIZED].pk] = (resolved[UNCATEGORIZED], 0.0)
    return sorted(seen.values(), key=lambda pair: pair[1], reverse=True)
