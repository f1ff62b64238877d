"""The learning categoriser (issue 15): layers and their precedence, learning at once and in
the background, per-user isolation, abstention, the artefact, embeddings and similar/."""

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from ledger.categoriser import categorise, suggest
from ledger.categoriser.embeddings import embeddings_backfill
from ledger.categoriser.evaluation import evaluate, load_rows
from ledger.categoriser.model import artefact_path, get_global_model, load_global, model_fingerprint
from ledger.categoriser.tasks import categoriser_retrain, categoriser_retrain_nightly
from ledger.models import PersonalCategoriser, Transaction, TransactionEmbedding, UserCorrection
from ledger.tests.factories import TransactionFactory, system_category
from merchants.models import Merchant, MerchantAlias
from merchants.services import normalise_descriptor

URL = "/api/v1/transactions/"


def create(client, merchant_raw: str, amount: str = "-9.99", date: str = "2024-03-01") -> dict:
    response = client.post(URL, {"date": date, "amount": amount, "merchant_raw": merchant_raw})
    assert response.status_code == 201, response.json()
    return response.json()


def correct(client, transaction_id: str, slug: str) -> None:
    assert client.post(f"{URL}correct/", {"transaction_id": transaction_id, "new_category": slug}).status_code == 200


# --- layers ---------------------------------------------------------------------------------
def test_the_global_model_knows_statement_words_before_any_teaching(auth_client):
    body = create(auth_client, "MONTHLY ACCOUNT FEE")
    assert body["category"] == "fees"
    assert body["confidence"]["method"] == "model"
    assert body["confidence"]["category"] >= 0.9


def test_a_rule_beats_the_merchant_master_and_the_model(auth_client, user, starbucks):
    first = create(auth_client, "ZEBRA BEANS 1234")
    assert (first["category"], first["confidence"]["method"]) == ("coffee", "merchant")
    correct(auth_client, first["id"], "groceries")
    later = create(auth_client, "ZEBRA BEANS 1234")
    assert (later["category"], later["confidence"]["method"], later["confidence"]["category"]) == ("groceries", "rule", 0.97)


def test_a_correction_teaches_similar_descriptors_at_once_and_only_for_that_user(auth_client, user, other_user):
    first = create(auth_client, "QUIXOTIC ZYX LOUNGE 0042")
    correct(auth_client, first["id"], "entertainment")
    # Not the same descriptor, so no rule: the fresh correction is matched by similarity.
    similar = create(auth_client, "QUIXOTIC ZYX LOUNGE CAPE")
    assert (similar["category"], similar["confidence"]["method"]) == ("entertainment", "learned")
    assert 0.5 <= similar["confidence"]["category"] <= 0.95
    theirs = categorise(other_user, [{"merchant_raw": "QUIXOTIC ZYX LOUNGE CAPE", "amount": Decimal("-9.99")}])[0]
    assert theirs.category.slug != "entertainment"
    assert theirs.method not in {"rule", "learned"}


def test_below_the_threshold_it_abstains_and_keeps_suggestions(auth_client, user, settings):
    settings.CATEGORISER_MIN_CONFIDENCE = 0.999
    body = create(auth_client, "KWIK BOARDGAMES CAFE")
    assert (body["category"], body["confidence"]["category"], body["confidence"]["method"]) == ("uncategorized", 0.0, "default")
    result = categorise(user, [{"merchant_raw": "KWIK BOARDGAMES CAFE", "amount": Decimal("-5")}])[0]
    assert len(result.alternatives) == 3
    assert [p for _, p in result.alternatives] == sorted((p for _, p in result.alternatives), reverse=True)
    suggestions = auth_client.get(f"{URL}{body['id']}/suggestions/").json()
    assert [item["category"] for item in suggestions[:3]] == [category.slug for category, _ in result.alternatives]
    assert suggestions[-1] == {"category": "uncategorized", "confidence": 0.0}


def test_suggestions_are_scoped_to_the_owner(auth_client, other_user):
    row = TransactionFactory(user=other_user)
    assert auth_client.get(f"{URL}{row.pk}/suggestions/").status_code == 404


def test_suggest_ranks_each_category_once(user):
    ranked = suggest(user, {"merchant_raw": "MONTHLY ACCOUNT FEE", "amount": Decimal("-5")})
    slugs = [category.slug for category, _ in ranked]
    assert slugs[0] == "fees" and len(slugs) == len(set(slugs))


# --- personal model -------------------------------------------------------------------------
def _labelled(user, pairs):
    for raw, slug in pairs:
        TransactionFactory(user=user, merchant_raw=raw, category=system_category(slug))


def test_the_retrain_task_is_idempotent_and_per_user(user, other_user):
    _labelled(user, [("ALPHA WIDGETS", "shopping"), ("BETA NOODLES", "dining"), ("GAMMA PETROL", "fuel")] * 2)
    assert categoriser_retrain.apply(args=[str(user.pk)]).get() == 6
    first = PersonalCategoriser.objects.get(user=user)
    payload = bytes(first.payload)
    assert categoriser_retrain.apply(args=[str(user.pk)]).get() == 6
    again = PersonalCategoriser.objects.get(user=user)
    assert bytes(again.payload) == payload
    assert (again.examples, again.global_version) == (6, get_global_model().version)
    assert not PersonalCategoriser.objects.filter(user=other_user).exists()
    # Nothing to learn from (fewer than two categories): no model.
    assert categoriser_retrain.apply(args=[str(other_user.pk)]).get() == 0
    assert not PersonalCategoriser.objects.filter(user=other_user).exists()


