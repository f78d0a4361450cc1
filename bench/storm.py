"""`make bench-storm`: an alert storm on one box, and a count of what it left behind.

Four senders post Alertmanager bodies (20 alerts each, one body in ten a resend of the
sender's previous one) to gunicorn (2 sync workers, DEBUG off) for two minutes, while one
Celery worker processes them and is killed (SIGKILL) twice. Then the worker drains what is
left (the sweep re-enqueues what a killed worker held) and the database is compared with what
the senders were told was accepted: every accepted body stored once, every alert instance
once, every delivery one timeline event and one notification, nothing failed.

Figures go to bench/results/<date>-<database>-storm.json. The database is a fresh SQLite file
under var/bench/ unless DATABASE_URL names one (empty and disposable); the broker is
CELERY_BROKER_URL, else a filesystem broker under the run's folder.
"""

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.over_http import PORTS, RESULTS, ROOT, VAR, _environment, _memory, _server  # noqa: E402

SENDERS = 4
ALERTS_PER_BODY = 20
RESEND_EVERY = 10
STARTS_AT = "2026-11-30T03:00:00Z"
PREFIX = "storm-"  # every fingerprint of the storm (the demo data's alerts have others)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--runbooks", type=int, default=1_000)
    parser.add_argument("--routes", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=2, help="times the worker is killed")
    args = parser.parse_args()
    run = VAR / ("storm-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S"))
    run.mkdir(parents=True)
    env = _environment(run)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import seed

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    seed.seed(args.runbooks, args.routes, 0)
    token = _token()
    worker = _Worker(env, run)
    with _server("openops", env, ["openops.wsgi:application"]):
        worker.start()
        senders = [_Sender(n, token, args.seconds) for n in range(SENDERS)]
        started = time.perf_counter()
        for sender in senders:
            sender.start()
        for moment in range(1, args.kills + 1):  # evenly through the storm
            time.sleep(
                max(0, started + args.seconds * moment / (args.kills + 1) - time.perf_counter())
            )
            worker.kill_and_restart()
        for sender in senders:
            sender.join()
        elapsed = time.perf_counter() - started
    drained = worker.drain()
    figures = _figures(senders, elapsed, drained, worker.kills)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "machine": f"{os.cpu_count()} cores, {_memory()}",
        "storm": figures,
    }
    RESULTS.mkdir(exist_ok=True)
    name = f"{result['date'][:10]}-{connection.vendor}-storm.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"\nwritten to bench/results/{name}")
    if figures["lost_or_doubled"]:
        sys.exit("something was lost or doubled: see lost_or_doubled above")


def _token() -> str:
    from runbooks.actors import SYSTEM
    from runbooks.models import Provider, Scope
    from runbooks.services import tokens

    provider = Provider.objects.get(slug="nordwolke")
    return tokens.issue_token(
        actor=SYSTEM, name="storm", scopes=[Scope.ALERTS_WRITE], provider=provider
    )[1]


class _Sender(threading.Thread):
    """Posts bodies back to back; remembers every fingerprint of every accepted body."""

    def __init__(self, number: int, token: str, seconds: int):
        super().__init__(daemon=True)
        self.number, self.token, self.seconds = number, token, seconds
        self.latencies, self.statuses = [], Counter()
        self.delivered = Counter()  # fingerprint -> accepted deliveries
        self.accepted = 0

    def run(self) -> None:
        deadline = time.perf_counter() + self.seconds
        sent, previous = 0, None
        while time.perf_counter() < deadline:
            sent += 1
            resend = previous is not None and sent % RESEND_EVERY == 0
            fingerprints = (
                previous
                if resend
                else [f"{PREFIX}{self.number}-{sent}-{i}" for i in range(ALERTS_PER_BODY)]
            )
            status, took = self._post(_body(fingerprints))
            self.statuses[status] += 1
            self.latencies.append(took)
            if status == 202:
                self.accepted += 1
                self.delivered.update(fingerprints)
            previous = fingerprints

    def _post(self, body: bytes) -> tuple[int, float]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORTS["openops"], timeout=30)
            connection.request("POST", "/api/v1/alerts/alertmanager/", body, headers)
            status = connection.getresponse().status
            connection.close()
        except OSError:
            status = 0
        return status, time.perf_counter() - started


def _body(fingerprints: list[str]) -> bytes:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": f"BenchAlert{n * 7 % 10_000}", "severity": "critical"},
            "annotations": {"summary": "storm"},
            "startsAt": STARTS_AT,
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": f,
        }
        for n, f in enumerate(fingerprints)
    ]
    return json.dumps({"version": "4", "status": "firing", "alerts": alerts}).encode()


class _Worker:
    """One Celery worker (solo pool) on the run's queue, killed and restarted on demand."""

    def __init__(self, env: dict, run: Path):
        self.env, self.run, self.process, self.kills = env, run, None, 0

    def start(self) -> None:
        command = [sys.executable, "-m", "celery", "-A", "openops", "worker", "--pool=solo"]
        command += ["-Q", self.env["OPENOPS_CELERY_QUEUE"], "-l", "warning"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        log = (self.run / f"worker-{self.kills}.log").open("w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=log
        )

    def kill_and_restart(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self.kills += 1
        print(f"  worker killed ({self.kills})")
        self.start()

    def drain(self, limit: float = 900) -> float:
        """Seconds until nothing is left unprocessed; what a killed worker held is swept."""
        from runbooks import tasks
        from runbooks.models import InboxEntry

        pending = InboxEntry.objects.filter(processed_at__isnull=True, failed_at__isnull=True)
        started = time.perf_counter()
        swept = 0.0
        try:
            while pending.exists() and time.perf_counter() - started < limit:
                if time.perf_counter() - swept > 15:  # what beat's sweep does, sooner
                    tasks.sweep(timedelta(seconds=10))
                    swept = time.perf_counter()
                time.sleep(0.5)
        finally:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
        return time.perf_counter() - started


def _figures(senders, elapsed: float, drained: float, kills: int) -> dict:
    from django.db.models import Count, Sum

    from runbooks.models import Alert, AlertEvent, InboxEntry

    latencies = sorted(t for s in senders for t in s.latencies)
    statuses = sum((s.statuses for s in senders), Counter())
    delivered = sum((s.delivered for s in senders), Counter())
    accepted = sum(s.accepted for s in senders)
    alerts = Alert.objects.filter(fingerprint__startswith=PREFIX)
    bodies = InboxEntry.objects.filter(token__name="storm")
    stored = dict(alerts.values_list("fingerprint").annotate(n=Count("pk")))
    notifications = alerts.aggregate(n=Sum("notifications"))["n"] or 0
    checks = {
        "bodies stored": (bodies.count(), accepted),
        "bodies failed": (bodies.filter(failed_at__isnull=False).count(), 0),
        "alert instances": (len(stored), len(delivered)),
        "instances stored twice": (sum(1 for n in stored.values() if n > 1), 0),
        "timeline events": (
            AlertEvent.objects.filter(alert__in=alerts).count(),
            sum(delivered.values()),
        ),
        "notifications": (notifications, sum(delivered.values())),
    }
    return {
        "senders": SENDERS,
        "seconds": round(elapsed, 1),
        "bodies_sent": len(latencies),
        "bodies_accepted": accepted,
        "accepted_per_second": round(accepted / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "worker_kills": kills,
        "drained_after_s": round(drained, 1),
        "checks": {
            name: {"found": found, "expected": want} for name, (found, want) in checks.items()
        },
        "lost_or_doubled": [name for name, (found, want) in checks.items() if found != want],
    }


if __name__ == "__main__":
    main()
