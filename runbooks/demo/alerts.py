"""A month of received alerts for the demo, sent through the real intake path.

Every notification is an Alertmanager (webhook v4) or Grafana body, stored as an inbox row and
processed by `intake.process` exactly as a webhook would be; afterwards the timestamps that
processing sets to "now" are moved back to when the notification was sent, so the firing
history, the timelines and the missing-runbooks list look lived in.

Idempotent: demo alerts carry fingerprints starting with `demo`, which real (hexadecimal)
fingerprints never do; if any exists, nothing is sent again.
"""

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from django.db.models import Max, Min
from django.utils import timezone

from runbooks import links, payloads
from runbooks.actors import SYSTEM
from runbooks.demo.content import RUNBOOKS
from runbooks.models import (
    Alert,
    AlertEvent,
    AlertRoute,
    InboxEntry,
    Provider,
    Runbook,
    RunbookMiss,
)
from runbooks.services import intake
from runbooks.services.routes import record_miss, save_route

FINGERPRINT_PREFIX = "demo"
ALL = ("nordwolke", "alpenstack", "hansecloud")
# Hanse Cloud alerts from Grafana; the others run Prometheus Alertmanager.
SOURCES = {"nordwolke": "alertmanager", "alpenstack": "alertmanager", "hansecloud": "grafana"}
REPEAT = timedelta(hours=4)  # Alertmanager's repeat_interval
MAX_REPEATS = 3

# (alert name, providers that receive it, how many times in the month, severity, labels)
# Label values are templates filled with a small number `n`.
SCHEDULE = [
    ("NovaComputeServiceDown", ALL, 7, "critical", {"hostname": "cmp{n:03d}"}),
    ("CephOSDDown", ALL, 9, "warning", {"ceph_daemon": "osd.{n}", "hostname": "stor{n:02d}"}),
    ("CephScrubErrors", ("nordwolke", "hansecloud"), 3, "warning", {"pool": "volumes"}),
    (
        "KubePodCrashLooping",
        ALL,
        8,
        "warning",
        {"namespace": "tenant-{n}", "pod": "api-{n}f7c9", "container": "api"},
    ),
    ("KubeNodeNotReady", ("alpenstack", "hansecloud"), 4, "warning", {"node": "k8s-w{n:02d}"}),
    ("NodeFilesystemFillingUp", ALL, 5, "warning", {"instance": "ctl{n:02d}", "mountpoint": "/"}),
    ("OVNControllerDown", ("nordwolke",), 3, "critical", {"hostname": "net{n:02d}"}),
    ("KeystoneTokenValidationErrors", ("alpenstack",), 3, "critical", {"service": "keystone"}),
    ("CephSlowOps", ("hansecloud",), 4, "warning", {"ceph_daemon": "osd.{n}"}),
    # No runbook anywhere yet: these fill /alerts/missing/.
    ("RabbitMQQueueGrowing", ALL, 5, "warning", {"queue": "notifications.info"}),
    ("HAProxyBackendDown", ("nordwolke", "alpenstack"), 3, "critical", {"backend": "nova_api"}),
    ("GaleraClusterSizeLow", ("hansecloud",), 2, "critical", {"cluster": "galera-ctl"}),
    ("NTPClockSkewHigh", ("alpenstack",), 2, "warning", {"instance": "ctl{n:02d}"}),
]
# Alerts still firing when the demo is loaded: (name, provider, minutes since they started).
FIRING_NOW = [
    ("CephOSDDown", "nordwolke", 35),
    ("KubePodCrashLooping", "alpenstack", 140),
    ("RabbitMQQueueGrowing", "hansecloud", 20),
]
# /r/ links that led nowhere, with no provider known: (name, times, days ago).
LINK_MISSES = [("SwiftProxyErrorRateHigh", 4, 2), ("PowerSupplyFailed", 2, 9)]


