"""ledger.urls: every ledger endpoint is routed and documented in the OpenAPI schema."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_documents_every_ledger_endpoint(admin_client):
    response = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = set(json.loads(response.content)["paths"])
    for path in ("/api/v1/transactions/", "/api/v1/transactions/{transaction_id}/", "/api/v1/transactions/correct/",
                 "/api/v1/transactions/bulk-categorize/", "/api/v1/transactions/duplicates/", "/api/v1/transactions/export/",
                 "/api/v1/transactions/{transaction_id}/restore/", "/api/v1/transactions/{transaction_id}/suggestions/",
                 "/api/v1/categories/", "/api/v1/accounts/{account_id}/"):
        assert path in paths
