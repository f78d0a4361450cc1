"""Failed sign-ins are limited per username and per client address (OPENOPS_LOGIN_RATE).

django-axes counts them in the database; these tests go through /accounts/login/ with the real
middleware, backends and tables, each request from the REMOTE_ADDR it names.
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from django.template.loader import render_to_string
from django.test import Client

from openops.env import Rate, env_rate
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
LOGIN = "/accounts/login/"
NEEDS_LOGIN = "/alerts/"
HOME = "198.51.100.10"
ELSEWHERE = "203.0.113.20"


def sign_in(username, password, address=HOME, client=None, url=LOGIN):
    client = client or Client(REMOTE_ADDR=address)
    data = {"username": username, "password": password, "next": NEEDS_LOGIN}
    return client.post(url, data, REMOTE_ADDR=address)


def fail(times, username="alice", address=HOME):
    for _ in range(times):
        sign_in(username, "not-the-password", address)


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session and client.get(NEEDS_LOGIN).status_code == 200


def assert_locked_out(response, wait="15 minutes"):
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-ins" in page
    assert f"Try again in {wait}." in page
    assert '<form method="post" action="/accounts/login/"' in page


def rewind_failures(by: timedelta):
    """Make every recorded failure older, as if that much time had passed."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - by)


def test_under_the_limit_the_right_password_signs_in(alice):
    fail(9)
    client = Client()
    response = sign_in("alice", PASSWORD, client=client)
    assert response.status_code == 302 and response["Location"] == NEEDS_LOGIN
    assert is_signed_in(client)


def test_ten_wrong_passwords_lock_the_user_out_even_with_the_right_one(alice):
    for _ in range(9):
        response = sign_in("alice", "not-the-password")
        assert response.status_code == 200
        assert "did not match" in response.content.decode()
    # The tenth failure reaches the limit: its own answer is already the lockout page.
    assert_locked_out(sign_in("alice", "not-the-password"))

    client = Client()
    assert_locked_out(sign_in("alice", PASSWORD, client=client))
    assert "_auth_user_id" not in client.session
    assert client.get(NEEDS_LOGIN).status_code == 302


def test_failures_over_many_usernames_lock_the_address(alice):
    for n in range(10):
        fail(1, username=f"guess-{n}", address=HOME)

    assert_locked_out(sign_in("alice", PASSWORD, address=HOME))
    client = Client()
    assert sign_in("alice", PASSWORD, address=ELSEWHERE, client=client).status_code == 302
    assert is_signed_in(client)


def test_failures_from_many_addresses_lock_the_username(alice, bob):
    for n in range(10):
        fail(1, username="alice", address=f"192.0.2.{n + 1}")

    assert_locked_out(sign_in("alice", PASSWORD, address=ELSEWHERE))
    # The address itself is not locked: someone else signs in from it.
    assert sign_in("bob", PASSWORD, address=ELSEWHERE).status_code == 302


def test_after_the_window_the_user_signs_in_again(alice):
    fail(10)
    rewind_failures(timedelta(minutes=14))
    assert_locked_out(sign_in("alice", PASSWORD))

    rewind_failures(timedelta(minutes=16))
    client = Client()
    assert sign_in("alice", PASSWORD, client=client).status_code == 302
    assert is_signed_in(client)


def test_a_refused_attempt_restarts_the_wait(alice):
    """So "try again in 15 minutes" holds from the latest attempt, not the first failure."""
    fail(10)
    rewind_failures(timedelta(minutes=14))
    assert_locked_out(sign_in("alice", PASSWORD))
    rewind_failures(timedelta(minutes=14))
    assert_locked_out(sign_in("alice", PASSWORD))