@dataclass
class DemoAlert:
    name: str
    provider: str
    severity: str
    labels: dict
    starts_at: datetime
    ends_at: datetime | None  # None: still firing
    sent: list[datetime] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        key = json.dumps([self.provider, sorted(self.labels.items())])
        return FINGERPRINT_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:12]


def seed_alerts() -> None:
    """Routes for every demo runbook's alerts, then a month of alerts (once)."""
    for spec in RUNBOOKS:
        _seed_routes(spec)
    if Alert.objects.filter(fingerprint__startswith=FINGERPRINT_PREFIX).exists():
        return
    providers = {p.slug: p for p in Provider.objects.filter(slug__in=ALL)}
    for when, alert, resolved in _notifications(plan(timezone.now())):
        _send(providers[alert.provider], alert, when, resolved)
    _backdate_misses()
    for name, times, days_ago in LINK_MISSES:
        record_miss(name, None, times=times)
        RunbookMiss.objects.filter(alertname=name, provider=None).update(
            last_seen=timezone.now() - timedelta(days=days_ago, hours=3)
        )


def _seed_routes(spec: dict) -> None:
    """A plain route per alert name: community runbooks get community routes, a provider's
    runbooks routes scoped to that provider."""
    runbook = Runbook.objects.filter(slug=spec["slug"]).first()
    if runbook is None:
        return
    for name in spec.get("alerts", []):
        routes = AlertRoute.objects.filter(
            alertname_key=name.casefold(), provider=runbook.provider, runbook=runbook
        )
        if not routes.exists():
            save_route(actor=SYSTEM, alertname=name, runbook=runbook, provider=runbook.provider)


def plan(now: datetime, seed: int = 7) -> list[DemoAlert]:
    """The month's alerts, the same every time for the same `now`."""
    rng = random.Random(seed)
    alerts = []
    for name, providers, times, severity, templates in SCHEDULE:
        for _ in range(times):
            n = rng.randrange(1, 40)
            labels = {"alertname": name, "severity": severity}
            labels |= {key: value.format(n=n) for key, value in templates.items()}
            starts = _whole_seconds(now - timedelta(days=rng.uniform(0.3, 29.5)))
            ends = starts + timedelta(minutes=rng.choice([6, 12, 25, 45, 90, 200, 380]))
            alerts.append(DemoAlert(name, rng.choice(providers), severity, labels, starts, ends))
    for name, provider, minutes in FIRING_NOW:
        severity, templates = next((s[3], s[4]) for s in SCHEDULE if s[0] == name)
        labels = {"alertname": name, "severity": severity}
        labels |= {key: value.format(n=7) for key, value in templates.items()}
        starts = _whole_seconds(now - timedelta(minutes=minutes))
        alerts.append(DemoAlert(name, provider, severity, labels, starts, None))
    for alert in alerts:
        alert.sent = _send_times(alert, now)
    return alerts


def _whole_seconds(value: datetime) -> datetime:
    """Senders write seconds here; the stored key must match what the body says."""
    return value.replace(microsecond=0)


def _send_times(alert: DemoAlert, now: datetime) -> list[datetime]:
    """When Alertmanager would notify: after group_wait, every repeat_interval, on resolve."""
    first = alert.starts_at + timedelta(seconds=30)
    until = alert.ends_at or now
    times = [first + REPEAT * k for k in range(MAX_REPEATS) if first + REPEAT * k < until]
    if alert.ends_at:
        times.append(alert.ends_at + timedelta(minutes=1))
    return [t for t in times if t < now] or [min(first, now)]


def _notifications(alerts: list[DemoAlert]):
    """(when, alert, resolved) for every notification, oldest first."""
    events = []
    for alert in alerts:
        for index, when in enumerate(alert.sent):
            resolved = alert.ends_at is not None and index == len(alert.sent) - 1
            events.append((when, alert, resolved))
    return sorted(events, key=lambda event: event[0])


