"""A real Celery worker against the configured broker (DESIGN §5). Marked `worker`: these run
only when CELERY_BROKER_URL is set (CI's second run: PostgreSQL and Redis).

A worker is a separate process and cannot see a test's transaction, so these tests commit
their data (transactional_db) and point the worker at the test database.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from kombu import pools as kombu_pools

from openops.celery import app
from runbooks import tasks
from runbooks.actors import SYSTEM
from runbooks.models import Alert, AlertEvent, InboxEntry, Scope
from runbooks.services import routes, tokens

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("a worker process needs a database it can share: set DATABASE_URL")
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _use_broker(url: str | None) -> None:
    """Point this process's publisher at another broker (None: the configured one), dropping
    pooled connections. Celery reads CELERY_BROKER_URL from the environment before its own
    settings, so the write URL, which it reads from settings first, is what can be swapped."""
    app.conf.broker_write_url = url
    app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()


@pytest.fixture
def queue():
    """A queue of this test's own, so no stale message from elsewhere is consumed."""
    name = f"openops-test-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue, app.conf.task_always_eager
    app.conf.task_default_queue, app.conf.task_always_eager = name, False
    _use_broker(None)
    yield name
    app.conf.task_default_queue, app.conf.task_always_eager = previous
    _use_broker(None)


@pytest.fixture
def start_worker(queue, tmp_path):
    """start_worker() runs `celery worker` as a subprocess on the test database and queue."""
    workers = []
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "OPENOPS_CELERY_QUEUE": queue,
        "DATABASE_CONN_MAX_AGE": "0",
    }

    def start() -> subprocess.Popen:
        log = tmp_path / f"worker-{len(workers)}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "openops", "worker", "--pool=solo",
            "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info",
            "-Q", queue, "-n", f"{queue}-{len(workers)}@%h",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        workers.append(process)
        _wait(lambda: "ready." in log.read_text(), 60, f"worker did not start: {log.read_text()}")
        return process

    yield start
    for process in workers:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait(condition, seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(message)


@pytest.fixture
def token(provider_a):
    return tokens.issue_token(
        name="am", scopes=[Scope.ALERTS_WRITE], provider=provider_a, actor=SYSTEM
    )[1]


def _body(n_alerts: int, tag: str) -> dict:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "KubePodCrashLooping", "pod": f"{tag}-{i}"},
            "annotations": {"summary": f"pod {tag}-{i} restarts"},
            "startsAt": "2026-11-25T19:15:04.640401474Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "",
            "fingerprint": f"{tag}-{i:05d}",
        }
        for i in range(n_alerts)
    ]
    return {"version": "4", "status": "firing", "alerts": alerts, "truncatedAlerts": 0}


