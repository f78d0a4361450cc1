"""`make run`'s worker dies and something notices (issue 29, finding 3).

Under load kombu's filesystem transport handed the worker half a message, the worker exited,
`manage.py serve` did not start it again, /readyz/ kept answering 200 and webhooks piled up
unprocessed. Here: the transport never shows a message before it is whole and sets aside one it
cannot read; /readyz/ answers 503 when the worker's heartbeat is too old; and `manage.py serve`,
run as `make run` runs it (gunicorn, a worker and beat on filesystem://, its own SQLite file and
broker folder), restarts a worker killed with SIGKILL and processes every body exactly once.
"""

import contextlib
import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from queue import Empty

import pytest
from django.apps import apps
from django.utils import timezone
from kombu import Connection

import openops.celery  # noqa: F401  (the app's transports: `filesystem` is openops.broker's)
from runbooks import tasks
from runbooks.views import health
from tests.processes import ROOT, free_port, manage

# --- The filesystem transport ---------------------------------------------------------------


@pytest.fixture
def folders(tmp_path):
    options = {
        name: str(tmp_path / folder)
        for name, folder in [
            ("data_folder_in", "queue"),
            ("data_folder_out", "queue"),
            ("processed_folder", "processed"),
            ("control_folder", "control"),
        ]
    }
    for folder in set(options.values()):
        Path(folder).mkdir(exist_ok=True)
    return {**options, "store_processed": False, "polling_interval": 0.01}


def _messages(folders) -> list[str]:
    return [name for name in os.listdir(folders["data_folder_in"]) if name.endswith(".msg")]


PRODUCER = """
import json, sys
import openops.celery  # the app's transports
from kombu import Connection

options, queue, name = json.loads(sys.argv[1]), sys.argv[2], sys.argv[5]
count, size = int(sys.argv[3]), int(sys.argv[4])
with Connection("filesystem://", transport_options=options) as connection:
    simple = connection.SimpleQueue(queue)
    for n in range(count):
        try:
            simple.put({"n": n, "producer": name, "pad": "x" * size})
        except Exception as exc:
            print(type(exc).__name__, exc, flush=True)
"""


def _producer(folders, queue, count, size, name, file_size_limit=None) -> subprocess.Popen:
    def limit_file_size():  # a full disk, on purpose: writes past this size fail
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    command = [sys.executable, "-c", PRODUCER, json.dumps(folders), queue, str(count), str(size)]
    return subprocess.Popen(
        [*command, name],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=limit_file_size if file_size_limit else None,
    )


def test_a_message_the_disk_could_not_hold_is_never_seen_by_a_reader(folders):
    """kombu writes a message where the reader looks: a write cut short left half a message in
    the queue, and the reader's JSONDecodeError stopped the worker."""
    producer = _producer(folders, "cut", 1, 64 * 1024, "p", file_size_limit=8 * 1024)
    output, _ = producer.communicate(timeout=60)
    assert "ChannelError" in output  # the producer is told; the webhook's sweep will retry
    assert os.listdir(folders["data_folder_in"]) == []  # nothing half-written is left
    with Connection("filesystem://", transport_options=folders) as connection:
        simple = connection.SimpleQueue("cut")
        with pytest.raises(Empty):
            simple.get(block=False)
        simple.put({"after": "the full disk"})
        message = simple.get(block=False)
        message.ack()
        assert message.payload == {"after": "the full disk"}


def test_a_damaged_message_is_set_aside_and_the_next_one_read(folders, caplog):
    """A file cut short (a crash while writing, an older producer) costs that one message (its
    body is swept again), never the worker."""
    with Connection("filesystem://", transport_options=folders) as connection:
        simple = connection.SimpleQueue("hurt")
        damaged = f"{int(time.monotonic() * 1000) - 1000}_{uuid.uuid4()}.hurt.msg"
        Path(folders["data_folder_in"], damaged).write_bytes(b'{"body": "eyJ')  # cut short
        simple.put({"whole": True})
        message = simple.get(block=False)
        message.ack()
        assert message.payload == {"whole": True}
        with pytest.raises(Empty):
            simple.get(block=False)
    assert os.listdir(folders["processed_folder"]) == [damaged + ".damaged"]
    assert damaged in caplog.text and "cannot be read" in caplog.text


