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
    os.environ.setdefault("OPENOPS_TLS", "false")
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

    from runbooks import demo, services
    from runbooks.choices import Kind
    from runbooks.models import Document

    demo.seed()
    alice = get_user_model().objects.get(username="alice")
    count = 5000 if scale else 500
    for i in range(Document.objects.count(), count):
        services.create_document(
            kind=Kind.RUNBOOK, title=f"Bulk runbook {i}", body=f"## Step\n\n{i}", author=alice
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


def _signed_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", action="store_true", help="larger data sets")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    _setup(args.scale)
    bench_render(args.scale)
    bench_read_page(args.scale)


if __name__ == "__main__":
    main()
