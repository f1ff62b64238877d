import socket

from celery import shared_task

from realtime.services import events_prune, publish


@shared_task(name="realtime.tasks.echo")
def echo(user_id: str, nonce: str, store: bool = False) -> dict:
    """A round trip through a worker to the user's sockets: proves broker, worker and layer work
    (and, stored, that resume and the events list see worker-published events)."""
    message = publish(user_id, "echo", {"nonce": nonce, "worker": socket.gethostname()}, store=store)
    return {"event_id": message["id"] if message else None}


@shared_task(name="realtime.tasks.scheduled_prune_events")
def scheduled_prune_events() -> int:
    """Nightly: stored events past EVENT_RETENTION_DAYS go (safe to run twice)."""
    return events_prune()
