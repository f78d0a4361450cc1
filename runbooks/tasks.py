"""Celery tasks. They take ids, re-fetch, and are safe to run twice (STYLE §7).

Tasks call the services, never the other way round: a receiver stores a body through
`services.intake.accept`, then asks `process_on_commit` to schedule its processing.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction

from runbooks import ratelimit
from runbooks.services import intake

log = logging.getLogger(__name__)
SWEEP_BATCH = 1000


@shared_task(acks_late=True, reject_on_worker_lost=True)
def process_inbox_entry(entry_id: int) -> None:
    """Turn one stored webhook body into alerts. A failure is counted on the entry and the
    sweep tries again later; after a few failures the entry is kept, marked failed."""
    intake.process(entry_id)


def enqueue(entry_id: int) -> bool:
    """Publish the processing task; an unreachable broker is logged, never raised: the sweep
    will pick the body up later."""
    try:
        process_inbox_entry.apply_async(args=[entry_id], retry=False)
        return True
    except Exception as exc:  # kombu raises several kinds for a broker that is away
        log.warning("Could not enqueue inbox entry %s (%s); the sweep will retry.", entry_id, exc)
        return False


def process_on_commit(entry_id: int) -> None:
    """Enqueue the body's processing once the transaction that stored it has committed."""
    transaction.on_commit(lambda: enqueue(entry_id))


def sweep(older_than: timedelta | None = None) -> int:
    """Enqueue again every body still unprocessed after a short delay."""
    stale = intake.stale_entries(older_than).order_by("pk").values_list("pk", flat=True)
    return sum(enqueue(pk) for pk in stale[:SWEEP_BATCH])


@shared_task
def sweep_inbox() -> int:
    """Periodic (Celery beat): enqueue bodies still unprocessed after a short delay, and drop
    rate-limit counters of windows that have passed."""
    ratelimit.forget_old_windows()
    return sweep()
