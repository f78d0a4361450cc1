"""`make bench`: OpenOps measured over HTTP as users meet it, side by side with django-wiki
serving the same Markdown and with the floor (a bare Django view returning the same bytes).

Each app runs under gunicorn (2 sync workers, DEBUG off); load comes from `wrk` (-t2 -c16) in a
separate process. The database is a fresh SQLite file under var/bench/ unless DATABASE_URL names
one (it must be empty and disposable). Figures are printed as a table and written to
bench/results/<date>-<database>.json; the machine is noisy, so the ratios are what count.

`make bench-scale` (--scale) measures the page, /r/ and search at 100, 10,000 and 100,000
runbooks instead, with their query counts.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
WIKI_VENV = VAR / "wiki-venv"
# OPENOPS_BENCH_PORT moves the three servers (openops, floor, django-wiki) to other ports.
_PORT = int(os.environ.get("OPENOPS_BENCH_PORT", "8101"))
PORTS = {"openops": _PORT, "floor": _PORT + 1, "wiki": _PORT + 2}
TARGET = 42  # the runbook everyone opens: bench-42, routed from BenchAlert42


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runbooks", type=int, default=10_000)
    parser.add_argument("--routes", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10, help="per measurement")
    parser.add_argument("--no-wiki", action="store_true", help="skip django-wiki")
    parser.add_argument("--scale", action="store_true", help="page, /r/ and search as it grows")
    parser.add_argument(
        "--steps", default="100,10000,100000", help="--scale: the numbers of runbooks"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (apt-get install wrk).")
    run = VAR / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run.mkdir(parents=True)
    env = _environment(run)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest
    results = _scale(run, env, args) if args.scale else _full(run, env, args)
    results |= {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "machine": f"{os.cpu_count()} cores, {_memory()}",
    }
    RESULTS.mkdir(exist_ok=True)
    name = f"{results['date'][:10]}-{connection.vendor}{'-scale' * args.scale}.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to bench/results/{name}")


def _environment(run: Path) -> dict:
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{run / 'openops.sqlite3'}"
    return {
        "DATABASE_URL": database,
        "DJANGO_SETTINGS_MODULE": "openops.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "OPENOPS_TLS": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "OPENOPS_WEBHOOK_RATE": "1000000000",
        "OPENOPS_LOGIN_RATE": "1000000/1m",
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL") or "filesystem://",
        "OPENOPS_CELERY_QUEUE": f"bench-{run.name}",
    }


def _memory() -> str:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "memory unknown"


# --- The full run ---------------------------------------------------------------------------


def _full(run: Path, env: dict, args) -> dict:
    from bench import seed

    facts = seed.seed(args.runbooks, args.routes, args.alerts)
    page, cookie, token, text = _fixtures(run)
    figures = {}
    with _server("openops", env, ["openops.wsgi:application"]):
        with _server("floor", {**env, "OPENOPS_FLOOR_PAGE": str(page)}, _factory("bench.floor")):
            figures["floor"] = _wrk(run, "floor", "/page/", args.seconds)
        figures["page (anonymous)"] = _wrk(
            run, "openops", f"/runbooks/bench-{TARGET}/", args.seconds
        )
        figures["page (signed in)"] = _wrk(
            run, "openops", f"/runbooks/bench-{TARGET}/", args.seconds, headers={"Cookie": cookie}
        )
        figures["/r/ (302)"] = _wrk(
            run, "openops", "/r/BenchAlert__N__?severity=critical", args.seconds, vary=args.routes
        )
        figures["/r/ (302, signed in)"] = _wrk(
            run,
            "openops",
            "/r/BenchAlert__N__?severity=critical",
            args.seconds,
            headers={"Cookie": cookie},
            vary=args.routes,
        )
        figures["resolve API"] = _wrk(
            run,
            "openops",
            "/api/v1/resolve/?alertname=BenchAlert__N__&severity=critical",
            args.seconds,
            vary=args.routes,
        )
        figures["search"] = _wrk(run, "openops", "/api/v1/search/?q=restart+ceph", args.seconds)
        figures["suggest"] = _wrk(run, "openops", "/api/v1/search/suggest/?q=cep", args.seconds)
        figures["webhook (20 alerts a body)"] = _wrk(
            run, "openops", "/api/v1/alerts/alertmanager/", args.seconds, post=token
        )
    figures["worker (one, alerts/s)"] = _worker(env)
    if not args.no_wiki:
        figures["django-wiki"] = _wiki(run, text, args.seconds)
    ratios = _ratios(figures)
    _print(figures, ratios)
    return {"data": facts, "figures": figures, "ratios": ratios}


def _fixtures(run: Path):
    """The page's bytes (for the floor), a signed-in reader's cookie, an alerts token, the
    runbook's Markdown (for django-wiki)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from runbooks.actors import SYSTEM
    from runbooks.models import Document, Provider, Scope
    from runbooks.services import tokens

    url = f"/runbooks/bench-{TARGET}/"
    response = Client().get(url)
    assert response.status_code == 200, response.status_code
    page = run / "page.html"
    page.write_bytes(response.content)
    reader = Client()
    reader.force_login(get_user_model().objects.get(username="dave"))
    assert reader.get(url).status_code == 200
    cookie = f"sessionid={reader.cookies['sessionid'].value}"
    provider = Provider.objects.get(slug="nordwolke")
    token = tokens.issue_token(
        actor=SYSTEM, name="bench", scopes=[Scope.ALERTS_WRITE], provider=provider
    )[1]
    text = Document.objects.get(slug=f"bench-{TARGET}").current_revision.body
    return page, cookie, token, text


