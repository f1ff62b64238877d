"""ledger.categoriser as the services call it: a constant number of queries per batch."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger.categoriser import categorise

pytestmark = pytest.mark.django_db


def test_categorise_is_vectorised(user, starbucks, django_assert_max_num_queries):
    """The query count does not grow with the rows: the matcher's own queries plus rules and
    categories, for 4 rows as for 400."""
    def rows(repeat):
        return [{"merchant_raw": "ZEBRA BEANS 1234", "amount": Decimal("-4.00")}] * repeat + [
            {"merchant_raw": f"UNKNOWN {n}", "amount": Decimal("-1.00")} for n in range(repeat)
        ]

    categorise(user, rows(2))  # warm any per-process matcher index
    with CaptureQueriesContext(connection) as small:
        categorise(user, rows(2))
    with CaptureQueriesContext(connection) as large:
        results = categorise(user, rows(200))
    assert len(large.captured_queries) == len(small.captured_queries)
    assert [result.category.slug for result in results[:1] + results[-1:]] == ["coffee", "uncategorized"]
    assert results[0].method == "merchant" and results[-1].confidence == 0.0
