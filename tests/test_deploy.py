"""A production start is safe by default: `check --deploy` is clean with DEBUG off, a real
secret key and OPENOPS_TLS at its default; probes are answered over plain HTTP."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from runbooks.services import heartbeats

ROOT = Path(__file__).resolve().parent.parent


def _deploy_check(**env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "OPENOPS_TLS", "DEBUG"}
    }
    clean |= {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "openops.example.org",
        **env,
    }
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True)


def test_the_deploy_check_passes_with_the_defaults():
    result = _deploy_check()
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_turning_hsts_preload_off_is_what_the_check_then_names():
    result = _deploy_check(OPENOPS_HSTS_PRELOAD="false")
    assert result.returncode != 0
    assert "security.W021" in result.stderr  # the check could fail: it reads the setting


@pytest.fixture
def tls(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True


@pytest.mark.parametrize("path", ["/healthz/", "/readyz/"])
def test_probes_are_answered_over_plain_http(client, db, tls, path):
    heartbeats.record()  # with a broker, /readyz/ also asks for a worker's recent heartbeat
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/", "/runbooks/", "/api/v1/runbooks/", "/accounts/login/"])
def test_everything_else_moves_to_https(client, db, tls, path):
    response = client.get(path)
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_https_answers_carry_hsts_with_preload(client, db, tls):
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_behind_a_proxy_its_https_header_counts(client, db, tls, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/", HTTP_X_FORWARDED_PROTO="http").status_code == 301