def test_retraining_is_enqueued_after_n_corrections(auth_client, user, settings, django_capture_on_commit_callbacks):
    settings.CATEGORISER_RETRAIN_AFTER = 2
    for raw, slug in [("OMEGA ONE", "gifts"), ("OMEGA TWO", "pets")]:
        correct(auth_client, create(auth_client, raw)["id"], slug)
    assert not PersonalCategoriser.objects.filter(user=user).exists()
    with django_capture_on_commit_callbacks(execute=True):
        create(auth_client, "SOMETHING ELSE")  # the prediction sees two fresh corrections: retrain
    model = PersonalCategoriser.objects.get(user=user)
    assert model.examples == 2
    assert model.trained_through >= UserCorrection.objects.order_by("-created_at").first().created_at


def test_the_nightly_task_retrains_only_users_with_new_corrections(auth_client, user, other_user):
    for raw, slug in [("OMEGA ONE", "gifts"), ("OMEGA TWO", "pets")]:
        correct(auth_client, create(auth_client, raw)["id"], slug)
    _labelled(other_user, [("ALPHA WIDGETS", "shopping"), ("BETA NOODLES", "dining")])  # no corrections
    assert categoriser_retrain_nightly.apply().get() == 1
    assert list(PersonalCategoriser.objects.values_list("user_id", flat=True)) == [user.pk]
    assert categoriser_retrain_nightly.apply().get() == 0


# --- artefact -------------------------------------------------------------------------------
def test_the_artefact_loads_once_and_matches_its_version():
    model = get_global_model()
    assert get_global_model() is model
    assert artefact_path().name == f"global-{model.version}.joblib"
    assert model_fingerprint(load_global(artefact_path())) == model.version
    assert model.components.shape[1] == 384
    assert {"fees", "groceries", "fuel", "salary"} <= set(model.classes)


# --- embeddings and similar/ ----------------------------------------------------------------
def test_embeddings_are_written_for_new_rows_and_similar_is_scoped(
    auth_client, user, other_user, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mine = [create(auth_client, raw) for raw in ("SHELL GARAGE NORTH", "SHELL GARAGE SOUTH", "BOOKWORM PAGES")]
    TransactionFactory(user=other_user, merchant_raw="SHELL GARAGE NORTH")
    assert embeddings_backfill(user_id=other_user.pk) == 1
    assert embeddings_backfill(user_id=other_user.pk) == 0
    stored = TransactionEmbedding.objects.filter(user=user)
    assert stored.count() == 3
    vector = np.frombuffer(bytes(stored.first().vector), dtype="<f4")
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-4
    body = auth_client.get(f"{URL}{mine[0]['id']}/similar/").json()
    assert [item["transaction"]["id"] for item in body] == [mine[1]["id"], mine[2]["id"]]
    assert body[0]["similarity"] > body[1]["similarity"]
    theirs = Transaction.objects.get(user=other_user)
    assert auth_client.get(f"{URL}{theirs.pk}/similar/").status_code == 404
    assert auth_client.get(f"{URL}{mine[0]['id']}/similar/?limit=0").status_code == 400
    assert api_client.get(f"{URL}{mine[0]['id']}/similar/").status_code == 401


# --- evaluation -----------------------------------------------------------------------------
def test_the_evaluation_replays_through_the_api_and_beats_a_floor(db, settings):
    labelled = Path(settings.BASE_DIR).parent / "shared" / "data" / "labelled"
    rows = load_rows(labelled / "yassirawad" / "transactions.csv", labelled / "label_map.json")
    assert len(rows) == 449
    report = evaluate(baseline=True)
    assert (report.rows, report.scored) == (449, 429)
    assert report.accuracy >= 0.6  # target 0.85; measured 0.70-0.71 (docs/categoriser.md)
    assert 0.5 <= report.baseline_accuracy <= 0.75  # smart_importer's pipeline, about 0.62
    assert report.accuracy > report.baseline_accuracy
    assert UserCorrection.objects.count() == sum(p.truth != p.predicted for p in report.predictions)
    assert "needed no correction" in report.text()


@pytest.mark.parametrize("amount", ["-9.99", "9.99"])
def test_categorise_is_one_call_for_a_chunk(user, amount):
    rows = [{"merchant_raw": f"MONTHLY ACCOUNT FEE {n}", "amount": Decimal(amount)} for n in range(50)]
    results = categorise(user, rows)
    assert len(results) == 50 and {r.category.slug for r in results} == {"fees"}


def test_the_user_granularity_is_learnt_from_corrections_to_a_parent(auth_client, user, other_user, starbucks):
    burgers = Merchant.objects.create(canonical_name="Bun Bros", category="fast_food")
    MerchantAlias.objects.create(merchant=burgers, alias="BUN BROS", normalised=normalise_descriptor("BUN BROS"))
    assert create(auth_client, "BUN BROS")["category"] == "fast_food"
    correct(auth_client, create(auth_client, "ZEBRA BEANS 1234")["id"], "dining")  # coffee -> dining
    # Another child of dining, another merchant, no rule: filed under dining now.
    later = create(auth_client, "BUN BROS")
    assert (later["category"], later["confidence"]["method"]) == ("dining", "merchant")
    assert categorise(other_user, [{"merchant_raw": "BUN BROS", "amount": Decimal("-5")}])[0].category.slug == "fast_food"
    # A user who ever chooses the child keeps it.
    correct(auth_client, later["id"], "fast_food")
    assert create(auth_client, "BUN BROS")["category"] == "fast_food"


def test_the_backfill_command_embeds_missing_rows_once(user, other_user):
    TransactionFactory(user=user, merchant_raw="ALPHA WIDGETS")
    TransactionFactory(user=other_user, merchant_raw="BETA NOODLES")
    call_command("embed_transactions")
    assert TransactionEmbedding.objects.count() == 2
    call_command("embed_transactions", user=user.email)
    assert TransactionEmbedding.objects.count() == 2