@contextmanager
def _server(name: str, env: dict, app: list[str], python: Path | None = None):
    """gunicorn with 2 sync workers on the app's port, until the block ends."""
    gunicorn = (python.parent / "gunicorn") if python else Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{PORTS[name]}"]
    command += ["--log-level", "warning", *app]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        _wait_until_up(PORTS[name], process)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def _factory(settings: str) -> list[str]:
    return [
        "--env",
        f"DJANGO_SETTINGS_MODULE={settings}",
        "django.core.wsgi:get_wsgi_application()",
    ]


def _wait_until_up(port: int, process) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers (404 on apps without /healthz/)
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not come up")


# --- Load -----------------------------------------------------------------------------------

LUA = Path(__file__).with_name("wrk.lua")


def _webhook_body() -> str:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": f"BenchAlert{i * 97}", "severity": "critical", "pod": f"p{i}"},
            "annotations": {"summary": "bench"},
            "startsAt": "2026-11-25T19:15:04.640401474Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": f"__N__-{i}",
        }
        for i in range(20)
    ]
    return json.dumps({"version": "4", "status": "firing", "alerts": alerts})


def _wrk(run, app, path, seconds, headers=None, vary=0, post=None) -> dict:
    script = run / f"wrk-{app}-{abs(hash((path, vary, bool(post)))) % 10**8}.lua"
    lua = LUA.read_text().replace("VARY", str(vary))
    if post:
        body = _webhook_body().replace('"', '\\"')
        lua = (
            f'wrk.method = "POST"\nwrk.body = "{body}"\n'
            f'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {post}"\n'
        ) + lua
    script.write_text(lua)
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    url = f"http://127.0.0.1:{PORTS[app]}{path}"
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^JSON (\{.*\})$", output, re.M)
    assert found, output
    raw = json.loads(found.group(1))
    figure = {
        "per_second": round(raw["requests"] / raw["seconds"], 1),
        "p50_ms": round(raw["p50"] / 1000, 2),
        "p99_ms": round(raw["p99"] / 1000, 2),
        "errors": raw["errors"],
    }
    print(f"  {app:<8} {path[:60]:<60} {figure}")
    return figure


