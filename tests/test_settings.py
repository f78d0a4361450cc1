"""Start-up configuration: safe defaults, and bad values that fail loudly by name."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# Set by the suite (tests/settings.py) or by a developer's shell: not a default of the product.
NOT_DEFAULTS = {
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "DEBUG",
    "SECRET_KEY",
    "DJANGO_SETTINGS_MODULE",
}


def _start(*command, **env):
    """Run `manage.py check` (or another command) with only the given variables added to a clean
    environment: no DEBUG, no SECRET_KEY, and no key file (a checkout's var/ may hold one)."""
    clean = {k: v for k, v in os.environ.items() if k not in NOT_DEFAULTS}
    clean["OPENOPS_SECRET_KEY_FILE"] = str(ROOT / "var" / "no-such-key-file")
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *(command or ["check"])],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


def _debug(**env) -> str:
    shell = "from django.conf import settings; print(settings.DEBUG)"
    result = _start("shell", "-c", shell, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-1]


def _oidc(**fields) -> str:
    issuer = {
        "id": "keycloak",
        "name": "SCS Keycloak",
        "issuer": "https://keycloak.example/realms/scs",
        "client_id": "openops",
        "client_secret": "s3cret",
    }
    return json.dumps([{**issuer, **fields}])


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
        ({"OPENOPS_OIDC_PROVIDERS": "[{"}, "OPENOPS_OIDC_PROVIDERS"),
        ({"OPENOPS_OIDC_PROVIDERS": '{"id": "kc"}'}, "OPENOPS_OIDC_PROVIDERS"),
        ({"OPENOPS_OIDC_PROVIDERS": _oidc(issuer="http://kc.example/realms/x")}, "https issuers"),
        ({"OPENOPS_OIDC_PROVIDERS": _oidc(client_secret="")}, "non-empty string"),
        ({"OPENOPS_OIDC_PROVIDERS": _oidc(id="Not Slug")}, "OPENOPS_OIDC_PROVIDERS"),
        ({"OPENOPS_OIDC_PROVIDERS": _oidc()[:-1] + ", " + _oidc()[1:]}, "unique ids"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(env, variable):
    result = _start(SECRET_KEY="x" * 50, **env)
    assert result.returncode != 0
    assert variable in result.stderr


def test_production_without_a_secret_key_does_not_start():
    result = _start(DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked_for():
    assert _debug(SECRET_KEY="x" * 50) == "False"
    assert _debug(DEBUG="true") == "True"


def test_with_nothing_set_it_asks_for_a_secret_key_instead_of_serving_debug_pages():
    result = _start()
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=false" in result.stderr


def test_the_key_make_run_wrote_is_read_from_its_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 50 + "\n")
    shell = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = _start("shell", "-c", shell, OPENOPS_SECRET_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "k" * 50


def test_production_settings_start_with_a_secret_key():
    result = _start(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="openops.example")
    assert result.returncode == 0, result.stderr


def test_the_defaults_need_no_services():
    result = _start(SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


def test_oidc_issuers_become_sign_in_providers_and_may_take_forms():
    code = (
        "from django.conf import settings as s; import json; print(json.dumps(["
        "s.SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS'],"
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']]))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    clean["OPENOPS_OIDC_PROVIDERS"] = _oidc(issuer="https://keycloak.example/realms/scs/")
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    apps, form_action = json.loads(done.stdout.strip().splitlines()[-1])
    assert apps == [
        {
            "provider_id": "keycloak",
            "name": "SCS Keycloak",
            "client_id": "openops",
            "secret": "s3cret",
            "settings": {"server_url": "https://keycloak.example/realms/scs"},
        }
    ]
    assert form_action == ["'self'", "https://keycloak.example"]


def test_a_bad_issuer_list_never_shows_its_secrets():
    result = _start(SECRET_KEY="x" * 50, OPENOPS_OIDC_PROVIDERS=_oidc(issuer="ftp://kc.example"))
    assert result.returncode != 0 and "OPENOPS_OIDC_PROVIDERS" in result.stderr
    assert "s3cret" not in result.stderr


def test_a_plain_http_issuer_is_allowed_on_loopback_only():
    assert (
        _start(
            SECRET_KEY="x" * 50, OPENOPS_OIDC_PROVIDERS=_oidc(issuer="http://127.0.0.1:9000")
        ).returncode
        == 0
    )
