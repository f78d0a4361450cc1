"""`make bench-offline`: how long an offline copy of 1,000 runbooks takes, and how big it is.

Seeds the demo and `--runbooks` bulk runbooks (bench/seed.py: ~3 KB of Markdown each, one
alert route each) into a fresh SQLite file under var/bench/ (or the empty, disposable database
DATABASE_URL names), then times, for the demo's editor alice: `export_site` to a new folder,
the same export again (nothing changed: nothing rewritten), and the zip a worker builds for the
download. Figures go to bench/results/<date>-<database>-offline.json.
"""

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import in_process  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runbooks", type=int, default=1000)
    args = parser.parse_args()
    run = in_process.start("offline")
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from bench import seed
    from runbooks.models import OfflineCopy
    from runbooks.services import offline

    seed.seed(runbooks=args.runbooks, routes=0, alerts=0, log=print)
    _routes(args.runbooks)
    alice = get_user_model().objects.get(username="alice")
    folder = run / "copy"
    figures = {"runbooks": args.runbooks}
    for label in ("first export", "again, unchanged"):
        out = io.StringIO()
        started = time.perf_counter()
        call_command("export_site", str(folder), user="alice", stdout=out)
        figures[label] = {"seconds": round(time.perf_counter() - started, 2)}
        figures[label]["summary"] = out.getvalue().strip().splitlines()[-1]
        print(f"{label}: {figures[label]['seconds']} s — {figures[label]['summary']}")
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    figures["folder bytes"] = size
    figures["search index bytes"] = (folder / "data" / "search-index.js").stat().st_size
    copy = offline.request_copy(alice)
    started = time.perf_counter()
    offline.build_copy(copy.pk, copy.key)
    copy = OfflineCopy.objects.get(pk=copy.pk)
    figures["zip"] = {"seconds": round(time.perf_counter() - started, 2), "bytes": copy.size}
    print(
        f"folder: {size / 1e6:.1f} MB; zip built in {figures['zip']['seconds']} s: "
        f"{copy.size / 1e6:.1f} MB ({copy.counts})"
    )
    in_process.finish(run, "offline", figures)


def _routes(count: int) -> None:
    """One community route per bulk runbook (`BenchAlert<n>`), as the look-up page shows them."""
    from runbooks.models import AlertRoute, Document

    ids = dict(Document.objects.filter(slug__startswith="bench-").values_list("slug", "pk"))
    AlertRoute.objects.bulk_create(
        AlertRoute(alertname=f"BenchAlert{n}", alertname_key=f"benchalert{n}", runbook_id=pk)
        for n, pk in ((int(slug.removeprefix("bench-")), pk) for slug, pk in ids.items())
    )


if __name__ == "__main__":
    main()
