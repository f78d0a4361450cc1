"""Receiving alerts, pinned as tables (DESIGN §5; issue 38): one alert per (provider,
fingerprint, startsAt), so two providers' alerts never meet; a user's alerts:write token sends
only while its owner may write for the provider; the rate limit is counted per token."""

import json
from types import SimpleNamespace

import pytest
from django.test import Client

from runbooks import ratelimit
from runbooks.actors import SYSTEM
from runbooks.models import Alert, InboxEntry, Role, Scope
from runbooks.services import intake, people, tokens
from runbooks.services.base import NotAllowed
from tests.conftest import _member

WEBHOOK = "/api/v1/alerts/alertmanager/"
START = "2026-11-29T03:00:00Z"


def body(status="firing", fingerprint="0a1b2c3d", starts_at=START, **labels) -> str:
    """An Alertmanager v4 body with one alert."""
    one = {
        "status": status,
        "labels": {"alertname": "DiskFull", "instance": "node-1", **labels},
        "annotations": {"summary": f"Disk is full ({labels.get('site', 'here')})"},
        "startsAt": starts_at,
        "endsAt": "2026-11-29T04:00:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "fingerprint": fingerprint,
    }
    return json.dumps({"version": "4", "status": status, "alerts": [one]})


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def post(text, token):
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post(
                WEBHOOK, text, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
            )

    return post


def provider_token(provider, name="am") -> str:
    return tokens.issue_token(
        name=name, scopes=[Scope.ALERTS_WRITE], provider=provider, actor=SYSTEM
    )[1]


# --- One alert per provider, fingerprint and start ----------------------------------------------


def alerts() -> list[tuple[str, str, str, str]]:
    return sorted(
        (a.provider.slug, a.fingerprint, a.status, a.labels.get("site", ""))
        for a in Alert.objects.select_related("provider")
    )


def test_two_providers_alerts_with_the_same_fingerprint_and_start_stay_apart(
    send, provider_a, provider_b
):
    a, b = provider_token(provider_a), provider_token(provider_b)
    assert send(body(site="a"), a).status_code == 202
    assert send(body(site="b"), b).status_code == 202
    assert alerts() == [
        ("provider-a", "0a1b2c3d", "firing", "a"),
        ("provider-b", "0a1b2c3d", "firing", "b"),
    ]
    assert send(body("resolved", site="b"), b).status_code == 202  # B's alert ends, A's fires on
    assert alerts() == [
        ("provider-a", "0a1b2c3d", "firing", "a"),
        ("provider-b", "0a1b2c3d", "resolved", "b"),
    ]
    a_alert = Alert.objects.get(provider=provider_a)
    b_alert = Alert.objects.get(provider=provider_b)
    assert (a_alert.notifications, b_alert.notifications) == (1, 2)
    assert a_alert.annotations["summary"] == "Disk is full (a)"
    assert a_alert.ends_at is None and b_alert.ends_at is not None


@pytest.mark.parametrize(
    ("second", "same_start", "rows"),
    [
        ("same provider, same token", True, 1),  # a resend
        ("same provider, another token", True, 1),  # still a resend: the key has no token
        ("same provider, same token", False, 2),  # a new instance of the alert
        ("another provider", True, 2),
        ("another provider", False, 2),
    ],
)
def test_the_key_is_provider_fingerprint_and_start(
    send, provider_a, provider_b, second, same_start, rows
):
    first = provider_token(provider_a)
    other = {
        "same provider, same token": first,
        "same provider, another token": provider_token(provider_a, "am2"),
        "another provider": provider_token(provider_b),
    }[second]
    send(body(), first)
    send(body(starts_at=START if same_start else "2026-11-29T05:00:00Z"), other)
    assert Alert.objects.count() == rows
    assert sum(a.notifications for a in Alert.objects.all()) == 2


def test_a_provider_sees_only_its_own_alert_of_a_shared_fingerprint(
    send, provider_a, provider_b, alice, bob
):
    from tests.conftest import client_for

    send(body(site="a"), provider_token(provider_a))
    send(body(site="b"), provider_token(provider_b))
    for user, own in ((alice, "provider-a"), (bob, "provider-b")):
        listed = client_for(user).get("/api/v1/alerts/").json()["results"]
        assert [a["provider"] for a in listed] == [own]


# --- A token sends only while its owner may ----------------------------------------------------

# What has become of the token's owner since the token was made -> the webhook's answer.
OWNER_STATES = [
    ("still an editor", 202),
    ("made an admin", 202),
    ("demoted to reader", 403),
    ("demoted from admin to reader", 403),
    ("removed from the provider", 403),
    ("an editor elsewhere only", 403),
    ("deactivated", 401),  # a deactivated user's tokens are not valid at all
    ("made staff but no member", 403),
]


def _change_owner(user, provider_a, provider_b, state: str) -> None:
    if state == "made an admin":
        people.set_membership(provider_a, user, Role.ADMIN, actor=SYSTEM)
    elif state == "demoted to reader":
        people.set_membership(provider_a, user, Role.READER, actor=SYSTEM)
    elif state == "demoted from admin to reader":
        people.set_membership(provider_a, user, Role.ADMIN, actor=SYSTEM)
        people.set_membership(provider_a, user, Role.READER, actor=SYSTEM)
    elif state == "removed from the provider":
        people.remove_membership(provider_a, user, actor=SYSTEM)
    elif state == "an editor elsewhere only":
        people.set_membership(provider_b, user, Role.EDITOR, actor=SYSTEM)
        people.remove_membership(provider_a, user, actor=SYSTEM)
    elif state == "deactivated":
        user.is_active = False
        user.save(update_fields=["is_active"])
    elif state == "made staff but no member":
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        people.remove_membership(provider_a, user, actor=SYSTEM)


