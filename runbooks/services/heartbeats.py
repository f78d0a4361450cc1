"""The worker's heartbeat (issue 29): when a Celery worker last finished a task, for /readyz/.

Beat sends `runbooks.tasks.heartbeat` every OPENOPS_HEARTBEAT_SECONDS and the worker that runs
it records the time; a worker busy with a backlog records it as it finishes other tasks (at most
once an interval), so a long queue is not taken for a dead worker. The row lives in the
database, the one store every web process, worker and instance shares, whatever the broker.
"""

from datetime import datetime

from django.utils import timezone

from runbooks.models import Heartbeat

WORKER = "worker"


def record(name: str = WORKER) -> None:
    """The component `name` is working now."""
    now = timezone.now()
    if not Heartbeat.objects.filter(name=name).update(at=now):
        Heartbeat.objects.update_or_create(name=name, defaults={"at": now})


def last_seen(name: str = WORKER) -> datetime | None:
    """When `name` was last seen working; None if never."""
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()


def age_seconds(name: str = WORKER) -> float | None:
    seen = last_seen(name)
    return None if seen is None else max(0.0, (timezone.now() - seen).total_seconds())
