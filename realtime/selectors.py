"""Reads of the stored event log."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from realtime.models import Event, EventStream
from realtime.services import event_envelope


def event_list(*, user_id: uuid.UUID | str, since_id: int | None = None, types: list[str] | None = None) -> QuerySet:
    """The user's stored events after `since_id`, oldest first, optionally of some types."""
    events = Event.objects.filter(user_id=user_id).order_by("sequence")
    if since_id is not None:
        events = events.filter(sequence__gt=since_id)
    if types:
        events = events.filter(type__in=types)
    return events


@dataclass
class ReplayPlan:
    """What a resume from `after` sends: the events, or why the client must reload over REST."""

    after: int
    latest_id: int
    events: list[dict[str, Any]] = field(default_factory=list)
    resync_reason: str | None = None


def event_replay_plan(*, user_id: uuid.UUID | str, after: int, limit: int) -> ReplayPlan:
    """The stored events after `after` (at most `limit`), or a resync when some are gone (pruned),
    the id is from the future (another database) or there are more than `limit`."""
    stream = EventStream.objects.filter(user_id=user_id).values("last_id", "pruned_through").first()
    last_id, pruned_through = (stream["last_id"], stream["pruned_through"]) if stream else (0, 0)
    plan = ReplayPlan(after=after, latest_id=last_id)
    if after < pruned_through:
        plan.resync_reason = "events_pruned"
    elif after > last_id:
        plan.resync_reason = "unknown_event_id"
    else:
        rows = list(event_list(user_id=user_id, since_id=after)[: limit + 1])
        if len(rows) > limit:
            plan.resync_reason = "too_many_events"
        else:
            plan.events = [event_envelope(row) for row in rows]
    return plan