@pytest.mark.parametrize(("state", "answer"), OWNER_STATES)
def test_a_users_token_sends_only_while_its_owner_may_write_for_the_provider(
    send, provider_a, provider_b, state, answer
):
    sends = answer == 202
    owner = _member("frank", provider_a, Role.EDITOR)
    token, secret = tokens.issue_token(
        name="am", scopes=[Scope.ALERTS_WRITE], user=owner, provider=provider_a, actor=SYSTEM
    )
    assert send(body(), secret).status_code == 202  # before anything changed
    _change_owner(owner, provider_a, provider_b, state)
    response = send(body(fingerprint="ffff0001"), secret)
    assert response.status_code == answer, response.content[:200]
    assert InboxEntry.objects.count() == (2 if sends else 1)
    assert Alert.objects.filter(fingerprint="ffff0001").exists() is sends
    # The write path itself asks too, whoever calls it.
    token.refresh_from_db()
    token.user.refresh_from_db()
    if not sends:
        with pytest.raises(NotAllowed):
            intake.accept(token, "alertmanager", b"{}", SimpleNamespace(alerts=[]))


def test_a_token_of_the_provider_alone_sends_with_nobody_behind_it(send, provider_a):
    assert send(body(), provider_token(provider_a)).status_code == 202


# --- The webhook rate is counted per token ---------------------------------------------------


@pytest.fixture
def one_minute(monkeypatch):
    """Every request falls in the same rate window: the clock the limiter reads stands still
    in the middle of a minute, so no test here depends on when it runs."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_030.0))


def test_the_webhook_rate_is_counted_per_token_not_per_provider(
    send, provider_a, provider_b, settings, one_minute
):
    settings.OPENOPS_WEBHOOK_RATE = 2
    first, second = provider_token(provider_a, "am1"), provider_token(provider_a, "am2")
    elsewhere = provider_token(provider_b)
    answers = {
        "first": [send(body(fingerprint=f"a{n}"), first).status_code for n in range(3)],
        "second": [send(body(fingerprint=f"b{n}"), second).status_code for n in range(3)],
        "elsewhere": [send(body(fingerprint=f"c{n}"), elsewhere).status_code for n in range(3)],
    }
    assert answers == {name: [202, 202, 503] for name in answers}
    assert InboxEntry.objects.count() == 6


def test_a_limited_token_answers_503_with_retry_after(send, provider_a, settings, one_minute):
    settings.OPENOPS_WEBHOOK_RATE = 1
    token = provider_token(provider_a)
    assert send(body(), token).status_code == 202
    limited = send(body(), token)
    assert limited.status_code == 503 and 1 <= int(limited["Retry-After"]) <= 120


# --- The sweep: which bodies are tried again, and when one is given up on ---------------------


@pytest.fixture
def inbox(provider_a):
    from datetime import timedelta

    from django.utils import timezone

    def entry(age_seconds: float, **fields) -> InboxEntry:
        made = InboxEntry.objects.create(
            provider=provider_a, source="alertmanager", body=b"{}", **fields
        )
        received = timezone.now() - timedelta(seconds=age_seconds)
        InboxEntry.objects.filter(pk=made.pk).update(received_at=received)
        return made

    return entry


def test_the_sweep_takes_only_unprocessed_bodies_older_than_the_delay(inbox, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.OPENOPS_SWEEP_AFTER = timedelta(minutes=5)
    fresh, waiting = inbox(60), inbox(600)
    done = inbox(600, processed_at=timezone.now())
    given_up = inbox(600, failed_at=timezone.now())
    assert list(intake.stale_entries()) == [waiting]
    assert set(intake.stale_entries(timedelta(0))) == {fresh, waiting}
    assert set(intake.stale_entries(timedelta(hours=1))) == set()
    assert done.pk and given_up.pk


def test_a_failing_body_is_given_up_after_the_last_attempt_with_its_error_kept(
    inbox, caplog, monkeypatch
):
    """A parser that raises (a bug in it, or data it cannot read) stands in for a body that
    fails every time; its message is longer than what is kept."""
    entry = inbox(600)

    def broken(*args):
        raise ValueError("x" * 3000)

    monkeypatch.setattr(intake.payloads, "parse", broken)
    for attempt in range(1, intake.MAX_ATTEMPTS + 1):
        intake.process(entry.pk)
        entry.refresh_from_db()
        assert entry.attempts == attempt
        assert (entry.failed_at is not None) is (attempt == intake.MAX_ATTEMPTS)
    assert entry.error == ("ValueError: " + "x" * 3000)[:2000]
    given_up = [r.getMessage() for r in caplog.records if "giving up" in r.getMessage()]
    assert given_up == [f"Inbox entry {entry.pk} failed 3 times; giving up: {'x' * 3000}"]
    intake.process(entry.pk)  # given up: nothing more happens
    entry.refresh_from_db()
    assert entry.attempts == intake.MAX_ATTEMPTS
