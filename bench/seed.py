"""Realistic data in bulk for the HTTP benchmarks: the demo (providers, people, a month of
alerts), then `runbooks` runbooks of about 3 KB of Markdown each (a code block, a table,
numbered steps), three revisions each, `routes` alert routes and `alerts` received alerts.

Markdown is rendered once per distinct text and the rendered revisions are inserted in bulk,
the way an import would leave them; the search index is built as `rebuild_search_index` builds
it. Runbook names follow `BenchAlert<n>`: runbook n answers `BenchAlert<n>` (and every tenth
route adds a label matcher).
"""

import random
import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

VARIANTS = 24
SERVICES = ["nova", "neutron", "cinder", "ceph", "octavia", "keystone", "glance", "kubernetes"]
VERBS = ["restart", "drain", "fail over", "rebalance", "re-sync", "rotate"]


def markdown_text(n: int) -> str:
    """About 3 KB of runbook Markdown, different for each n."""
    rng = random.Random(n)
    service, verb = rng.choice(SERVICES), rng.choice(VERBS)
    host = f"{service[:3]}{rng.randrange(1, 40):02d}"
    rows = "\n".join(
        f"| `{service}_{metric}` | {rng.randrange(50, 99)} % | {rng.randrange(1, 15)} min |"
        for metric in ("cpu", "queue_depth", "latency_p99", "errors", "saturation", "restarts")
    )
    steps = "\n".join(
        f"{i}. {rng.choice(VERBS).capitalize()} the {service} agent on `{host}` and wait until "
        f"`openstack {service} service list` shows it up again; compare with the dashboard."
        for i in range(1, 9)
    )
    return f"""## Meaning

The {service} service on `{host}` stopped answering its health check. Clients see errors or
time-outs; the scheduler stops placing new work on the affected hosts until it is back. This
alert fires when more than one probe in a row fails, so one lost packet does not wake anyone.

## Impact

Tenants in the affected availability zone cannot create or change resources that depend on
{service}. Existing workloads usually keep running; watch the error budget on the dashboard.

## Diagnosis

```bash
openstack {service} service list --long
journalctl -u {service}-api --since "30 min ago" | grep -iE "error|timeout" | tail -n 50
ss -tnp | grep -c ':5672'
ceph -s && ceph health detail | head -n 20
```

| metric | page at | for |
|---|---|---|
{rows}

## Mitigation

{steps}

## Verification

```bash
openstack {service} service list -f value -c Host -c State | sort | uniq -c
curl -s -o /dev/null -w '%{{http_code}} %{{time_total}}\\n' https://{service}.internal:8774/
```

The service counts as back when every host reports `up` for ten minutes and the probe's error
rate on the dashboard is under one percent again. Leave the silence in place until then.

## Background

The probe calls the API through the same load balancer the tenants use, so it also catches a
broken backend pool. It does not see message-queue trouble directly: a full queue shows as
slow answers first, then as time-outs. Compare with the RabbitMQ queue depth before restarting.

## Escalation

If the service does not recover within 15 minutes, {verb} it on the next host, then page the
{service} owners. Write down what you did and when: the post-mortem needs the timeline.
"""


def seed(runbooks: int, routes: int, alerts: int, log=print) -> dict:
    """Bulk data for `runbooks`/`routes`/`alerts`; returns facts the benchmark needs."""
    from runbooks import demo

    started = time.perf_counter()
    demo.seed()
    log(f"demo data in {time.perf_counter() - started:.1f} s")
    _runbooks(0, runbooks, log)
    _routes(routes, runbooks, log)
    _alerts(alerts, runbooks, log)
    _index(log)
    return {"runbooks": runbooks, "routes": routes, "alerts": alerts}


def add_runbooks(start: int, stop: int, log=print) -> None:
    """Runbooks `start` to `stop` - 1, one route each (`BenchAlert<n>`), then the index."""
    from runbooks.models import AlertRoute, Document

    _runbooks(start, stop, log)
    ids = Document.objects.filter(slug__startswith="bench-").values_list("slug", "pk")
    by_number = {int(slug.removeprefix("bench-")): pk for slug, pk in ids}
    AlertRoute.objects.bulk_create(
        (
            AlertRoute(
                alertname=f"BenchAlert{n}", alertname_key=f"benchalert{n}", runbook_id=by_number[n]
            )
            for n in range(start, stop)
        ),
        batch_size=5000,
    )
    _index(log)


