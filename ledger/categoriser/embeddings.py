"""Transaction embeddings: one 384-dimension unit vector per transaction, and nearest neighbours.

Vectors come from the global artefact (character TF-IDF of the normalised descriptor reduced
with TruncatedSVD fitted on the global corpus), stored as float32 bytes with the model version.
Written for every row that has none (or an older version) by `embeddings_backfill`, which the
ledger's `transactions_changed` receiver enqueues after any write (imports included) and the
`embed_transactions` command runs for everyone.

Nearest neighbours: NumPy over the user's stored vectors, kept per process as one matrix and
reloaded only when the user's embedding count or newest row changes (one aggregate query per
call). pgvector is not used: the compose image's PostgreSQL has no `vector` extension."""

import threading
from collections import OrderedDict

import numpy as np
from django.db import transaction
from django.db.models import Count, Max

from ledger.categoriser.model import EMBEDDING_DIMENSIONS, get_global_model
from ledger.models import Transaction, TransactionEmbedding
from merchants.services import normalise_descriptor

BATCH = 2000
_MATRIX_CACHE_SIZE = 32


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(payload: bytes) -> np.ndarray:
    return np.frombuffer(bytes(payload), dtype="<f4")


def embed_descriptors(raws: list[str]) -> np.ndarray:
    model = get_global_model()
    return model.embed_texts([normalise_descriptor(raw) or raw.upper() for raw in raws])


def embeddings_backfill(*, user_id, dates: list | None = None, limit: int | None = None) -> int:
    """Write vectors for the user's live rows that have none or an older model's, on `dates`
    only when given (a write's signal names its dates: the query then reads those days, not a
    million-row ledger). Idempotent; batches of 2,000 rows, each one bulk insert in its own
    transaction. Returns rows written."""
    version = get_global_model().version
    scope = Transaction.objects.filter(user_id=user_id, is_deleted=False)
    if dates is not None:
        scope = scope.filter(date__in=dates)
    written = 0
    while limit is None or written < limit:
        missing = list(
            scope.exclude(embedding__model_version=version).order_by().values_list("pk", "merchant_raw")[:BATCH]
        )
        if not missing:
            break
        vectors = embed_descriptors([raw for _, raw in missing])
        with transaction.atomic():
            TransactionEmbedding.objects.filter(transaction_id__in=[pk for pk, _ in missing]).delete()
            TransactionEmbedding.objects.bulk_create(
                [
                    TransactionEmbedding(transaction_id=pk, user_id=user_id, model_version=version, vector=vector_bytes(vector))
                    for (pk, _), vector in zip(missing, vectors, strict=True)
                ],
                ignore_conflicts=True,
            )
        written += len(missing)
        if len(missing) < BATCH:
            break
    return written


_lock = threading.Lock()
_matrices: OrderedDict = OrderedDict()


def _user_matrix(user_id, version: str) -> tuple[list, np.ndarray]:
    stamp = TransactionEmbedding.objects.filter(user_id=user_id, model_version=version).aggregate(
        count=Count("pk"), newest=Max("created_at")
    )
    key = (str(user_id), version)
    with _lock:
        cached = _matrices.get(key)
        if cached is not None and cached[0] == stamp:
            _matrices.move_to_end(key)
            return cached[1], cached[2]
    rows = list(
        TransactionEmbedding.objects.filter(user_id=user_id, model_version=version).order_by()
        .values_list("transaction_id", "vector")
    )
    ids = [pk for pk, _ in rows]
    matrix = np.frombuffer(b"".join(bytes(vector) for _, vector in rows), dtype="<f4").reshape(-1, EMBEDDING_DIMENSIONS)
    with _lock:
        _matrices[key] = (stamp, ids, matrix)
        while len(_matrices) > _MATRIX_CACHE_SIZE:
            _matrices.popitem(last=False)
    return ids, matrix


def similar_transaction_ids(*, user_id, transaction: Transaction, limit: int = 10) -> list[tuple[object, float]]:
    """The user's transactions nearest to this one by embedding: [(id, cosine similarity)], best
    first, itself excluded. Rows without a vector yet are embedded on the fly for the query."""
    version = get_global_model().version
    stored = TransactionEmbedding.objects.filter(transaction_id=transaction.pk, model_version=version).values_list(
        "vector", flat=True
    ).first()
    query = vector_from_bytes(stored) if stored is not None else embed_descriptors([transaction.merchant_raw])[0]
    ids, matrix = _user_matrix(user_id, version)
    if not ids:
        return []
    similarities = matrix @ query
    take = min(len(ids), limit + 1)
    best = np.argpartition(-similarities, take - 1)[:take]
    best = best[np.argsort(-similarities[best], kind="stable")]
    return [(ids[i], round(float(similarities[i]), 4)) for i in best if ids[i] != transaction.pk][:limit]
