"""The WebSocket consumer: transport only. It authenticates from the scope, joins the user's
group, forwards events, answers pings and closes idle or expired sockets. It knows no finance."""

import asyncio
import json
import time
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from realtime.services import envelope, user_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_IDLE = 4408
WATCHDOG_INTERVAL_SECONDS = 5


class RealtimeConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.group = None
        self.watchdog = None
        self.subscribed_types: set[str] | None = None  # None: every type
        if self.user is None or not self.user.is_authenticated:
            # Accept first so the client sees our close code rather than a bare HTTP 403.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = str(self.user.id)
        self.connection_id = uuid.uuid4().hex
        self.last_client_message = time.monotonic()
        self.group = user_group(self.user_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_event("connected", {"user_id": self.user_id, "connection_id": self.connection_id})
        self.watchdog = asyncio.create_task(self._watch())

    async def disconnect(self, code) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.group is None:
            return
        self.last_client_message = time.monotonic()
        try:
            message = json.loads(text_data or "")
        except (TypeError, ValueError):
            await self.send_event("error", {"detail": "Messages must be JSON objects.", "code": "invalid_json"})
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send_event("error", {"detail": "A message needs a string 'type'.", "code": "invalid_message"})
            return
        await self._dispatch(message["type"], message.get("data") or {})

    async def _dispatch(self, message_type: str, data: dict) -> None:
        if message_type == "ping":
            await self.send_event("pong", {})
        elif message_type == "subscribe":
            types = data.get("types") if isinstance(data, dict) else None
            if not isinstance(types, list) or not all(isinstance(item, str) for item in types):
                await self.send_event("error", {"detail": "data.types must be a list of strings.", "code": "invalid"})
                return
            self.subscribed_types = (self.subscribed_types or set()) | set(types)
            await self.send_event("subscribed", {"types": sorted(self.subscribed_types)})
        elif message_type == "unsubscribe":
            types = data.get("types") if isinstance(data, dict) else None
            if isinstance(types, list) and self.subscribed_types is not None:
                self.subscribed_types -= set(types)
            elif not types:
                self.subscribed_types = None
            await self.send_event("subscribed", {"types": sorted(self.subscribed_types or [])})
        else:
            await self.send_event("error", {"detail": f"Unknown message type {message_type!r}.", "code": "unknown_type"})

    async def realtime_event(self, message: dict) -> None:
        """Group messages published by realtime.services.publish()."""
        event = message["event"]
        if self.subscribed_types is None or event["type"] in self.subscribed_types:
            await self.send(text_data=json.dumps(event))

    async def send_event(self, event_type: str, data: dict) -> None:
        message = await database_sync_to_async(envelope)(self.user_id, event_type, data)
        await self.send(text_data=json.dumps(message))

    async def _watch(self) -> None:
        """Close when the client went quiet, or when the token it opened with expired."""
        expires_at = self.scope.get("token_expires_at")
        while True:
            await asyncio.sleep(min(WATCHDOG_INTERVAL_SECONDS, settings.WS_IDLE_TIMEOUT_SECONDS))
            if expires_at is not None and time.time() >= expires_at:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            if time.monotonic() - self.last_client_message > settings.WS_IDLE_TIMEOUT_SECONDS:
                await self.close(code=CLOSE_IDLE)
                return


