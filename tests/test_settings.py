"""Start-up configuration: safe defaults, and bad values that fail loudly by name."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _start(**env):
    """Run `manage.py check` with only the given variables added to a clean environment."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "env,variable",
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"OPENOPS_WEBHOOK_RATE": "fast"}, "OPENOPS_WEBHOOK_RATE"),
        ({"OPENOPS_WEBHOOK_RATE": "0"}, "OPENOPS_WEBHOOK_RATE"),
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL"),
        ({"CACHE_URL": "memcached://x"}, "CACHE_URL"),
        ({"OPENOPS_TLS": "sometimes"}, "OPENOPS_TLS"),
        ({"OPENOPS_BASE_URL": "openops.example"}, "OPENOPS_BASE_URL"),
        ({"EMAIL_URL": "pigeon://loft"}, "EMAIL_URL"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(env, variable):
    result = _start(**env)
    assert result.returncode != 0
    assert variable in result.stderr


def test_production_without_a_secret_key_does_not_start():
    result = _start(DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_start_with_a_secret_key():
    result = _start(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="openops.example")
    assert result.returncode == 0, result.stderr


def test_the_defaults_need_no_services():
    result = _start()
    assert result.returncode == 0, result.stderr