def _runbooks(start: int, count: int, log) -> None:
    from runbooks.choices import Kind, Status, Visibility
    from runbooks.markdown import render
    from runbooks.models import Document, Revision, Runbook

    started = time.perf_counter()
    texts = [markdown_text(n) for n in range(VARIANTS)]
    rendered = [render(text) for text in texts]
    now = timezone.now()
    with transaction.atomic():
        documents = Document.objects.bulk_create(
            (
                Document(
                    kind=Kind.RUNBOOK,
                    slug=f"bench-{n}",
                    title=f"BenchAlert{n}: {SERVICES[n % len(SERVICES)]} not answering",
                    status=Status.PUBLISHED,
                    visibility=Visibility.PUBLIC,
                )
                for n in range(start, count)
            ),
            batch_size=2000,
        )
        due = now + timedelta(days=150)
        with connection.cursor() as cursor:  # the Runbook half of each row, in one statement
            cursor.executemany(
                f"INSERT INTO {Runbook._meta.db_table} (document_ptr_id, component, "
                "review_interval_days, review_due_at, source_name, front_matter, "
                "incident_uses, review_due_reason, placeholder_labels) "
                "VALUES (%s, %s, 180, %s, '', '', 0, '', '{}')",
                [(d.pk, SERVICES[n % len(SERVICES)], due) for n, d in enumerate(documents, start)],
            )
        revisions = []
        for n, document in enumerate(documents, start):
            for number in (1, 2, 3):
                variant = (n + number) % VARIANTS
                revisions.append(
                    Revision(
                        document=document,
                        number=number,
                        parent=number - 1 or None,
                        title=document.title,
                        body=texts[variant],
                        html=rendered[variant].html,
                        toc=rendered[variant].toc,
                        message=f"revision {number}",
                        created_at=now - timedelta(days=30 - 10 * number),
                    )
                )
        Revision.objects.bulk_create(revisions, batch_size=2000)
        latest = dict(
            Revision.objects.filter(document__in=[d.pk for d in documents], number=3).values_list(
                "document_id", "pk"
            )
        )
        for document in documents:
            document.current_revision_id = latest[document.pk]
        Document.objects.bulk_update(documents, ["current_revision"], batch_size=2000)
    log(f"{count - start} runbooks, 3 revisions each, in {time.perf_counter() - started:.1f} s")


def _routes(count: int, runbooks: int, log) -> None:
    from runbooks.models import AlertRoute, Document

    started = time.perf_counter()
    ids = list(
        Document.objects.filter(slug__startswith="bench-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    AlertRoute.objects.bulk_create(
        (
            AlertRoute(
                alertname=f"BenchAlert{n}",
                alertname_key=f"benchalert{n}",
                runbook_id=ids[n % runbooks],
                matchers=(
                    [{"label": "severity", "op": "=~", "value": "critical|warning"}]
                    if n % 10 == 0
                    else []
                ),
            )
            for n in range(count)
        ),
        batch_size=5000,
    )
    log(f"{count} alert routes in {time.perf_counter() - started:.1f} s")


def _alerts(count: int, runbooks: int, log) -> None:
    """Received alerts over the last 30 days, linked to the runbooks (the firing history)."""
    from runbooks.models import Alert, AlertSource, Document, Provider

    started = time.perf_counter()
    provider = Provider.objects.get(slug="nordwolke")
    ids = list(
        Document.objects.filter(slug__startswith="bench-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    rng = random.Random(7)
    rows = []
    for n in range(count):
        starts = now - timedelta(minutes=rng.randrange(30 * 24 * 60))
        rows.append(
            Alert(
                provider=provider,
                source=AlertSource.ALERTMANAGER,
                fingerprint=f"bench{n:08x}",
                alertname=f"BenchAlert{n % runbooks}",
                status="resolved",
                labels={"alertname": f"BenchAlert{n % runbooks}", "severity": "warning"},
                annotations={"summary": "bench"},
                starts_at=starts,
                ends_at=starts + timedelta(minutes=20),
                runbook_id=ids[n % runbooks],
                last_seen=starts + timedelta(minutes=20),
            )
        )
    Alert.objects.bulk_create(rows, batch_size=5000)
    log(f"{count} received alerts in {time.perf_counter() - started:.1f} s")


def _index(log) -> None:
    from runbooks.search import entries

    started = time.perf_counter()
    entries.rebuild()
    with connection.cursor() as cursor:  # planner statistics, as a live database has them
        cursor.execute("ANALYZE")
    log(f"search index and ANALYZE in {time.perf_counter() - started:.1f} s")
