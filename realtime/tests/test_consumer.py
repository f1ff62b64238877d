"""The WebSocket endpoint through the real ASGI app (auth middleware, origin check, consumer)."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from accounts.services import session_revoke, ws_ticket_create
from accounts.tests.factories import UserFactory
from config.asgi import application
from conftest import authenticated_client
from realtime.services import publish

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


def token_for(user) -> str:
    return authenticated_client(user).token_pair.access_token


async def open_socket(query: str, origin: bytes | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", origin)] if origin else []
    communicator = WebsocketCommunicator(application, f"/ws/?{query}", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def assert_closed_with(communicator: WebsocketCommunicator, code: int) -> None:
    output = await communicator.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": code}


def test_a_valid_token_connects_and_ping_gets_pong():
    user = UserFactory()
    token = token_for(user)

    async def scenario():
        socket = await open_socket(f"token={token}")
        connected = await socket.receive_json_from()
        assert connected["type"] == "connected"
        assert connected["data"]["user_id"] == str(user.id)
        assert connected["data"]["connection_id"]
        assert connected["timestamp"].endswith("Z")
        await socket.send_json_to({"type": "ping"})
        pong = await socket.receive_json_from()
        assert pong["type"] == "pong"
        assert int(pong["id"]) > int(connected["id"])
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("query", ["token=not.a.jwt", "", "ticket=unknown-ticket", "token="])
def test_bad_credentials_close_4401_before_any_message(query):
    async def scenario():
        socket = await open_socket(query)
        await assert_closed_with(socket, 4401)

    run(scenario)


def test_expired_and_revoked_tokens_close_4401():
    user = UserFactory()
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=5))
    client = authenticated_client(user)
    session_revoke(user=user, session_id=AccessToken(client.token_pair.access_token)["sid"])

    async def scenario():
        for token in (str(expired), client.token_pair.access_token):
            socket = await open_socket(f"token={token}")
            await assert_closed_with(socket, 4401)

    run(scenario)


def test_a_ticket_works_once():
    user = UserFactory()
    ticket = ws_ticket_create(user=user, token_expires_at=None, session_id=None)

    async def scenario():
        first = await open_socket(f"ticket={ticket}")
        assert (await first.receive_json_from())["type"] == "connected"
        second = await open_socket(f"ticket={ticket}")
        await assert_closed_with(second, 4401)
        await first.disconnect()

    run(scenario)


def test_foreign_browser_origins_are_refused(settings):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    token = token_for(UserFactory())

    async def scenario():
        refused = WebsocketCommunicator(application, f"/ws/?token={token}", headers=[(b"origin", b"https://evil.example.net")])
        connected, _ = await refused.connect()
        assert not connected
        for origin in (b"https://app.example.com", b"https://api.example.com"):
            socket = await open_socket(f"token={token}", origin=origin)
            assert (await socket.receive_json_from())["type"] == "connected"
            await socket.disconnect()

    run(scenario)


def test_published_events_reach_every_tab_of_that_user_only():
    alice, bob = UserFactory(), UserFactory()
    alice_token, bob_token = token_for(alice), token_for(bob)

    async def scenario():
        tabs = [await open_socket(f"token={alice_token}") for _ in range(2)]
        stranger = await open_socket(f"token={bob_token}")
        for socket in [*tabs, stranger]:
            await socket.receive_json_from()  # connected
        await sync_to_async(publish)(alice.id, "budget_alert", {"budget_id": "b1", "spent": "80.10"})
        for tab in tabs:
            event = await tab.receive_json_from(timeout=3)
            assert (event["type"], event["data"]) == ("budget_alert", {"budget_id": "b1", "spent": "80.10"})
        assert await stranger.receive_nothing(timeout=0.3)
        for socket in [*tabs, stranger]:
            await socket.disconnect()

    run(scenario)


def test_subscribe_filters_event_types():
    user = UserFactory()
    token = token_for(user)

    async def scenario():
        socket = await open_socket(f"token={token}")
        await socket.receive_json_from()
        await socket.send_json_to({"type": "subscribe", "data": {"types": ["upload_progress"]}})
        assert (await socket.receive_json_from())["data"] == {"types": ["upload_progress"]}
        await sync_to_async(publish)(user.id, "budget_alert", {"n": 1})
        await sync_to_async(publish)(user.id, "upload_progress", {"n": 2})
        assert (await socket.receive_json_from(timeout=3))["data"] == {"n": 2}
        await socket.disconnect()

    run(scenario)


def test_garbage_and_unknown_messages_get_an_error_not_a_crash():
    token = token_for(UserFactory())

    async def scenario():
        socket = await open_socket(f"token={token}")
        await socket.receive_json_from()
        await socket.send_to(text_data="{nope")
        assert (await socket.receive_json_from())["data"]["code"] == "invalid_json"
        await socket.send_json_to({"type": "teleport"})
        assert (await socket.receive_json_from())["data"]["code"] == "unknown_type"
        await socket.send_json_to({"type": "ping"})
        assert (await socket.receive_json_from())["type"] == "pong"
        await socket.disconnect()

    run(scenario)


def test_a_silent_client_is_disconnected(settings):
    settings.WS_IDLE_TIMEOUT_SECONDS = 1
    token = token_for(UserFactory())

    async def scenario():
        socket = await open_socket(f"token={token}")
        await socket.receive_json_from()
        await assert_closed_with(socket, 4408)

    run(scenario)


def test_the_socket_closes_when_its_token_expires(settings):
    settings.WS_IDLE_TIMEOUT_SECONDS = 1
    user = UserFactory()
    ticket = ws_ticket_create(user=user, token_expires_at=0, session_id=None)

    async def scenario():
        socket = await open_socket(f"ticket={ticket}")
        await socket.receive_json_from()
        await socket.send_json_to({"type": "ping"})
        await socket.receive_json_from()
        await assert_closed_with(socket, 4401)

    run(scenario)
