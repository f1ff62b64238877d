"""publish(user_id, type, data): the one way any process (web or worker) talks to sockets.

WebSocket messages are hints: the channel layer may drop them, so the authoritative state is
always readable over REST, and `resume` replays stored events."""

import json
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from core.on_commit import run_on_commit

EVENT_HANDLER = "realtime.event"


def user_group(user_id: uuid.UUID | str) -> str:
    return f"user.{user_id}"


def next_event_id(user_id: uuid.UUID | str) -> str:
    """Per-user increasing ids (atomic INCR on Redis; in-process on the embedded default)."""
    key = f"realtime:sequence:{user_id}"
    cache.add(key, 0, timeout=None)
    return str(cache.incr(key))


def envelope(user_id: uuid.UUID | str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    # Decimals become strings and dates ISO text, exactly as the REST API shows them.
    safe_data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return {
        "type": event_type,
        "data": safe_data,
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
        "id": next_event_id(user_id),
    }


def publish(user_id: uuid.UUID | str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Send an event to every open socket of the user. Callable from sync code in any process."""
    message = envelope(user_id, event_type, data)
    async_to_sync(get_channel_layer().group_send)(user_group(user_id), {"type": EVENT_HANDLER, "event": message})
    return message


def publish_on_commit(user_id: uuid.UUID | str, event_type: str, data: dict[str, Any]) -> None:
    run_on_commit(lambda: publish(user_id, event_type, data))