def test_a_custom_rate_changes_the_limit_and_the_wait(alice, settings, monkeypatch):
    monkeypatch.setenv("OPENOPS_LOGIN_RATE", "3/1m")
    rate = env_rate("OPENOPS_LOGIN_RATE", "10/15m")
    assert rate == Rate(3, timedelta(minutes=1))
    settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME = rate

    fail(2)
    assert_locked_out(sign_in("alice", "not-the-password"), wait="1 minute")
    assert_locked_out(sign_in("alice", PASSWORD), wait="1 minute")
    rewind_failures(timedelta(seconds=61))
    assert sign_in("alice", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "value,rate",
    [
        ("10/15m", Rate(10, timedelta(minutes=15))),
        ("5/30s", Rate(5, timedelta(seconds=30))),
        ("20/1h", Rate(20, timedelta(hours=1))),
        (" 1/24h ", Rate(1, timedelta(hours=24))),
    ],
)
def test_the_rate_reads_count_slash_period(monkeypatch, value, rate):
    monkeypatch.setenv("OPENOPS_LOGIN_RATE", value)
    assert env_rate("OPENOPS_LOGIN_RATE", "10/15m") == rate


def test_an_unset_rate_is_ten_per_fifteen_minutes(monkeypatch):
    monkeypatch.delenv("OPENOPS_LOGIN_RATE", raising=False)
    assert env_rate("OPENOPS_LOGIN_RATE", "10/15m") == Rate(10, timedelta(minutes=15))


@pytest.mark.parametrize(
    "value", ["ten", "10/", "0/5m", "10/5x", "10/0s", "10/m", "10/15M", "10 / 15m", "10/25h"]
)
def test_a_bad_rate_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("OPENOPS_LOGIN_RATE", value)
    with pytest.raises(ImproperlyConfigured, match="OPENOPS_LOGIN_RATE"):
        env_rate("OPENOPS_LOGIN_RATE", "10/15m")


def _django(code: str, **env) -> subprocess.CompletedProcess:
    """Run `code` in a fresh `manage.py shell` whose settings read the given variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENOPS_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_settings_take_the_limit_and_window_from_the_environment():
    code = "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)"
    assert _django(code, OPENOPS_LOGIN_RATE="3/1m").stdout.split() == ["3", "0:01:00"]
    result = _django(code, OPENOPS_LOGIN_RATE="10/5x")
    assert result.returncode != 0 and "OPENOPS_LOGIN_RATE" in result.stderr


ADDRESS = (
    "from django.test import RequestFactory; from axes.helpers import get_client_ip_address; "
    "print(get_client_ip_address(RequestFactory().post('/', **{meta})))"
)


@pytest.mark.parametrize(
    "behind_proxy,meta,address",
    [
        # Direct: a client's X-Forwarded-For is ignored.
        ("false", {"HTTP_X_FORWARDED_FOR": "192.0.2.7"}, "10.0.0.2"),
        # Proxied: the entry the proxy appended, not the one the client sent before it.
        ("true", {"HTTP_X_FORWARDED_FOR": "192.0.2.7, 198.51.100.9"}, "198.51.100.9"),
        ("true", {"HTTP_X_FORWARDED_FOR": "not-an-ip, 198.51.100.9"}, "198.51.100.9"),
        ("true", {}, "10.0.0.2"),
    ],
)
def test_the_client_address_trusts_x_forwarded_for_only_behind_the_proxy(
    behind_proxy, meta, address
):
    meta = {"REMOTE_ADDR": "10.0.0.2", **meta}
    result = _django(ADDRESS.format(meta=meta), OPENOPS_BEHIND_PROXY=behind_proxy)
    assert result.stdout.strip() == address, result.stderr


def test_the_admin_sign_in_works_and_shares_the_limit(carol):
    client = Client()
    response = sign_in("carol", PASSWORD, client=client, url="/admin/login/")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200

    fail(10, username="carol", address=ELSEWHERE)
    assert_locked_out(sign_in("carol", PASSWORD, url="/admin/login/"))


@pytest.mark.parametrize(
    "window,wait",
    [
        (timedelta(seconds=1), "1 second"),
        (timedelta(seconds=30), "30 seconds"),
        (timedelta(seconds=90), "90 seconds"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=24), "24 hours"),
    ],
)
def test_the_lockout_page_says_the_wait_in_whole_units(rf, window, wait):
    page = render_to_string(
        "registration/lockout.html", {"cooloff_timedelta": window}, request=rf.get(LOGIN)
    )
    assert f"Try again in {wait}." in page
