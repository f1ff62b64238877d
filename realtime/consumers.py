"""The WebSocket consumer: transport only. It authenticates from the scope, joins the user's
group, forwards events, replays stored ones on `resume`, answers pings and closes idle or
expired sockets. It knows no finance.

Exactly once across a resume: the consumer remembers the stored ids it sent on this connection
(`delivered`) and the id up to which the client has everything (`position`). A replay sends the
stored events after the client's id that this connection has not sent; a live stored event at
or below `position`, or already sent, is dropped. Ids are handed out in commit order
(`EventStream`), so an event that commits after the replay's read has a higher id than any it
read: nothing falls between the replay and the live stream, even when published during it."""

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings

from core import metrics
from realtime.selectors import event_replay_plan
from realtime.services import envelope, user_group

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_IDLE = 4408
WATCHDOG_INTERVAL_SECONDS = 5
# The Redis layer forgets a group member after its group_expiry (a day); re-join well before.
GROUP_REFRESH_SECONDS = 3600
DELIVERED_MEMORY = 1024
LAYER_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0)
RECOVERED = "realtime.recovered"


class RealtimeConsumer(AsyncWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        """AsyncConsumer.__call__, with a channel-layer receive that survives a Redis restart
        (the stock one lets the error end the consumer, and the socket closes with 1011)."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = self._receive_from_layer
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch([receive, self.channel_receive], self.dispatch)

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.group = None
        self.watchdog = None
        self.counted = False
        self.subscribed_types: set[str] | None = None  # None: every type
        if self.user is None or not self.user.is_authenticated:
            # Accept first so the client sees our close code rather than a bare HTTP 403.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = str(self.user.id)
        self.connection_id = uuid.uuid4().hex
        self.last_client_message = time.monotonic()
        self.delivered: dict[int, None] = {}  # stored ids sent on this connection, oldest first
        self.position = 0  # the client has every stored event up to this id
        self.group = user_group(self.user_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        metrics.REALTIME_OPEN_SOCKETS.inc()
        self.counted = True
        connected = await self.send_event("connected", {"user_id": self.user_id, "connection_id": self.connection_id})
        self.connected_id = int(connected["id"])
        self.watchdog = asyncio.create_task(self._watch())
        last_event_id = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("last_event_id")
        if last_event_id:
            # Resuming in the URL replays before any live event can overtake the replay.
            await self._resume(last_event_id[0], trigger="client")

    async def disconnect(self, code) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
        if self.counted:
            metrics.REALTIME_OPEN_SOCKETS.dec()
            self.counted = False
        if self.group is not None:
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
            except Exception:  # Redis is down: the membership expires with it
                logger.info("group_discard failed for a closing socket", exc_info=True)

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
        data = message.get("data") or {}
        await self._dispatch(message["type"], data if isinstance(data, dict) else {})

    async def _dispatch(self, message_type: str, data: dict) -> None:
        if message_type == "ping":
            await self.send_event("pong", {})
        elif message_type == "subscribe":
            types = data.get("types")
            if not isinstance(types, list) or not all(isinstance(item, str) for item in types):
                await self.send_event("error", {"detail": "data.types must be a list of strings.", "code": "invalid"})
                return
            self.subscribed_types = (self.subscribed_types or set()) | set(types)
            await self.send_event("subscribed", {"types": sorted(self.subscribed_types)})
        elif message_type == "unsubscribe":
            types = data.get("types")
            if isinstance(types, list) and self.subscribed_types is not None:
                self.subscribed_types -= set(types)
            elif not types:
                self.subscribed_types = None
            await self.send_event("subscribed", {"types": sorted(self.subscribed_types or [])})
        elif message_type == "resume":
            await self._resume(data.get("last_event_id"), trigger="client")
        else:
            await self.send_event("error", {"detail": f"Unknown message type {message_type!r}.", "code": "unknown_type"})

    # --- events ------------------------------------------------------------------------------
    async def realtime_event(self, message: dict) -> None:
        """Group messages published by realtime.services.publish()."""
        event = message["event"]
        if message.get("stored"):
            sequence = int(event["id"])
            if sequence <= self.position or sequence in self.delivered:
                return  # the replay sent it, or the client said it has it
        if not self._wants(event["type"]):
            return
        await self.send(text_data=json.dumps(event))
        if message.get("stored"):
            self._remember(int(event["id"]))
        metrics.REALTIME_MESSAGES_SENT.labels(type=event["type"]).inc()
        if message.get("published_at"):
            metrics.REALTIME_PUBLISH_TO_SEND.observe(max(0.0, time.time() - message["published_at"]))

    async def realtime_recovered(self, message: dict) -> None:
        """The channel layer came back (after a Redis restart): send what was stored meanwhile."""
        await self._resume(max(self.position, self.connected_id), trigger="recovery")

    async def _resume(self, raw_last_event_id, *, trigger: str) -> None:
        after = _parse_event_id(raw_last_event_id)
        if after is None:
            await self.send_event("error", {"detail": "data.last_event_id must be an event id.", "code": "invalid"})
            return
        plan = await database_sync_to_async(event_replay_plan)(
            user_id=self.user_id, after=after, limit=settings.EVENT_REPLAY_MAX
        )
        if plan.resync_reason:
            metrics.REALTIME_RESUMES.labels(outcome="resync_required", trigger=trigger).inc()
            # The client reloads over REST: it then has everything up to the latest id.
            self.position = max(self.position, plan.latest_id)
            await self.send_event(
                "resync_required",
                {"last_event_id": str(after), "latest_event_id": str(plan.latest_id), "reason": plan.resync_reason},
            )
            return
        replayed = 0
        for event in plan.events:
            sequence = int(event["id"])
            if sequence in self.delivered or not self._wants(event["type"]):
                continue
            await self.send(text_data=json.dumps(event))
            self._remember(sequence)
            replayed += 1
            metrics.REALTIME_MESSAGES_SENT.labels(type=event["type"]).inc()
        last_read = int(plan.events[-1]["id"]) if plan.events else after
        self.position = max(self.position, after, last_read)
        metrics.REALTIME_RESUMES.labels(outcome="replayed", trigger=trigger).inc()
        metrics.REALTIME_EVENTS_REPLAYED.inc(replayed)
        await self.send_event(
            "resumed", {"last_event_id": str(after), "replayed": replayed, "trigger": trigger}
        )

    def _wants(self, event_type: str) -> bool:
        return self.subscribed_types is None or event_type in self.subscribed_types

    def _remember(self, sequence: int) -> None:
        self.delivered[sequence] = None
        if len(self.delivered) > DELIVERED_MEMORY:
            del self.delivered[next(iter(self.delivered))]

    async def send_event(self, event_type: str, data: dict) -> dict:
        """A reply to this socket only (not stored): connected, pong, errors, resume results."""
        message = await database_sync_to_async(envelope)(self.user_id, event_type, data)
        await self.send(text_data=json.dumps(message))
        metrics.REALTIME_MESSAGES_SENT.labels(type=event_type).inc()
        return message

    # --- the channel layer -------------------------------------------------------------------
    async def _receive_from_layer(self) -> dict:
        """The next group message; while Redis is unreachable, retry, then re-join the group and
        hand the consumer a `realtime.recovered` message so it replays what it missed."""
        try:
            return await self.channel_layer.receive(self.channel_name)
        except Exception:
            metrics.REALTIME_LAYER_ERRORS.inc()
            logger.warning("Channel layer receive failed; the socket stays open and retries", exc_info=True)
        attempt = 0
        while True:
            delay = LAYER_RETRY_SECONDS[min(attempt, len(LAYER_RETRY_SECONDS) - 1)]
            await asyncio.sleep(delay * (0.5 + random.random()))
            attempt += 1
            if self.group is None:
                return await self.channel_layer.receive(self.channel_name)
            try:
                await self.channel_layer.group_add(self.group, self.channel_name)
            except Exception as error:
                logger.info("Channel layer still unavailable: %s", error)
                continue
            return {"type": RECOVERED}

    async def _watch(self) -> None:
        """Close when the client went quiet, or when the token it opened with expired; re-join
        the group now and then so the layer's group expiry never drops a long-lived socket."""
        expires_at = self.scope.get("token_expires_at")
        joined_at = time.monotonic()
        while True:
            await asyncio.sleep(min(WATCHDOG_INTERVAL_SECONDS, settings.WS_IDLE_TIMEOUT_SECONDS))
            if expires_at is not None and time.time() >= expires_at:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            if time.monotonic() - self.last_client_message > settings.WS_IDLE_TIMEOUT_SECONDS:
                await self.close(code=CLOSE_IDLE)
                return
            if time.monotonic() - joined_at > GROUP_REFRESH_SECONDS:
                try:
                    await self.channel_layer.group_add(self.group, self.channel_name)
                    joined_at = time.monotonic()
                except Exception:
                    logger.info("Group refresh failed; retried on the next tick", exc_info=True)


def _parse_event_id(raw) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    if isinstance(raw, str) and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None
