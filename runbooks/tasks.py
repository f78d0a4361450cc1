"""Celery tasks. They take ids, re-fetch, and are safe to run twice (STYLE §7).

Tasks call the services, never the other way round: a receiver stores a body through
`services.intake.accept`, then asks `process_on_commit` to schedule its processing; the
services record events (`services.events`), and the commit of each one schedules its fan-out
here (`event_recorded`), which schedules the mails. A periodic sweep catches what a broker that
was away missed.
"""

import logging
import time
from datetime import timedelta

import requests
from celery import shared_task
from celery.signals import beat_init, task_postrun
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from runbooks import ratelimit
from runbooks.models import Event, OfflineCopy
from runbooks.services import (
    chat,
    heartbeats,
    intake,
    notifications,
    offline,
    postmortems,
    reports,
)

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


# --- Notifications ------------------------------------------------------------------------------


def publish(task, *args) -> bool:
    """Send a task; a broker that is away is logged, and the periodic sweep catches up."""
    try:
        task.apply_async(args=list(args), retry=False)
        return True
    except Exception as exc:
        log.warning("Could not enqueue %s%s (%s); the sweep will retry.", task.name, args, exc)
        return False


@receiver(post_save, sender=Event, dispatch_uid="openops-event-recorded")
def event_recorded(sender, instance: Event, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:  # raw: loaded from a backup, its notifications came with it
        transaction.on_commit(lambda: publish(fan_out_event, instance.pk))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def fan_out_event(event_id: int) -> int:
    """Make the event's notifications (once), then mail those wanted at once."""
    to_mail = notifications.fan_out(event_id)
    for notification_id in to_mail:
        publish(mail_notification, notification_id)
    for delivery_id in chat.deliveries_for_event(event_id):
        publish(deliver_chat, delivery_id)
    return len(to_mail)


@shared_task(
    acks_late=True,
    autoretry_for=(requests.RequestException,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=chat.MAX_ATTEMPTS,
)
def deliver_chat(delivery_id: int) -> bool:
    """One event to one chat room; a room that is away is tried again later, with backoff."""
    return chat.deliver(delivery_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def mail_notification(notification_id: int) -> bool:
    return notifications.mail_one(notification_id)


@shared_task
def sweep_events() -> int:
    """Periodic: fan out events whose task never ran, and mail what was left unmailed."""
    done = 0
    for event_id in notifications.pending_events().values_list("pk", flat=True)[:SWEEP_BATCH]:
        done += 1
        fan_out_event(event_id)
    for notification_id in notifications.unmailed()[:SWEEP_BATCH]:
        done += mail_notification(notification_id)
    notifications.lifted_embargoes()  # their events are fanned out by the next sweep at latest
    postmortems.count_lifted_verdicts()  # their verdicts count from the embargo's end
    reports.count_lifted_failures()  # and reports' failures
    return done


@shared_task
def daily_mail() -> dict:
    """Periodic (daily): overdue action items, each digest reader's digest, and each editor's
    list of runbooks due for review."""
    return {
        "overdue": notifications.overdue_action_items(),
        "digests": notifications.send_digests(),
        "stale": notifications.stale_digests(),
    }


@shared_task
def prune_audit() -> int:
    """Periodic (daily): the audit log keeps OPENOPS_AUDIT_DAYS days."""
    from runbooks import audit

    return audit.prune()


# --- Offline copies ------------------------------------------------------------------------------


@receiver(post_save, sender=OfflineCopy, dispatch_uid="openops-offline-copy-requested")
def offline_copy_requested(sender, instance: OfflineCopy, raw: bool = False, **kwargs) -> None:
    """A copy saved waiting for a worker is sent to one once its transaction commits."""
    if instance.state == OfflineCopy.State.QUEUED and not raw:
        key = instance.key
        transaction.on_commit(lambda: publish(build_offline_copy, instance.pk, key))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def build_offline_copy(copy_id: int, key: str) -> bool:
    """Build one user's offline copy (services.offline); a replaced copy is skipped."""
    return offline.build_copy(copy_id, key)


@shared_task
def sweep_offline_copies() -> int:
    """Periodic: remove expired offline copies, and ask again for those left unbuilt."""
    for copy_id, key in offline.stuck():
        publish(build_offline_copy, copy_id, key)
    return offline.remove_expired()


# --- Heartbeat -----------------------------------------------------------------------------------


@shared_task
def heartbeat() -> None:
    """Periodic (beat, every OPENOPS_HEARTBEAT_SECONDS): a worker runs tasks; /readyz/ reads when
    it last did (services.heartbeats)."""
    _last_recorded["at"] = time.monotonic()
    heartbeats.record()


@beat_init.connect(dispatch_uid="openops-first-heartbeat")
def first_heartbeat(sender=None, **kwargs) -> None:
    """Beat asks for a heartbeat as it starts, so /readyz/ knows within seconds of a start (a
    heartbeat left from before the start may be old)."""
    publish(heartbeat)


_last_recorded = {"at": float("-inf")}  # this worker process's last record (time.monotonic)


@task_postrun.connect(dispatch_uid="openops-worker-seen-working")
def worker_seen_working(sender=None, task=None, **kwargs) -> None:
    """A worker finishing tasks is alive even while a backlog holds the heartbeat task up:
    record it at most once an interval (never for tasks run inline)."""
    if task is None or task.request.is_eager:
        return
    now = time.monotonic()
    if now - _last_recorded["at"] >= settings.OPENOPS_HEARTBEAT_SECONDS:
        _last_recorded["at"] = now
        heartbeats.record()
