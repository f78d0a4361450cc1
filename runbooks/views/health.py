"""Liveness and readiness for load balancers and orchestrators."""

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from runbooks.services import heartbeats

STARTED = time.monotonic()  # this web process's start: the grace before a first heartbeat


@never_cache
@require_GET
def healthz(request):
    """200 while the process runs: nothing else is asked."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from openops.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return "ok"
    except Exception:
        return "unreachable"


def _worker_state() -> tuple[str, float | None]:
    """(state, heartbeat age in seconds): `eager` (tasks run inline), `ok`, `late` (no task
    finished for longer than the limit), `starting` (no heartbeat yet, this process younger than
    the limit) or `missing` (no heartbeat ever, for longer than the limit)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager", None
    limit = settings.OPENOPS_HEARTBEAT_MAX_AGE_SECONDS or float("inf")
    age = heartbeats.age_seconds()
    if age is None:
        return ("starting" if time.monotonic() - STARTED <= limit else "missing"), None
    return ("ok" if age <= limit else "late"), round(age, 1)


@never_cache
@require_GET
def readyz(request):
    """503 when the database is down, or when no worker has finished a task for longer than
    OPENOPS_HEARTBEAT_MAX_AGE_SECONDS (webhooks would be stored but not processed). A broker
    that is away is reported, not fatal: webhooks are stored first and the sweep enqueues them
    when it returns."""
    if not _database_ok():
        return JsonResponse({"database": "down", "broker": _broker_state()}, status=503)
    worker, age = _worker_state()
    body = {"database": "ok", "broker": _broker_state(), "worker": worker, "heartbeat_age": age}
    return JsonResponse(body, status=503 if worker in ("late", "missing") else 200)
