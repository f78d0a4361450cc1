"""`make bench-coverage`: rule_coverage on bench/rules/fifty-alerts.yaml with the demo's routes,
and the time for 2,000 alerts (that file's 50 alerts in 40 groups, each group with its own
`cluster` label), with and without --annotate, on a fresh SQLite file under var/bench/ (or the
empty, disposable database DATABASE_URL names). Figures go to
bench/results/<date>-<database>-coverage.json.
"""

import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import in_process  # noqa: E402

FIFTY = Path(__file__).resolve().parent / "rules" / "fifty-alerts.yaml"


def main() -> None:
    os.environ.setdefault("OPENOPS_BASE_URL", "https://openops.example")
    run = in_process.start("coverage")
    from runbooks import demo

    demo.seed()
    figures = {}
    for provider in ("nordwolke", None):
        found = _coverage(FIFTY, provider)
        key = f"fifty alerts, {provider or 'no provider'}"
        figures[key] = {k: found[k] for k in ("total", "covered", "coverage")}
        print(f"{key}: {found['covered']} of {found['total']} ({found['coverage']} %)")
    big = run / "two-thousand.yaml"
    big.write_text(_multiplied(FIFTY.read_text(), 40))
    for label, options in (("2,000 alerts", {}), ("2,000 alerts --annotate", {"annotate": run})):
        started = time.perf_counter()
        found = _coverage(big, "nordwolke", **options)
        seconds = round(time.perf_counter() - started, 2)
        figures[label] = {"seconds": seconds, "total": found["total"]}
        print(f"{label}: {seconds} s ({found['total']} alerts, {found['coverage']} %)")
    in_process.finish(run, "coverage", figures)


def _coverage(path: Path, provider: str | None, **options) -> dict:
    from django.core.management import call_command

    out = io.StringIO()
    extra = {"provider": provider} if provider else {}
    if "annotate" in options:
        extra["annotate"] = str(options["annotate"] / "annotated")
    call_command(
        "rule_coverage", str(path), format="json", stdout=out, stderr=io.StringIO(), **extra
    )
    return json.loads(out.getvalue())


def _multiplied(text: str, times: int) -> str:
    """The file's groups `times` over, each copy's rules with a `cluster` label of their own."""
    head, groups = text.split("groups:\n", 1)
    copies = [
        groups.replace("  - name: ", f"  - name: c{n}-").replace(
            "        labels:\n", f"        labels:\n          cluster: c{n}\n"
        )
        for n in range(times)
    ]
    return head + "groups:\n" + "".join(copies)


if __name__ == "__main__":
    main()
