"""The write path for received alerts (DESIGN §5).

`accept` stores a webhook body as received (the caller schedules its processing:
`runbooks.tasks.process_on_commit`); `process` turns a stored body into Alert rows. Processing
is idempotent: the body is marked processed in the same transaction that writes its alerts, so
running it twice (a worker killed before acknowledging, a sweep that
re-enqueues) changes nothing the second time.
"""

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from runbooks import pagecache, payloads, resolution
from runbooks.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    Event,
    InboxEntry,
    Provider,
    Runbook,
    Token,
)
from runbooks.models.runbooks import CRITICAL_REVIEW_DAYS
from runbooks.visibility import token_may_send_alerts

from . import events
from .base import NotAllowed
from .routes import record_miss

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def accept(token: Token, source: str, body: bytes, parsed: payloads.ParsedBody) -> InboxEntry:
    """Store the body (bytes, as received), for the token's provider. The token is the actor:
    it must still be allowed to send that provider's alerts."""
    if not token_may_send_alerts(token):
        raise NotAllowed("This token may not send alerts for its provider.")
    return _store(token.provider, token, source, body, parsed)


def accept_piped(provider: Provider, source: str, body: bytes, parsed) -> InboxEntry:
    """Store a body handed over on this machine (an MTA's pipe to `receive_alarm_mail`): whoever
    may run the management command acts for the provider it names."""
    return _store(provider, None, source, body, parsed)


def _store(provider, token, source, body, parsed) -> InboxEntry:
    return InboxEntry.objects.create(
        provider=provider,
        token=token,
        source=source,
        body=body,
        alert_count=sum(alert.repeats for alert in parsed.alerts),
        truncated_alerts=parsed.truncated_alerts,
    )


def stale_entries(older_than: timedelta | None = None):
    """Bodies still unprocessed after a short delay (the sweep enqueues them again)."""
    cutoff = timezone.now() - (
        older_than if older_than is not None else settings.OPENOPS_SWEEP_AFTER
    )
    return InboxEntry.objects.filter(
        processed_at__isnull=True, failed_at__isnull=True, received_at__lte=cutoff
    )


def process(entry_id: int) -> None:
    """Parse, deduplicate, resolve and link one stored body; safe to run any number of times.

    The body is parsed before the transaction that writes: on SQLite that transaction holds the
    database's one write lock from its first statement, and parsing holds none (a stored body
    never changes). A failure rolls everything back and is counted on the entry (the sweep
    tries again).
    """
    try:
        parsed = _parse_pending(entry_id)
        if parsed is None:
            return  # gone, done, or given up on
        with transaction.atomic(), pagecache.stamping_once():  # the pages stamped at its end
            entry = (
                InboxEntry.objects.select_for_update()
                .select_related("provider")
                .filter(pk=entry_id, processed_at__isnull=True, failed_at__isnull=True)
                .first()
            )
            if entry is None:
                return  # done meanwhile by another run
            _record(entry, parsed)
            entry.processed_at = timezone.now()
            entry.save(update_fields=["processed_at"])
    except Exception as exc:  # a bug or bad data: keep the body, count, try again later
        log.exception("Processing inbox entry %s failed", entry_id)
        _failed_attempt(entry_id, exc)


def _parse_pending(entry_id: int) -> payloads.ParsedBody | None:
    """The stored body parsed, outside any transaction; None unless it still waits."""
    pending = (
        InboxEntry.objects.filter(pk=entry_id, processed_at__isnull=True, failed_at__isnull=True)
        .values_list("body", "source", "received_at")
        .first()
    )
    if pending is None:
        return None
    body, source, received_at = pending
    return payloads.parse(bytes(body), source, received_at)


def _failed_attempt(entry_id: int, exc: Exception) -> None:
    """Count the attempt; after a few the body is kept, marked failed and shown to staff."""
    with transaction.atomic():
        entry = InboxEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            return
        entry.attempts += 1
        entry.error = f"{type(exc).__name__}: {exc}"[:2000]
        if entry.attempts >= MAX_ATTEMPTS:
            entry.failed_at = timezone.now()
            log.error(
                "Inbox entry %s failed %s times; giving up: %s", entry_id, entry.attempts, exc
            )
        entry.save(update_fields=["attempts", "error", "failed_at"])


