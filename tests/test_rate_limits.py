"""API writes and failed token authentications are rate-limited (OPENOPS_API_WRITE_RATE,
OPENOPS_TOKEN_FAILURE_RATE), counted where every worker sees the same count. Boundaries between
minutes (the sliding window): tests/test_second_attack_low.py."""

import json

import pytest
from django.test import Client

from runbooks.actors import SYSTEM
from runbooks.models import Document, Scope
from runbooks.services import tokens
from tests.conftest import client_for

BODY = json.dumps(
    {
        "version": "4",
        "status": "firing",
        "alerts": [
            {"status": "firing", "labels": {"alertname": "X"}, "startsAt": "2026-11-30T03:00:00Z"}
        ],
    }
)


# Counts are kept per minute: each test starts at a minute's start, so none is split in two.
pytestmark = pytest.mark.usefixtures("within_one_minute")


def _token(user, *scopes, provider=None):
    return tokens.issue_token(actor=SYSTEM, name="t", scopes=scopes, user=user, provider=provider)[
        1
    ]


def _bearer(secret, address="10.0.0.1"):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "REMOTE_ADDR": address}


def _create(client, n, **headers):
    body = {"title": f"Runbook {n}", "body": "## Check\n\nx\n", "visibility": "public"}
    return client.post("/api/v1/runbooks/", body, content_type="application/json", **headers)


@pytest.fixture
def write_rate(settings):
    settings.OPENOPS_API_WRITE_RATE = 3


def test_a_token_over_its_write_rate_gets_429_and_writes_nothing(db, alice, write_rate):
    secret, client = _token(alice, Scope.READ, Scope.WRITE), Client()
    answers = [_create(client, n, **_bearer(secret)).status_code for n in range(5)]
    assert answers == [201, 201, 201, 429, 429]
    refused = _create(client, 9, **_bearer(secret))
    assert 0 < int(refused["Retry-After"]) <= 120  # a sliding minute: up to two clock minutes
    assert "throttled" in refused.json()["detail"].lower()
    assert Document.objects.filter(title__startswith="Runbook").count() == 3
    # reads go on
    assert client.get("/api/v1/runbooks/", **_bearer(secret)).status_code == 200


def test_each_token_and_each_user_has_its_own_count(db, alice, bob, write_rate):
    first, second = _token(alice, Scope.WRITE, Scope.READ), _token(alice, Scope.WRITE)
    client = Client()
    for n in range(3):
        assert _create(client, n, **_bearer(first)).status_code == 201
    assert _create(client, 10, **_bearer(first)).status_code == 429
    assert _create(client, 11, **_bearer(second)).status_code == 201
    signed_in = client_for(bob)
    assert [_create(signed_in, 20 + n).status_code for n in range(4)] == [201, 201, 201, 429]


def test_alert_receivers_keep_their_own_rate(db, provider_a, settings):
    settings.OPENOPS_API_WRITE_RATE = 1
    secret, client = _token(None, Scope.ALERTS_WRITE, provider=provider_a), Client()
    for _ in range(3):
        response = client.post(
            "/api/v1/alerts/alertmanager/", BODY, content_type="application/json", **_bearer(secret)
        )
        assert response.status_code == 202


@pytest.fixture
def failure_rate(settings):
    settings.OPENOPS_TOKEN_FAILURE_RATE = 3


def test_guessing_tokens_is_refused_but_never_locks_out_a_right_one(db, alice, failure_rate):
    good, client = _token(alice, Scope.READ), Client()
    for n in range(3):
        assert client.get("/api/v1/runbooks/", **_bearer(f"wrong-{n}")).status_code == 401
    refused = client.get("/api/v1/runbooks/", **_bearer("wrong-again"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 120
    assert "failed token" in refused.json()["detail"]
    # a right token from the same address (a NAT, a proxy) is never locked out by others' guesses
    assert client.get("/api/v1/runbooks/", **_bearer(good)).status_code == 200
    # another address has its own count
    assert client.get("/api/v1/runbooks/", **_bearer("wrong", "10.0.0.2")).status_code == 401


def test_right_tokens_do_not_use_up_the_failure_budget(db, alice, failure_rate):
    good, client = _token(alice, Scope.READ), Client()
    for _ in range(10):
        assert client.get("/api/v1/runbooks/", **_bearer(good)).status_code == 200


def test_a_routing_key_guess_counts_as_a_failure(db, provider_a, failure_rate):
    client = Client(REMOTE_ADDR="10.0.0.3")
    event = {"routing_key": "guess", "event_action": "trigger", "payload": {"summary": "x"}}
    for _ in range(3):
        response = client.post("/api/v1/alerts/events/", event, content_type="application/json")
        assert response.status_code == 401
    response = client.post("/api/v1/alerts/events/", event, content_type="application/json")
    assert response.status_code == 429


def test_a_token_that_is_not_ascii_is_a_failure_too(db, failure_rate):
    client = Client()
    for _ in range(3):
        response = client.get("/api/v1/runbooks/", HTTP_AUTHORIZATION="Bearer tökén")
        assert response.status_code == 401
    assert client.get("/api/v1/runbooks/", HTTP_AUTHORIZATION="Bearer x").status_code == 429
