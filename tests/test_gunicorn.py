"""The production server, over real HTTP: gunicorn with two workers and `DEBUG=false`.

What only a real server shows (issue 10): the webhook rate limit holds across worker processes,
chunked bodies are read, and an over-long URL under /api/ still answers JSON. The server runs
on its own SQLite file, so this module needs no test database.
"""

import http.client
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.processes import ROOT, free_port, manage

RATE = 10
BODY = json.dumps(
    {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "DiskFull", "instance": "node-1"},
                "annotations": {},
                "startsAt": "2026-11-29T03:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
            }
        ],
    }
).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(port, two alerts tokens) of a gunicorn with two workers on a fresh database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('gunicorn') / 'db.sqlite3'}",
        DEBUG="false",
        SECRET_KEY="gunicorn-test-only",
        OPENOPS_TLS="false",
        ALLOWED_HOSTS="127.0.0.1",
        OPENOPS_WEBHOOK_RATE=str(RATE),
    )
    manage(env, "migrate", "--noinput")
    manage(env, "create_provider", "acme", "--name", "Acme")
    tokens = [
        manage(env, "issue_token", "--provider", "acme", "--name", name, "--scope", "alerts:write")
        .strip()
        .splitlines()[-1]
        for name in ("rate", "chunked")
    ]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "openops.wsgi", "--workers", "2"]
        + ["--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(port)
        yield port, tokens
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/healthz/")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not come up")


def _request(port, method, path, body=None, headers=None, chunked=False):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if chunked:
            connection.request(
                method, path, body=iter([body]), headers=headers or {}, encode_chunked=True
            )
        else:
            connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _webhook(port, token, chunked=False):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return _request(port, "POST", "/api/v1/alerts/alertmanager/", BODY, headers, chunked)


def test_the_rate_limit_holds_across_workers(server):
    port, (token, _) = server
    window = int(time.time() // 60)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [status for status, _, _ in pool.map(lambda _: _webhook(port, token), range(40))]
    same_window = window == int(time.time() // 60)
    accepted = answers.count(202)
    assert accepted == RATE if same_window else RATE <= accepted <= 2 * RATE
    assert answers.count(503) == 40 - accepted


def test_a_chunked_webhook_is_read(server):
    port, (_, token) = server
    status, _, content = _webhook(port, token, chunked=True)
    assert status == 202, content
    assert json.loads(content)["alerts"] == 1


def test_an_over_long_api_url_answers_json(server):
    port, _ = server
    status, headers, content = _request(port, "GET", "/api/v1/runbooks/?tag=" + "x" * 6000)
    assert status == 414
    assert headers["Content-Type"] == "application/json"
    assert "longer than" in json.loads(content)["detail"]