def _worker(env: dict) -> dict:
    """One Celery worker drains what the webhook accepted: alerts processed per second."""
    from runbooks.models import InboxEntry

    pending = InboxEntry.objects.filter(processed_at__isnull=True, failed_at__isnull=True)
    bodies = pending.count()
    alerts = sum(pending.values_list("alert_count", flat=True))
    command = [sys.executable, "-m", "celery", "-A", "openops", "worker", "--pool=solo"]
    command += ["-Q", env["OPENOPS_CELERY_QUEUE"], "-l", "warning", "--without-heartbeat"]
    command += ["--without-gossip", "--without-mingle"]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        while pending.exists() and time.perf_counter() - started < 900:
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    elapsed = time.perf_counter() - started
    figure = {"per_second": round(alerts / elapsed, 1), "bodies": bodies, "alerts": alerts}
    print(f"  worker   {bodies} bodies, {alerts} alerts in {elapsed:.1f} s {figure}")
    return figure


def _wiki(run: Path, text: str, seconds: int) -> dict:
    python = WIKI_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(WIKI_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "wiki", "gunicorn"]
        subprocess.run(pip, check=True)
    folder = run / "wiki"
    (run / "wiki-text.md").write_text(text)
    env = {"OPENOPS_WIKI_FOLDER": str(folder), "DJANGO_SETTINGS_MODULE": "bench.wiki_site"}
    env |= {"PYTHONPATH": str(ROOT)}
    seed = [str(python), "-m", "bench.wiki_site", "seed", str(run / "wiki-text.md")]
    subprocess.run(seed, cwd=ROOT, env={**os.environ, **env}, check=True)
    with _server("wiki", env, ["django.core.wsgi:get_wsgi_application()"], python=python):
        return _wrk(run, "wiki", "/", seconds)


def _ratios(figures: dict) -> dict:
    floor = figures["floor"]["per_second"]
    wiki = figures.get("django-wiki", {}).get("per_second")
    ratios = {}
    for name in (
        "page (anonymous)",
        "page (signed in)",
        "/r/ (302)",
        "/r/ (302, signed in)",
        "resolve API",
    ):
        ratios[f"{name} / floor"] = round(figures[name]["per_second"] / floor, 3)
        if wiki:
            ratios[f"{name} / django-wiki"] = round(figures[name]["per_second"] / wiki, 2)
    return ratios


def _print(figures: dict, ratios: dict) -> None:
    print(f"\n{'measurement':<30} {'per second':>12} {'p50 ms':>9} {'p99 ms':>9}")
    for name, figure in figures.items():
        p50, p99 = figure.get("p50_ms", ""), figure.get("p99_ms", "")
        print(f"{name:<30} {figure['per_second']:>12} {p50:>9} {p99:>9}")
    print()
    for name, ratio in ratios.items():
        print(f"{name:<40} {ratio:>8}")


# --- Scale ----------------------------------------------------------------------------------


def _scale(run: Path, env: dict, args) -> dict:
    """The page, /r/ and search at growing numbers of runbooks (each step adds to the last),
    with the queries each request makes."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import seed

    seed.seed(0, 0, 0)
    results, have = {}, 0
    for count in map(int, args.steps.split(",")):
        seed.add_runbooks(have, count)
        have = count
        step, target = {}, min(TARGET, count - 1)
        with _server("openops", env, ["openops.wsgi:application"]):
            for name, path, vary in (
                ("page (anonymous)", f"/runbooks/bench-{target}/", 0),
                ("/r/ (302)", "/r/BenchAlert__N__?severity=critical", count),
                ("search", "/api/v1/search/?q=restart+ceph", 0),
            ):
                step[name] = _wrk(run, "openops", path, args.seconds, vary=vary)
                probe = path.replace("__N__", str(target))
                with CaptureQueriesContext(connection) as queries:
                    Client().get(probe)
                step[name]["queries"] = len(queries)
        results[str(count)] = step
    return {"scale": results}


if __name__ == "__main__":
    main()
