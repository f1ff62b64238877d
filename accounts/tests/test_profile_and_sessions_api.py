import pytest

from accounts.models import DeviceSession
from accounts.tests.factories import UserFactory
from conftest import authenticated_client

pytestmark = pytest.mark.django_db


def test_me_requires_a_token(api_client):
    response = api_client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_shows_the_contract_fields(auth_client, user):
    body = auth_client.get("/api/v1/auth/me/").json()
    assert set(body) == {
        "id", "email", "full_name", "phone", "is_verified", "is_admin", "preferences", "wallet_addresses",
    }
    assert body["id"] == str(user.id)
    assert set(body["preferences"]) == {"currency", "timezone", "theme", "notifications", "subscription_reminder_days"}


def test_patch_me_updates_profile_and_merges_preferences(auth_client, user):
    response = auth_client.patch(
        "/api/v1/auth/me/",
        {
            "full_name": "Grace Hopper",
            "preferences": {"currency": "eur", "notifications": {"weekly_report": True}},
            "wallet_addresses": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "Grace Hopper"
    assert body["preferences"]["currency"] == "EUR"
    assert body["preferences"]["timezone"] == "UTC"
    assert body["preferences"]["notifications"] == {
        "email": True, "push": True, "budget_alerts": True, "weekly_report": True,
    }
    user.refresh_from_db()
    assert user.wallet_addresses == ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]


@pytest.mark.parametrize("field, value", [("is_admin", True), ("is_verified", True), ("is_staff", True), ("email", "x@y.z")])
def test_patch_me_refuses_mass_assignment(auth_client, user, field, value):
    user.is_verified = False
    user.save()
    response = auth_client.patch("/api/v1/auth/me/", {field: value})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    user.refresh_from_db()
    assert (user.is_staff, user.is_verified, user.email.endswith("@example.com")) == (False, False, True)


@pytest.mark.parametrize(
    "preferences, field",
    [
        ({"currency": "XXY"}, "preferences.currency"),
        ({"timezone": "Mars/Olympus"}, "preferences.timezone"),
        ({"theme": "neon"}, "preferences.theme"),
        ({"colour": "red"}, "preferences.colour"),
        ({"notifications": {"email": "often"}}, "preferences.notifications.email"),
    ],
)
def test_patch_me_validates_preferences(auth_client, user, preferences, field):
    before = dict(user.preferences)
    response = auth_client.patch("/api/v1/auth/me/", {"preferences": preferences})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    user.refresh_from_db()
    assert user.preferences == before


def test_sessions_lists_my_devices_and_marks_the_current_one(user):
    phone = authenticated_client(user)
    laptop = authenticated_client(user)
    authenticated_client(UserFactory())  # somebody else's device is never listed
    sessions = laptop.get("/api/v1/auth/sessions/").json()
    assert len(sessions) == 2
    assert [session["current"] for session in sessions].count(True) == 1
    assert phone.get("/api/v1/auth/sessions/").status_code == 200


def test_revoking_a_session_logs_that_device_out(user):
    phone = authenticated_client(user)
    laptop = authenticated_client(user)
    sessions = laptop.get("/api/v1/auth/sessions/").json()
    phone_session = next(session for session in sessions if not session["current"])
    assert laptop.delete(f"/api/v1/auth/sessions/{phone_session['id']}/").status_code == 204
    assert phone.get("/api/v1/auth/me/").status_code == 401
    refreshed = phone.post("/api/v1/auth/refresh/", {"refresh_token": phone.token_pair.refresh_token})
    assert refreshed.status_code == 401
    assert laptop.get("/api/v1/auth/me/").status_code == 200


def test_someone_elses_session_is_404_and_stays_open(auth_client):
    stranger = UserFactory()
    authenticated_client(stranger)
    session = DeviceSession.objects.get(user=stranger)
    response = auth_client.delete(f"/api/v1/auth/sessions/{session.id}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    session.refresh_from_db()
    assert session.revoked_at is None


def test_ws_ticket_is_issued_to_authenticated_users_only(auth_client, api_client):
    response = auth_client.post("/api/v1/auth/ws-ticket/")
    assert response.status_code == 201
    assert response.json()["expires_in"] == 60
    assert len(response.json()["ticket"]) >= 40
    assert api_client.post("/api/v1/auth/ws-ticket/").status_code == 401
