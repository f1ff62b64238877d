"""Annotations other apps write onto transactions without changing them as ledger facts:
the anomaly score analytics computes. Not a ledger write in the money sense, so no
`transactions_changed` (it would re-trigger the scoring that wrote it)."""

from collections.abc import Mapping

from django.db.models import Case, FloatField, Value, When

from ledger.models import Transaction


def transaction_anomaly_scores_set(*, user_id, scores: Mapping) -> int:
    """Write `{transaction_id: score in 0..1}` for one user's rows in one UPDATE; returns the
    number of rows written. Rows of other users are never touched."""
    if not scores:
        return 0
    whens = [When(pk=pk, then=Value(round(float(score), 4))) for pk, score in scores.items()]
    return Transaction.objects.filter(user_id=user_id, pk__in=list(scores)).update(
        anomaly_score=Case(*whens, output_field=FloatField())
    )