def _rfc3339(value: datetime | None) -> str:
    if value is None:
        return "0001-01-01T00:00:00Z"
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _raw_alert(alert: DemoAlert, resolved: bool) -> dict:
    """One alert as Alertmanager and Grafana put it in a webhook body."""
    provider, host = alert.provider, f"{alert.provider}.example"
    raw = {
        "status": "resolved" if resolved else "firing",
        "labels": alert.labels,
        "annotations": {
            "summary": f"{alert.name} on {_subject(alert.labels)}",
            "runbook_url": links.absolute(links.alert_url(alert.name)),
        },
        "startsAt": _rfc3339(alert.starts_at),
        "endsAt": _rfc3339(alert.ends_at if resolved else None),
        "fingerprint": alert.fingerprint,
    }
    if SOURCES[provider] == "grafana":
        uid = alert.fingerprint[-8:]
        raw["generatorURL"] = f"https://grafana.{host}/alerting/grafana/{uid}/view"
        raw["silenceURL"] = (
            f"https://grafana.{host}/alerting/silence/new?matcher=alertname%3D{alert.name}"
        )
        raw["dashboardURL"] = f"https://grafana.{host}/d/{uid}"
        raw["panelURL"] = f"https://grafana.{host}/d/{uid}?viewPanel=2"
        raw["values"] = {"A": round(random.Random(uid).uniform(1, 100), 1), "C": 1}
    else:
        expr = quote(f'ALERTS{{alertname="{alert.name}"}}')
        raw["generatorURL"] = f"https://prometheus.{host}/graph?g0.expr={expr}&g0.tab=1"
    return raw


def _subject(labels: dict) -> str:
    keys = ("hostname", "node", "instance", "ceph_daemon", "pod", "backend", "queue", "pool")
    return next((labels[k] for k in keys if k in labels), "the cluster")


def _body(alert: DemoAlert, resolved: bool) -> bytes:
    raw = _raw_alert(alert, resolved)
    group = {"alertname": alert.name}
    body = {
        "receiver": "openops",
        "status": raw["status"],
        "alerts": [raw],
        "groupLabels": group,
        "commonLabels": alert.labels,
        "commonAnnotations": raw["annotations"],
        "externalURL": f"https://alertmanager.{alert.provider}.example",
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{alert.name}"}}',
        "truncatedAlerts": 0,
    }
    if SOURCES[alert.provider] == "grafana":
        state = "ok" if resolved else "alerting"
        body |= {"version": "1", "orgId": 1, "state": state, "title": alert.name}
    return json.dumps(body).encode()


def _send(provider: Provider, alert: DemoAlert, when: datetime, resolved: bool) -> None:
    deliver(provider, SOURCES[provider.slug], _body(alert, resolved), when)


def deliver(provider: Provider, source: str, body: bytes, when: datetime) -> InboxEntry:
    """Store and process one body, then move what processing stamped "now" back to `when`."""
    entry = intake.accept_piped(provider, source, body, payloads.parse(body, source, when))
    InboxEntry.objects.filter(pk=entry.pk).update(received_at=when)  # times a body leaves out
    intake.process(entry.pk)
    done = InboxEntry.objects.filter(pk=entry.pk, processed_at__isnull=False)
    if not done.update(processed_at=when):
        entry.refresh_from_db()
        raise RuntimeError(f"A demo alert body could not be processed: {entry.error}")
    AlertEvent.objects.filter(inbox_entry=entry).update(received_at=when)
    touched = Alert.objects.filter(events__inbox_entry=entry)
    touched.update(last_seen=when)
    touched.exclude(events__received_at__lt=when).update(first_seen=when)  # opened by it
    return entry


def _backdate_misses() -> None:
    """Misses were counted "now"; date each by the alerts of its name and provider."""
    for miss in RunbookMiss.objects.filter(provider__slug__in=ALL):
        seen = Alert.objects.filter(
            provider_id=miss.provider_id, alertname__iexact=miss.alertname
        ).aggregate(first=Min("first_seen"), last=Max("last_seen"))
        if seen["last"]:
            RunbookMiss.objects.filter(pk=miss.pk).update(
                first_seen=seen["first"], last_seen=seen["last"]
            )
