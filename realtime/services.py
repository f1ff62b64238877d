"""publish(user_id, type, data): the one way any process (web or worker) talks to sockets.

Every envelope takes the user's next id from the database (`EventStream`); a stored type (see
`realtime.types`) also writes an `Event` row in the caller's transaction, so the event exists
exactly when the change that caused it committed. The message goes to the channel layer after
commit. WebSocket delivery is a hint (the layer may drop a message); `resume` and
GET /api/v1/events/ read the stored rows, and the authoritative state is always over REST."""

import asyncio
import json
import logging
import os
import threading
import time
import uuid
from datetime import timedelta
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from core import metrics
from core.on_commit import run_on_commit
from realtime.models import Event, EventStream
from realtime.types import is_stored_type

logger = logging.getLogger(__name__)

EVENT_HANDLER = "realtime.event"


def user_group(user_id: uuid.UUID | str) -> str:
    return f"user.{user_id}"


def timestamp_text(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def event_envelope(event: Event) -> dict[str, Any]:
    """A stored event as the socket and the REST API show it."""
    return {"type": event.type, "data": event.data, "timestamp": timestamp_text(event.created), "id": str(event.sequence)}


def event_id_allocate(*, user_id: uuid.UUID | str) -> int | None:
    """The user's next envelope id; None when the user does not exist.

    The increment locks the user's stream row until the surrounding transaction ends, so ids are
    handed out in commit order (a later id never becomes visible before an earlier one)."""
    user_pk = EventStream._meta.pk.target_field.get_db_prep_value(uuid.UUID(str(user_id)), connection)
    with transaction.atomic():
        next_id = _increment_stream(user_pk)
        if next_id is None:
            if not get_user_model().objects.filter(pk=user_id).exists():
                return None
            EventStream.objects.bulk_create([EventStream(user_id=user_id)], ignore_conflicts=True)
            next_id = _increment_stream(user_pk)
    return next_id


_INCREMENT_SQL = (
    f"UPDATE {EventStream._meta.db_table} SET last_id = last_id + 1 WHERE user_id = %s RETURNING last_id"  # noqa: S608
)


def _increment_stream(user_pk) -> int | None:
    # One statement: the ORM's update() cannot return the new value. The table name is ours.
    with connection.cursor() as cursor:
        cursor.execute(_INCREMENT_SQL, [user_pk])
        row = cursor.fetchone()
    return None if row is None else row[0]


def envelope(user_id: uuid.UUID | str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """A transient envelope with a fresh id (not stored, not sent): the consumer's own replies."""
    return {
        "type": event_type,
        "data": _json_safe(data),
        "timestamp": timestamp_text(timezone.now()),
        "id": str(event_id_allocate(user_id=user_id) or 0),
    }


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    # Decimals become strings and dates ISO text, exactly as the REST API shows them.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def publish(
    user_id: uuid.UUID | str, event_type: str, data: dict[str, Any], *, store: bool | None = None
) -> dict[str, Any] | None:
    """Send an event to every open socket of the user, after the current transaction commits.

    `store=None` follows `realtime.types.is_stored_type`; True/False overrides it. A stored
    event is written in the caller's transaction (so a rollback takes it away too). Returns the
    envelope, or None when the user no longer exists. Sync code in any process; async code
    awaits `apublish`."""
    stored = is_stored_type(event_type) if store is None else store
    safe_data = _json_safe(data)
    with transaction.atomic():
        sequence = event_id_allocate(user_id=user_id)
        if sequence is None:
            logger.warning("Event %s not published: user %s does not exist", event_type, user_id)
            return None
        created = timezone.now()
        if stored:
            Event.objects.create(user_id=user_id, sequence=sequence, type=event_type, data=safe_data, created=created)
    message = {"type": event_type, "data": safe_data, "timestamp": timestamp_text(created), "id": str(sequence)}
    run_on_commit(partial(_send, user_id, message, stored, time.time()))
    return message


async def apublish(
    user_id: uuid.UUID | str, event_type: str, data: dict[str, Any], *, store: bool | None = None
) -> dict[str, Any] | None:
    """`publish` for async code (consumers, async views)."""
    return await database_sync_to_async(publish)(user_id, event_type, data, store=store)


def publish_on_commit(
    user_id: uuid.UUID | str, event_type: str, data: dict[str, Any], *, store: bool | None = None
) -> None:
    """`publish` once the current transaction commits: nothing is written if it rolls back,
    and the id is taken at commit time (for hints sent from long transactions)."""
    run_on_commit(partial(publish, user_id, event_type, data, store=store))


def _send(user_id: uuid.UUID | str, message: dict[str, Any], stored: bool, published_at: float) -> None:
    payload = {"type": EVENT_HANDLER, "event": message, "stored": stored, "published_at": published_at}
    layer = get_channel_layer()
    try:
        if settings.REALTIME_SEND_LOOP and isinstance(layer, RedisChannelLayer):
            _send_loop.run(layer.group_send(user_group(user_id), payload))
        else:
            async_to_sync(layer.group_send)(user_group(user_id), payload)
    except Exception:
        # The layer is down (Redis restart): a stored event waits for `resume` and the REST list.
        metrics.REALTIME_PUBLISH_FAILURES.labels(type=message["type"]).inc()
        logger.warning("Event %s #%s not sent: channel layer unavailable", message["type"], message["id"], exc_info=True)


class _SendLoop:
    """One event loop thread per process for sync publishers (workers, views) on the Redis layer.

    async_to_sync in a plain thread runs each group_send on a new event loop, and channels-redis
    keeps its connections per loop: every publish opened (and closed) a Redis connection. Here
    the loop, and so the connection, lives as long as the process (docs/decisions/
    realtime-send-loop.md; REALTIME_SEND_LOOP=0 turns it off). A forked child starts its own."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pid: int | None = None

    def run(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self._running_loop()).result(timeout)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self.lock:
            if self.loop is None or self.pid != os.getpid():
                self.loop, self.pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(target=self.loop.run_forever, name="realtime-send", daemon=True).start()
            return self.loop


_send_loop = _SendLoop()


# --- upload progress, throttled ------------------------------------------------------------------
_progress_lock = threading.Lock()
_progress_last_sent: dict[tuple[str, str], float] = {}
_PROGRESS_KEYS_MAX = 10_000


def publish_progress(
    user_id: uuid.UUID | str,
    upload_id: uuid.UUID | str,
    *,
    processed: int,
    total: int,
    stage: str,
    final: bool = False,
) -> dict[str, Any] | None:
    """`upload_progress` for one upload, at most once per UPLOAD_PROGRESS_MIN_INTERVAL_SECONDS
    (0.1 s) in this process; a call inside the interval is dropped (returns None). The final
    call (`final=True`) always goes out and is stored: it is the upload's last progress state.
    Call it after a chunk commits: inside a transaction it holds the user's id lock (see
    `event_id_allocate`) until the commit, and that user's other publishers and pongs wait."""
    key = (str(user_id), str(upload_id))
    now = time.monotonic()
    with _progress_lock:
        if final:
            _progress_last_sent.pop(key, None)
        else:
            last_sent = _progress_last_sent.get(key)
            if last_sent is not None and now - last_sent < settings.UPLOAD_PROGRESS_MIN_INTERVAL_SECONDS:
                return None
            if len(_progress_last_sent) >= _PROGRESS_KEYS_MAX:
                _progress_last_sent.clear()  # uploads that never finished: forget them all
            _progress_last_sent[key] = now
    percent = round(100 * processed / total, 1) if total else (100.0 if final else 0.0)
    data = {"upload_id": str(upload_id), "processed": processed, "total": total, "percent": percent, "stage": stage}
    return publish(user_id, "upload_progress", data, store=final)


# --- retention ---------------------------------------------------------------------------------
@transaction.atomic
def events_prune(*, now=None) -> int:
    """Delete stored events older than EVENT_RETENTION_DAYS; record per user the last id pruned,
    so a resume from before the window answers resync_required. Returns the rows deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENT_RETENTION_DAYS)
    expired = Event.objects.filter(created__lt=cutoff)
    last_expired = (
        expired.filter(user_id=OuterRef("user_id")).values("user_id").annotate(last=Max("sequence")).values("last")
    )
    EventStream.objects.filter(user_id__in=expired.values("user_id")).update(
        pruned_through=Greatest(F("pruned_through"), Coalesce(Subquery(last_expired), F("pruned_through")))
    )
    deleted, _ = expired.delete()
    return deleted
