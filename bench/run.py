"""OpenOps benchmarks: `make bench` (small) and `make bench-scale` (larger data).

Runs against a throw-away SQLite file under var/bench/ unless DATABASE_URL is set (then that
database must be empty and disposable). Prints one line per measurement; results worth keeping go
into bench/README.md with the date and the machine.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(scale: bool) -> None:
    if not os.environ.get("DATABASE_URL"):
        folder = Path(tempfile.mkdtemp(prefix="bench-", dir=ROOT / "var"))
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openops.settings")
    os.environ.setdefault("DEBUG", "true")  # as these figures were always taken (no key needed)
    os.environ.setdefault("OPENOPS_TLS", "false")
    os.environ.setdefault("OPENOPS_WEBHOOK_RATE", "1000000")
    os.environ["ALLOWED_HOSTS"] = (
        os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1") + ",testserver"
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _report(name: str, times: list[float], extra: str = "") -> None:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95) - 1] if len(times) >= 20 else times[-1]
    print(
        f"{name:<48} median {statistics.median(times) * 1000:8.2f} ms"
        f"  p95 {p95 * 1000:8.2f} ms  n={len(times)} {extra}"
    )


def bench_render(scale: bool) -> None:
    from runbooks.demo.content import RUNBOOKS
    from runbooks.markdown import render

    bodies = [rev["body"] for spec in RUNBOOKS for rev in spec["revisions"]]
    big = "\n\n".join(bodies * 4)[: 250 * 1024]  # just under the 256 KB limit
    times = [t for body in bodies for t in _timed(lambda b=body: render(b), 5)]
    average = sum(len(b.encode()) for b in bodies) // len(bodies)
    _report(f"render: one demo revision (avg {average // 1024} KB)", times)
    _report(f"render: one {len(big.encode()) // 1024} KB revision", _timed(lambda: render(big), 10))


def bench_read_page(scale: bool) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from runbooks import demo
    from runbooks.choices import Kind
    from runbooks.models import Document
    from runbooks.services import documents

    demo.seed()
    alice = get_user_model().objects.get(username="alice")
    count = 5000 if scale else 500
    for i in range(Document.objects.count(), count):
        documents.create_document(
            kind=Kind.RUNBOOK, title=f"Bulk runbook {i}", body=f"## Step\n\n{i}", actor=alice
        )
    target = Document.objects.filter(kind=Kind.RUNBOOK).order_by("-pk").first()
    for client, who in ((Client(), "anonymous"), (_signed_in(alice), "alice")):
        url = target.get_absolute_url()
        connection.queries_log.clear()  # a full log (seeding ran with DEBUG) would count 0
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url).status_code
        assert status == 200, f"{url} answered {status}"
        _report(
            f"read page ({count} runbooks), {who}",
            _timed(lambda c=client, u=url: c.get(u), 50),
            f"queries={len(queries)}",
        )
        _report(
            f"runbook list page 1 ({count} runbooks), {who}",
            _timed(lambda c=client: c.get("/runbooks/"), 20),
        )


def bench_resolve(scale: bool) -> None:
    """Alert → runbook resolution with 100,000 routes (10,000 with --scale off is not enough to
    show the index; the number is the same either way)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from runbooks import resolution
    from runbooks.models import AlertRoute, Runbook

    runbook = Runbook.objects.filter(provider__isnull=True).first()
    total = 100_000
    missing = total - AlertRoute.objects.count()
    batch = [
        AlertRoute(
            alertname=f"BenchAlert{i}",
            alertname_key=f"benchalert{i}",
            runbook=runbook,
            matchers=[{"label": "severity", "op": "=~", "value": "critical|warning"}],
        )
        for i in range(max(missing, 0))
    ]
    AlertRoute.objects.bulk_create(batch, batch_size=5000)
    labels = {"severity": "critical", "namespace": "demo"}
    names = [f"BenchAlert{i}" for i in range(0, total, total // 200)]
    _report(
        f"resolve() with {AlertRoute.objects.count()} routes",
        [
            t
            for name in names
            for t in _timed(lambda n=name: resolution.resolve(n, labels, None), 1)
        ],
    )
    client = Client()
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        status = client.get("/r/BenchAlert500?severity=critical").status_code
    assert status == 302, status
    _report(
        "GET /r/<alertname> → 302 (100,000 routes)",
        _timed(lambda: client.get("/r/BenchAlert500?severity=critical"), 50),
        f"queries={len(queries)}",
    )


def bench_webhooks(scale: bool) -> None:
    """Webhook bodies accepted per second, and alerts processed per second by one process doing
    what one worker does (intake.process), in-process (no HTTP server, no broker round trip
    for processing)."""
    import json

    from django.test import Client

    from openops.celery import app
    from runbooks.actors import SYSTEM
    from runbooks.models import InboxEntry, Provider, Scope
    from runbooks.services import intake, tokens

    provider = Provider.objects.first()
    secret = tokens.issue_token(
        actor=SYSTEM, name="bench", scopes=[Scope.ALERTS_WRITE], provider=provider
    )[1]
    bodies, per_body = (400, 50) if scale else (200, 20)
    app.conf.task_always_eager = False  # accept only: processing is measured separately
    app.conf.broker_url = os.environ.get("CELERY_BROKER_URL") or "memory://"
    client = Client()
    headers = {"Authorization": f"Bearer {secret}"}

    def body(n):
        alerts = [
            {
                "status": "firing",
                "labels": {"alertname": f"BenchAlert{i}", "pod": f"p{n}-{i}"},
                "annotations": {"summary": "bench"},
                "startsAt": "2026-11-25T19:15:04.640401474Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": f"{n}-{i}",
            }
            for i in range(per_body)
        ]
        return json.dumps({"version": "4", "alerts": alerts})

    payloads = [body(n) for n in range(bodies)]
    first = InboxEntry.objects.count()
    start = time.perf_counter()
    for payload in payloads:
        client.post(
            "/api/v1/alerts/alertmanager/",
            payload,
            content_type="application/json",
            headers=headers,
        )
    accepted = time.perf_counter() - start
    print(f"{'webhooks accepted':<48} {bodies / accepted:8.1f} bodies/s ({per_body} alerts each)")
    ids = list(InboxEntry.objects.filter(pk__gt=first).values_list("pk", flat=True))
    start = time.perf_counter()
    for pk in ids:
        intake.process(pk)
    processed = time.perf_counter() - start
    print(f"{'alerts processed (one process)':<48} {len(ids) * per_body / processed:8.1f} alerts/s")


SEARCHES = ["ceph osd down", "restart nova-compute", "CephOSDDown", '"slow ops"', "disk -ceph"]
TYPED = ["ce", "cep", "ceph o", "CephOS", "nova", "kube"]


def _seed_runbooks(count: int) -> None:
    """`count` runbooks in bulk (the demo texts, varied), one alert route each, then the search
    index built the way `rebuild_search_index` builds it."""
    from django.db import connection, transaction

    from runbooks.choices import Kind, Status, Visibility
    from runbooks.demo.content import RUNBOOKS
    from runbooks.markdown import render
    from runbooks.models import AlertRoute, Document, Revision, Runbook
    from runbooks.search import entries

    texts = [(spec, rev["body"]) for spec in RUNBOOKS for rev in spec["revisions"][-1:]]
    rendered = [(spec, body, render(body)) for spec, body in texts]
    existing = Document.objects.count()
    with transaction.atomic():
        documents = Document.objects.bulk_create(
            Document(
                kind=Kind.RUNBOOK,
                slug=f"bench-{i}",
                title=f"{rendered[i % len(rendered)][0]['title']} ({i})",
                status=Status.PUBLISHED,
                visibility=Visibility.PUBLIC,
            )
            for i in range(existing, count)
        )
        for document in documents:
            Runbook(document_ptr_id=document.pk, component="bench").save_base(raw=True)
        revisions = Revision.objects.bulk_create(
            Revision(
                document=document,
                number=1,
                title=document.title,
                body=rendered[n % len(rendered)][1] + f"\nhost stor{n}\n",
                html=rendered[n % len(rendered)][2].html + f"<p>host stor{n}</p>",
                toc=rendered[n % len(rendered)][2].toc,
            )
            for n, document in enumerate(documents)
        )
        for document, revision in zip(documents, revisions, strict=True):
            document.current_revision = revision
        Document.objects.bulk_update(documents, ["current_revision"], batch_size=1000)
        AlertRoute.objects.bulk_create(
            AlertRoute(
                runbook_id=d.pk, alertname=f"BenchAlert{n}Down", alertname_key=f"benchalert{n}down"
            )
            for n, d in enumerate(documents)
        )
    start = time.perf_counter()
    entries.rebuild()
    print(f"search index of {count} documents built in {time.perf_counter() - start:.1f} s")
    with connection.cursor() as cursor:  # planner statistics, as a live database has them
        cursor.execute("ANALYZE")


def _percentiles(times: list[float]) -> str:
    times = sorted(times)
    p99 = times[max(int(len(times) * 0.99) - 1, 0)]
    return f"p50 {statistics.median(times) * 1000:7.2f} ms  p99 {p99 * 1000:7.2f} ms"


def bench_search(scale: bool) -> None:
    """Search and suggestions at 2,000 (10,000 with --scale) runbooks, over the test client
    (the whole request) for an anonymous visitor and a signed-in reader."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from runbooks import demo

    demo.seed()
    count = 10_000 if scale else 2_000
    _seed_runbooks(count)
    alice = get_user_model().objects.get(username="alice")
    for client, who in ((Client(), "anonymous"), (_signed_in(alice), "alice")):
        for name, url, queries in (
            ("search", "/api/v1/search/", SEARCHES),
            ("suggest", "/api/v1/search/suggest/", TYPED),
        ):
            for query in queries:  # warm up
                assert client.get(url, {"q": query}).status_code == 200
            times = []
            for _ in range(40):
                for query in queries:
                    start = time.perf_counter()
                    client.get(url, {"q": query})
                    times.append(time.perf_counter() - start)
            label = f"{name} ({count} runbooks, {connection.vendor}), {who:<9}"
            print(f"{label} {_percentiles(times)}  n={len(times)}")


def _signed_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


BENCHES = {
    "render": bench_render,
    "read": bench_read_page,
    "resolve": bench_resolve,
    "webhooks": bench_webhooks,
    "search": bench_search,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", action="store_true", help="larger data sets")
    parser.add_argument("--only", choices=sorted(BENCHES), help="run one benchmark")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    _setup(args.scale)
    for name, bench in BENCHES.items():
        if args.only in (None, name):
            bench(args.scale)


if __name__ == "__main__":
    main()
