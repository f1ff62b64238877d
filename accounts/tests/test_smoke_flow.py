import pytest

pytestmark = pytest.mark.django_db


def test_a_new_user_registers_logs_in_and_reads_me(api_client):
    registered = api_client.post(
        "/api/v1/auth/register/",
        {"email": "Ada@Example.com", "password": "an-unusual-passphrase-7", "full_name": "Ada Lovelace"},
    )
    assert registered.status_code == 201, registered.json()
    body = registered.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["user"]["email"] == "ada@example.com"

    logged_in = api_client.post("/api/v1/auth/login", {"email": "ADA@example.com", "password": "an-unusual-passphrase-7"})
    assert logged_in.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {logged_in.json()['access_token']}")
    me = api_client.get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json()["full_name"] == "Ada Lovelace"
