"""Celery tasks. They take ids, re-fetch, and are safe to run twice (STYLE §7)."""

from celery import shared_task

from runbooks import intake, ratelimit


@shared_task(acks_late=True, reject_on_worker_lost=True)
def process_inbox_entry(entry_id: int) -> None:
    """Turn one stored webhook body into alerts. A failure is counted on the entry and the
    sweep tries again later; after a few failures the entry is kept, marked failed."""
    intake.process(entry_id)


@shared_task
def sweep_inbox() -> int:
    """Periodic (Celery beat): enqueue bodies still unprocessed after a short delay, and drop
    rate-limit counters of windows that have passed."""
    ratelimit.forget_old_windows()
    return intake.sweep()
