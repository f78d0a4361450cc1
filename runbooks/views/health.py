"""Liveness and readiness for load balancers and orchestrators."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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


@never_cache
@require_GET
def readyz(request):
    """503 only when the database is down; a missing broker is reported, not fatal, because
    webhooks are stored first and processed when the broker returns."""
    database = _database_ok()
    body = {"database": "ok" if database else "down", "broker": _broker_state()}
    return JsonResponse(body, status=200 if database else 503)
