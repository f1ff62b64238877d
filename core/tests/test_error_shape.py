"""Every error the API can give has API.md's shape: {"detail", "code", "errors"?}."""

import pytest

pytestmark = pytest.mark.django_db


def test_unknown_api_route_is_a_json_404(auth_client):
    response = auth_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_api_route_is_json_even_with_debug_on(auth_client, settings):
    settings.DEBUG = True
    response = auth_client.get("/api/v1/transactions/not-a-uuid/proof/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_wrong_method_is_405_in_the_error_shape(auth_client):
    response = auth_client.delete("/api/v1/auth/me/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_malformed_json_is_a_parse_error_not_a_500(api_client):
    response = api_client.generic("POST", "/api/v1/auth/login/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_form_bodies_are_refused_the_api_speaks_json(api_client):
    response = api_client.post("/api/v1/auth/login/", "email=a&password=b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_validation_errors_list_every_field(api_client):
    response = api_client.post("/api/v1/auth/register/", {"email": "not-an-email", "password": "x"})
    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid"
    assert body["errors"]["email"] == ["Enter a valid email address."]
    assert "full_name" in body["errors"]
    assert body["detail"].startswith("email: ")


def test_non_api_404_is_json_too(api_client):
    response = api_client.get("/definitely-missing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_responses_carry_a_request_id_and_security_headers(api_client):
    echoed = api_client.get("/health", HTTP_X_REQUEST_ID="abc-123")
    assert echoed["X-Request-ID"] == "abc-123"
    generated = api_client.get("/health", HTTP_X_REQUEST_ID="bad id with spaces")
    assert len(generated["X-Request-ID"]) == 32
    assert generated["X-Content-Type-Options"] == "nosniff"
    assert generated["X-Frame-Options"] == "DENY"
    assert generated["Referrer-Policy"] == "same-origin"


def test_cors_allows_the_configured_spa_origin_only(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = api_client.options(
        "/api/v1/auth/login/", HTTP_ORIGIN="https://app.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    refused = api_client.options(
        "/api/v1/auth/login/", HTTP_ORIGIN="https://evil.example.net", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in refused
