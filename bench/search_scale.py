"""Search at scale, one request at a time (issue 32): `python bench/search_scale.py seed N`
adds bench runbooks (`bench/seed.py`: ~3 KB each, one route each) up to N and rebuilds the
index; `python bench/search_scale.py measure` times whole requests through the in-process test
client for queries from broad to narrow, for an anonymous visitor and a signed-in reader, and
prints p50 (wall clock, and this process's CPU: on SQLite all of the work, on PostgreSQL all
but the server's), the slowest of ROUNDS, and the queries of one request.

The database is DATABASE_URL (SQLite file or PostgreSQL; disposable). The code measured is the
checkout the script runs from, so two checkouts can be measured against one seeded database in
one run (before / after)."""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The broad one matches every bench runbook; the rest from narrow to broad.
QUERIES = ["restart ceph", "BenchAlert4242", "ceph osd down", '"slow ops"', "disk -ceph"]
ROUNDS = 30


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openops.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("OPENOPS_TLS", "false")
    os.environ["ALLOWED_HOSTS"] = "localhost,127.0.0.1,testserver"
    import django

    django.setup()


def seed(count: int) -> None:
    """As `bench/seed.py` seeds; the text of each rendered variant is read once (the bench's
    runbooks share 24 texts), which makes indexing 100,000 of them minutes shorter."""
    from functools import lru_cache

    from django.core.management import call_command

    from bench import seed as bulk
    from runbooks import markdown
    from runbooks.models import Document, Provider

    markdown.text_of = lru_cache(maxsize=256)(markdown.text_of)

    call_command("migrate", verbosity=0)
    if not Provider.objects.exists():
        bulk.seed(0, 0, 0)
    have = Document.objects.filter(slug__startswith="bench-").count()
    if count > have:
        bulk.add_runbooks(have, count)


def _client(who: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    if who != "anonymous":
        client.force_login(get_user_model().objects.get(username=who))
    return client


def measure() -> None:
    from django.db import connection

    from runbooks.models import Document

    count = Document.objects.filter(slug__startswith="bench-").count()
    print(f"{connection.vendor}, {count} bench runbooks, load {os.getloadavg()[0]:.2f}")
    for who in ("anonymous", "alice"):
        client = _client(who)
        for query in QUERIES:
            url = f"/api/v1/search/?q={query}"
            response = client.get("/api/v1/search/", {"q": query})  # warm up
            assert response.status_code == 200, response.content[:300]
            queries = []  # counted by a wrapper: the connection closes after each request

            def counted(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(counted):
                client.get("/api/v1/search/", {"q": query})
            times, cpu = [], []
            for _ in range(ROUNDS):
                start, started = time.perf_counter(), time.process_time()
                client.get("/api/v1/search/", {"q": query})
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - started)
            times.sort()
            print(
                f"  {who:<9} {url:<40} p50 {statistics.median(times) * 1000:8.1f} ms"
                f" (CPU here {statistics.median(cpu) * 1000:6.1f} ms)"
                f"  max {times[-1] * 1000:8.1f} ms  queries {len(queries)}"
                f"  count {response.json()['count']}"
            )


if __name__ == "__main__":
    _setup()
    if sys.argv[1] == "seed":
        seed(int(sys.argv[2]))
    else:
        measure()
