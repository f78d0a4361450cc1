"""What the in-process benchmarks (`bench/offline.py`, `bench/coverage.py`) share: a fresh
database of their own under var/bench/ (or the empty, disposable one DATABASE_URL names),
Django set up and migrated, and their figures saved under bench/results/."""

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from bench.over_http import RESULTS, VAR, _environment


def start(name: str) -> Path:
    """A new run folder; Django set up on the run's database, migrated."""
    run = VAR / f"{name}-{os.getpid()}"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    os.environ.update(_environment(run))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return run


def finish(run: Path, name: str, figures: dict) -> None:
    """Save `figures` as bench/results/<date>-<database>-<name>.json and remove the run."""
    database = "postgresql" if "postgres" in os.environ["DATABASE_URL"] else "sqlite"
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-{database}-{name}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"results in {path.relative_to(RESULTS.parent.parent)}")
    shutil.rmtree(run, ignore_errors=True)
