"""The stored event log: what a socket that reconnects (`resume`) or a client without a socket
(GET /api/v1/events/) catches up from."""

from django.conf import settings
from django.db import models


class EventStream(models.Model):
    """One row per user: the last event id handed out and the last one pruned.

    Every envelope id (stored or not) comes from `last_id`, incremented under this row's lock, so
    a user's ids increase in commit order: a resume from id N never misses an event with a lower
    id that commits later. `pruned_through` tells a resume from before the retention window."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+")
    last_id = models.BigIntegerField(default=0)
    pruned_through = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(last_id__gte=0), name="realtime_stream_last_id_not_negative"),
            models.CheckConstraint(
                condition=models.Q(pruned_through__lte=models.F("last_id")),
                name="realtime_stream_pruned_through_at_most_last_id",
            ),
        ]

    def __str__(self) -> str:
        return f"events of {self.user_id} up to #{self.last_id}"


class Event(models.Model):
    """A stored event. `sequence` is the envelope's `id`: per user, increasing, from the database."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sequence = models.BigIntegerField()
    type = models.CharField(max_length=64)
    data = models.JSONField()
    created = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "sequence"], name="realtime_event_user_sequence_unique"),
            models.CheckConstraint(condition=models.Q(sequence__gt=0), name="realtime_event_sequence_positive"),
        ]
        indexes = [
            models.Index(fields=["user", "type", "sequence"], name="realtime_event_user_type_seq"),
            models.Index(fields=["created"], name="realtime_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.sequence}"