def test_many_messages_written_while_a_consumer_reads_arrive_whole_and_once(folders):
    """Two producers write 600 messages of 48 KB while this process reads as fast as it can."""
    producers = [_producer(folders, "storm", 300, 48 * 1024, name) for name in ("a", "b")]
    seen = []
    with Connection("filesystem://", transport_options=folders) as connection:
        simple = connection.SimpleQueue("storm")
        deadline = time.monotonic() + 120  # a hang guard
        while len(seen) < 600 and time.monotonic() < deadline:
            try:
                message = simple.get(block=False)
            except Empty:
                continue
            seen.append((message.payload["producer"], message.payload["n"]))
            message.ack()
    for producer in producers:
        assert producer.communicate(timeout=60)[0] == ""  # no write failed
    assert sorted(seen) == sorted((name, n) for name in ("a", "b") for n in range(300))
    assert _messages(folders) == []


# --- /readyz/ and the heartbeat ---------------------------------------------------------------


@pytest.fixture
def with_broker(settings):
    """/readyz/ as a deployment with a broker sees it (the suite runs tasks inline)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.OPENOPS_HEARTBEAT_MAX_AGE_SECONDS = 60
    return settings


def _heartbeats():
    return apps.get_model("runbooks", "Heartbeat").objects


def _heartbeat(seconds_ago: float) -> None:
    at = timezone.now() - timedelta(seconds=seconds_ago)
    _heartbeats().update_or_create(name="worker", defaults={"at": at})


def test_readyz_is_503_when_the_worker_heartbeat_is_too_old(client, db, with_broker):
    _heartbeat(5)
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json()["worker"] == "ok" and 5 <= response.json()["heartbeat_age"] < 60
    _heartbeat(61)
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["database"] == "ok" and response.json()["worker"] == "late"


def test_before_a_first_heartbeat_readyz_waits_as_long_as_the_limit(
    client, db, with_broker, monkeypatch
):
    monkeypatch.setattr(health, "STARTED", time.monotonic())  # a web process just started
    response = client.get("/readyz/")
    assert response.status_code == 200 and response.json()["worker"] == "starting"
    monkeypatch.setattr(health, "STARTED", time.monotonic() - 61)  # up for longer than that
    response = client.get("/readyz/")
    assert response.status_code == 503 and response.json()["worker"] == "missing"


def test_a_limit_of_zero_reports_the_heartbeat_and_never_answers_503(client, db, with_broker):
    with_broker.OPENOPS_HEARTBEAT_MAX_AGE_SECONDS = 0
    _heartbeat(86400)
    response = client.get("/readyz/")
    assert response.status_code == 200 and response.json()["heartbeat_age"] >= 86400


def test_the_heartbeat_task_records_the_worker_and_beat_sends_it(db, settings):
    tasks.heartbeat()
    assert (timezone.now() - _heartbeats().get(name="worker").at).total_seconds() < 60
    entry = settings.CELERY_BEAT_SCHEDULE["heartbeat"]
    assert entry["task"] == "runbooks.tasks.heartbeat"
    assert entry["schedule"] == settings.OPENOPS_HEARTBEAT_SECONDS


def test_without_a_broker_readyz_says_tasks_run_inline(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/readyz/")
    assert response.status_code == 200 and response.json()["worker"] == "eager"


# --- The whole `make run` stack: kill the worker ----------------------------------------------


def _request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _readyz(port) -> tuple[int, dict]:
    try:
        status, body = _request(port, "GET", "/readyz/")
    except OSError:
        return 0, {}
    return status, json.loads(body) if body.startswith(b"{") else {}


def _wait(condition, seconds: float, message):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.1)
    raise AssertionError(message() if callable(message) else message)


def _body(tag: str, alerts: int) -> bytes:
    return json.dumps(
        {
            "version": "4",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "KubePodCrashLooping", "pod": f"{tag}-{i}"},
                    "annotations": {},
                    "startsAt": "2026-12-07T03:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "fingerprint": f"{tag}-{i}",
                }
                for i in range(alerts)
            ],
        }
    ).encode()


class Stack:
    """`manage.py serve` as `make run` starts it, on its own database and broker folder."""

    def __init__(self, tmp: Path):
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "OPENOPS_CELERY_QUEUE"}
        }
        self.database = tmp / "db.sqlite3"
        self.env.update(
            DEBUG="false",
            OPENOPS_TLS="false",
            SECRET_KEY="supervision-test-only",
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=f"sqlite:///{self.database}",
            CELERY_BROKER_URL="filesystem://",
            OPENOPS_CELERY_DIR=str(tmp / "celery"),
            OPENOPS_HEARTBEAT_SECONDS="1",
            OPENOPS_HEARTBEAT_MAX_AGE_SECONDS="3",
        )
        manage(self.env, "migrate", "--noinput")
        manage(self.env, "create_provider", "acme", "--name", "Acme")
        issued = manage(
            self.env, "issue_token", "--provider", "acme", "--name", "am", "--scope", "alerts:write"
        )
        self.token = issued.strip().splitlines()[-1]
        self.port = free_port()
        self.log = tmp / "serve.log"
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # what it leaves behind can be killed with its group
        )

    def output(self) -> str:
        return self.log.read_text()

    def pids(self, name: str) -> list[int]:
        return [int(p) for p in re.findall(rf"started the {name} \(pid (\d+)\)", self.output())]

    def webhook(self, body: bytes) -> int:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        return _request(self.port, "POST", "/api/v1/alerts/alertmanager/", body, headers)[0]

    def count(self, sql: str) -> int:
        with sqlite3.connect(self.database, timeout=30) as db:
            return db.execute(sql).fetchone()[0]

    def unprocessed(self) -> int:
        return self.count("SELECT count(*) FROM runbooks_inboxentry WHERE processed_at IS NULL")

    def stop(self) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(90)
            except subprocess.TimeoutExpired:
                self.process.kill()
        code = self.process.wait()
        for group in [self.process.pid, *self.pids("[a-z ]+")]:  # never leave a child behind
            with contextlib.suppress(OSError):
                os.killpg(group, signal.SIGKILL)
        return code


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_run_restarts_a_killed_worker_and_readyz_tells_meanwhile(tmp_path):
    stack = Stack(tmp_path)
    try:
        _wait(
            lambda: _readyz(stack.port)[1].get("worker") == "ok",
            90,
            lambda: f"the stack did not become ready: {_readyz(stack.port)}\n{stack.output()}",
        )
        for n in range(10):
            assert stack.webhook(_body(f"before-{n}", 5)) == 202
        _wait(lambda: stack.unprocessed() == 0, 90, "the first bodies were not processed")

        [worker] = stack.pids("celery worker")
        os.kill(stack.process.pid, signal.SIGSTOP)  # serve may not restart it before we look
        os.kill(worker, signal.SIGKILL)
        killed = time.monotonic()
        for n in range(10):  # accepted while no worker runs: stored, processed later
            assert stack.webhook(_body(f"during-{n}", 5)) == 202
        late = _wait(lambda: _readyz(stack.port)[0] == 503, 60, lambda: f"{_readyz(stack.port)}")
        status, body = _readyz(stack.port)
        assert (status, body["database"], body["worker"]) == (503, "ok", "late")
        assert body["heartbeat_age"] >= 3  # the limit (rounded to tenths)
        assert stack.unprocessed() == 10  # nobody processes them: readyz is right to say so

        os.kill(stack.process.pid, signal.SIGCONT)
        recovered = _wait(
            lambda: _readyz(stack.port)[0] == 200,
            90,
            lambda: f"the stack did not recover: {_readyz(stack.port)}\n{stack.output()}",
        )
        _wait(lambda: stack.unprocessed() == 0, 90, "bodies sent while it was down were lost")
        print(f"kill -> readyz 503: {late - killed:.1f} s; kill -> 200: {recovered - killed:.1f} s")

        assert f"the celery worker (pid {worker}) was killed by SIGKILL" in stack.output()
        assert len(stack.pids("celery worker")) == 2 and not _alive(worker)
        # Every body processed exactly once: 20 bodies, 100 alerts, one event each.
        assert stack.count("SELECT count(*) FROM runbooks_inboxentry") == 20
        assert stack.count("SELECT count(*) FROM runbooks_inboxentry WHERE attempts > 0") == 0
        assert stack.count("SELECT count(*) FROM runbooks_alert") == 100
        assert stack.count("SELECT sum(notifications) FROM runbooks_alert") == 100
        assert stack.count("SELECT count(*) FROM runbooks_alertevent") == 100
    finally:
        code = stack.stop()
    assert code == 0, stack.output()  # SIGTERM stops everything cleanly
    assert "serve: stopping" in stack.output()
    assert not any(_alive(pid) for pid in stack.pids("[a-z ]+"))