def _record(entry: InboxEntry, parsed: payloads.ParsedBody) -> None:
    """Upsert the body's alerts in a fixed number of queries, then their timeline events."""
    provider, now = entry.provider, timezone.now()
    incoming = _deduplicate(parsed.alerts)
    if parsed.recovered or any(a.continues_open for a in incoming.values()):
        # Alerts named by key alone have no unique instance key to meet on: one such body
        # of a provider at a time, so that two triggers cannot both open the same alert.
        Provider.objects.select_for_update().filter(pk=provider.pk).first()
    rows = Alert.objects.select_for_update().filter(
        provider=provider, fingerprint__in={a.fingerprint for a in incoming.values()}
    )
    existing = {(a.fingerprint, a.starts_at): a for a in rows}
    still_firing = {  # the latest that still fires, for senders that name alerts by key alone
        a.fingerprint: a
        for a in sorted(existing.values(), key=lambda a: a.starts_at)
        if a.status == AlertStatus.FIRING and a.source == entry.source
    }
    resolver = resolution.Resolver(provider, {a.alertname for a in incoming.values()})
    new, changed, events = [], [], []
    for key, parsed_alert in incoming.items():
        if parsed_alert.continues_open:
            alert = still_firing.get(parsed_alert.fingerprint)
            if alert is None and parsed_alert.status != AlertStatus.FIRING:
                continue  # acknowledges or resolves nothing that fires: kept in the inbox only
            if alert is None:
                _free_start(parsed_alert, existing)
        else:
            alert = existing.get(key)
        if alert is None:
            alert = _new_alert(entry, parsed_alert, now)
            alert.runbook_id = resolver.runbook_id_for(parsed_alert.alertname, parsed_alert.labels)
            new.append(alert)
        else:
            _update_alert(alert, parsed_alert, now)
            changed.append(alert)
        events.append(
            AlertEvent(alert=alert, inbox_entry=entry, status=parsed_alert.status, received_at=now)
        )
    for selector in parsed.recovered:
        for alert in _firing_with_labels(provider, entry.source, selector):
            alert.status, alert.last_seen = AlertStatus.RESOLVED, now
            alert.ends_at = parsed.recovered_at or now
            alert.notifications += 1
            changed.append(alert)
            events.append(
                AlertEvent(
                    alert=alert, inbox_entry=entry, status=AlertStatus.RESOLVED, received_at=now
                )
            )
    # Both supported databases return the new rows' ids here (PostgreSQL, SQLite >= 3.35),
    # so the events below can point at them without reading the alerts again.
    Alert.objects.bulk_create(new)
    Alert.objects.bulk_update(
        changed, ["status", "ends_at", "annotations", "extra", "last_seen", "notifications"]
    )
    AlertEvent.objects.bulk_create(events, ignore_conflicts=True)
    misses = Counter(alert.alertname for alert in new if alert.runbook_id is None)
    for alertname, times in sorted(misses.items()):  # one write per name, not per alert
        record_miss(alertname, provider, times)
    _freshness(provider, new, now)


def _firing_with_labels(provider, source: str, selector: dict[str, str]):
    alerts = Alert.objects.select_for_update().filter(
        provider=provider, source=source, status=AlertStatus.FIRING
    )
    for name, value in selector.items():
        alerts = alerts.filter(**{f"labels__{name}": value})
    return alerts


def _free_start(parsed: payloads.ParsedAlert, existing: dict) -> None:
    """A new alert of a sender that names alerts by key alone may come with the start time of
    one it resolved before (a trigger after a resolve, same timestamp): move it on by a
    microsecond so that it is a new instance, as the sender means."""
    while (parsed.fingerprint, parsed.starts_at) in existing:
        parsed.starts_at += timedelta(microseconds=1)


def _freshness(provider, new: list[Alert], now) -> None:
    """A critical alert caps its runbook's review interval (it may bring the review nearer,
    never put it off: an alert is no review); an alert that opens a runbook due for review
    tells the receiving provider's editors (once a day per runbook). One read of the runbooks
    the body's new alerts opened; writes only for what changes."""
    fired = {a.runbook_id for a in new if a.runbook_id}
    if not fired:
        return
    critical = {
        a.runbook_id for a in new if a.runbook_id and a.labels.get("severity") == "critical"
    }
    runbooks = list(Runbook.objects.filter(pk__in=fired).order_by("pk"))
    newly = [r.pk for r in runbooks if r.pk in critical and r.critical_since is None]
    if newly:  # the first critical alert of these runbooks
        Runbook.objects.filter(pk__in=newly).update(critical_since=now)
    capped = []
    for runbook in runbooks:
        if runbook.pk in critical and runbook.review_interval_days > CRITICAL_REVIEW_DAYS:
            runbook.review_interval_days = CRITICAL_REVIEW_DAYS
            due = runbook.reschedule_review()
            runbook.save(update_fields=["review_interval_days", *due])
            capped.append(runbook.pk)
        if runbook.stale:
            key = f"stale-fired:{runbook.pk}:{provider.pk}:{now:%Y-%m-%d}"
            events.record(Event.Kind.STALE_FIRED, runbook, provider=provider, key=key)
    pagecache.touch([*newly, *capped])


def _deduplicate(alerts: list[payloads.ParsedAlert]) -> dict:
    """One entry per instance, (fingerprint, startsAt) or, for a sender that names alerts by key
    alone, the fingerprint; a later duplicate in the same body wins."""
    return {(a.fingerprint, None if a.continues_open else a.starts_at): a for a in alerts}


def _new_alert(entry: InboxEntry, parsed: payloads.ParsedAlert, now) -> Alert:
    return Alert(
        provider=entry.provider,
        source=entry.source,
        fingerprint=parsed.fingerprint,
        alertname=parsed.alertname,
        status=AlertStatus.FIRING if parsed.status == payloads.ACKNOWLEDGED else parsed.status,
        labels=parsed.labels,
        annotations=parsed.annotations,
        extra=parsed.extra,
        starts_at=parsed.starts_at,
        ends_at=parsed.ends_at,
        generator_url=parsed.generator_url,
        last_seen=now,
        notifications=parsed.repeats,
    )


def _update_alert(alert: Alert, parsed: payloads.ParsedAlert, now) -> None:
    """A resend or a state change. Resolved stays resolved (a late firing resend of the same
    instance must not reopen it); empty annotations keep the stored ones, because
    Alertmanager sends them empty on resolve. An acknowledgement leaves the alert firing and
    adds to what is known of it (a sender naming alerts by key alone adds, never replaces)."""
    if alert.status != AlertStatus.RESOLVED and parsed.status != payloads.ACKNOWLEDGED:
        alert.status = parsed.status
        alert.ends_at = parsed.ends_at
    if parsed.annotations:
        alert.annotations = parsed.annotations
    if parsed.extra:
        alert.extra = {**alert.extra, **parsed.extra} if parsed.continues_open else parsed.extra
    alert.last_seen = now
    alert.notifications += parsed.repeats
