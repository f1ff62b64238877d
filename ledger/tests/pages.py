"""The list page both ways, for parity tests: the ORM path rendered by DRF, and the page
PostgreSQL builds (ledger.json_pages)."""

import json

from rest_framework.renderers import JSONRenderer

from ledger import selectors
from ledger.json_pages import transaction_page_json


def python_page(user, params, offset=0, limit=50):
    rows = selectors.transaction_rows(selectors.transaction_list(user=user, filters=params))[offset : offset + limit]
    return json.loads(JSONRenderer().render([selectors.transaction_to_dict(row) for row in rows]))


def database_page(user, params, offset=0, limit=50, match_count=None):
    cleaned = selectors.transaction_filters(filters=params)
    pages = transaction_page_json(user_id=user.pk, cleaned=cleaned, offset=offset, limit=limit, match_count=match_count)
    return [json.loads(text) for text in pages]