def _post(body, token):
    return Client().post(
        "/api/v1/alerts/alertmanager/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def _all_processed() -> bool:
    return not InboxEntry.objects.filter(processed_at__isnull=True).exists()


def test_a_real_worker_processes_and_links_alerts(start_worker, token, alice, make_runbook):
    runbook = make_runbook(alice, title="Crash loop")
    routes.save_route(alertname="KubePodCrashLooping", runbook=runbook, actor=SYSTEM)
    start_worker()
    response = _post(_body(3, "w"), token)
    assert response.status_code == 202
    _wait(_all_processed, 60, "the worker did not process the body")
    assert set(Alert.objects.values_list("runbook", flat=True)) == {runbook.pk}
    assert Alert.objects.count() == 3


@contextmanager
def _broker_down():
    _use_broker(CLOSED_PORT_BROKER)
    try:
        yield
    finally:
        _use_broker(None)


def test_with_the_broker_down_the_webhook_answers_at_once_and_the_sweep_links_it_later(
    start_worker, token, caplog
):
    with _broker_down():
        started = time.monotonic()
        response = _post(_body(2, "down"), token)
        elapsed = time.monotonic() - started
    assert response.status_code == 202
    assert "Could not enqueue inbox entry" in caplog.text  # the broker really was away
    assert elapsed < 20, f"the webhook hung for {elapsed:.1f} s"  # a hang guard, not a benchmark
    assert InboxEntry.objects.get().processed_at is None
    start_worker()
    assert tasks.sweep(older_than=timedelta(0)) == 1
    _wait(_all_processed, 60, "the sweep's task was not processed")
    assert Alert.objects.count() == 2


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(start_worker, token):
    bodies, per_body = 30, 150
    for n in range(bodies):  # queued in the broker before any worker runs
        assert _post(_body(per_body, f"b{n}"), token).status_code == 202
    worker = start_worker()
    _wait(
        lambda: InboxEntry.objects.filter(processed_at__isnull=False).exists(),
        60,
        "the first worker processed nothing",
    )
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    done_before = InboxEntry.objects.filter(processed_at__isnull=False).count()
    assert done_before < bodies, "the worker finished before it could be killed; grow the batch"
    start_worker()
    tasks.sweep(older_than=timedelta(0))  # the killed worker's message is not redelivered yet
    _wait(_all_processed, 120, "not every body was processed after the restart")
    assert Alert.objects.count() == bodies * per_body
    assert set(Alert.objects.values_list("notifications", flat=True)) == {1}
    assert AlertEvent.objects.count() == bodies * per_body


@pytest.fixture
def mailbox(tmp_path, monkeypatch):
    """Where the worker's mail goes (files: the worker is another process). Asked for before
    start_worker, whose environment it must be in."""
    folder = tmp_path / "mail"
    monkeypatch.setenv("EMAIL_URL", f"filemail:///{folder}")
    return folder


def _written(mailbox) -> bool:
    """A mail file is complete once Django's file backend has written the separator that ends
    each message: the file exists, empty, for a moment before that."""
    files = list(mailbox.iterdir()) if mailbox.exists() else []
    return bool(files) and all(path.read_text().rstrip().endswith("-" * 79) for path in files)


def test_a_comment_reaches_a_mailbox_through_a_real_worker(
    mailbox, start_worker, alice, bob, make_runbook
):
    """Issue 16: the comment's event is fanned out and mailed by a worker process."""
    from runbooks.services import comments

    alice.email = "alice@example.org"
    alice.save(update_fields=["email"])
    runbook = make_runbook(alice, title="Ceph OSD down")  # alice watches it
    start_worker()
    comments.add_comment(runbook, actor=bob, body="Seen through the worker")
    _wait(lambda: _written(mailbox), 60, "no mail arrived")
    (message,) = [path.read_text() for path in mailbox.iterdir()]
    assert "To: alice@example.org" in message and "Seen through the worker" in message


def test_events_and_alarm_mails_are_not_lost_with_the_broker_down(start_worker, token, caplog):
    """The other ways in (DESIGN §5): a PagerDuty event, a relayed mail and a mail piped by the
    MTA (a separate process, as the MTA runs it) are all stored while the broker is away, and
    the sweep brings each to a worker once it is back."""
    from tests.test_alarm_sources import BOOT, hm_mail, trigger

    with _broker_down():
        event = Client().post(
            "/api/v1/alerts/events/",
            data=json.dumps(trigger()),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        mail = Client().post(
            "/api/v1/alerts/mail/",
            data=hm_mail("ALARM 1", BOOT),
            content_type="message/rfc822",
            headers={"Authorization": f"Bearer {token}"},
        )
    piped = subprocess.run(
        [sys.executable, "manage.py", "receive_alarm_mail", "--provider", "provider-a"],
        input=hm_mail("ALARM 2", "JH unreachable"),
        capture_output=True,
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": CLOSED_PORT_BROKER,
        },
        timeout=60,
    )
    assert (event.status_code, mail.status_code, piped.returncode) == (202, 202, 0), piped.stderr
    assert "Could not enqueue inbox entry" in caplog.text
    assert InboxEntry.objects.filter(processed_at__isnull=True).count() == 3
    start_worker()
    assert tasks.sweep(older_than=timedelta(0)) == 3
    _wait(_all_processed, 60, "the sweep's tasks were not processed")
    assert sorted(Alert.objects.values_list("alertname", flat=True)) == [
        "DiskFull",
        "HealthMonitor: JH unreachable",
        "HealthMonitor: nova boot",
    ]


def test_an_offline_copy_is_built_by_a_real_worker(start_worker, alice, make_runbook):
    """Issue 21: the page's request is built outside the request, by a worker process."""
    from runbooks.models import OfflineCopy

    make_runbook(alice, title="Ceph OSD down")
    start_worker()
    client = Client()
    client.force_login(alice)
    assert client.post("/account/offline/", {"provider": ""}).status_code == 302
    ready = OfflineCopy.State.READY
    _wait(lambda: OfflineCopy.objects.filter(state=ready).exists(), 60, "no copy was built")
    copy = OfflineCopy.objects.get(user=alice)
    download = client.get(f"/account/offline/{copy.key}/download/")
    assert download.status_code == 200 and download.content.startswith(b"PK")
