"""Alert webhooks (DESIGN §5) with real Alertmanager bodies; Celery runs inline here."""

import copy
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client

from runbooks import tasks
from runbooks.actors import SYSTEM
from runbooks.models import Alert, AlertEvent, InboxEntry, RunbookMiss, Scope
from runbooks.services import intake, routes, tokens
from tests.api import ApiClient, validate

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
URL = "/api/v1/alerts/alertmanager/"


def corpus(name: str) -> dict:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared corpus sits beside the repository)")
    return json.loads(path.read_text())


@pytest.fixture
def firing():
    return corpus("example_alertmanager_payload.json")


@pytest.fixture
def resolved():
    return corpus("example_alertmanager_payload_resolved.json")


@pytest.fixture
def token(provider_a):
    return tokens.issue_token(
        name="am", scopes=[Scope.ALERTS_WRITE], provider=provider_a, actor=SYSTEM
    )[1]


@pytest.fixture
def crashloop_runbook(alice, make_runbook):
    runbook = make_runbook(alice, title="Pod crash looping")
    routes.save_route(alertname="KubePodCrashLooping", runbook=runbook, actor=SYSTEM)
    return runbook


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """Send a webhook. Tests run inside a transaction, so what the webhook schedules
    `on_commit` is run as if it had committed, as it does outside tests."""

    def send(body, token, url=URL, method="post", **headers):
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(Client(), method)(
                url, data=data, content_type="application/json", headers={**auth, **headers}
            )

    return send


def test_a_real_alertmanager_body_is_recorded_and_linked(post, token, firing, crashloop_runbook):
    response = post(firing, token)
    assert response.status_code == 202
    entry = InboxEntry.objects.get()
    assert response.json() == {"id": entry.pk, "alerts": 1}
    assert bytes(entry.body) == json.dumps(firing).encode() and entry.processed_at
    alert = Alert.objects.get()
    assert (alert.alertname, alert.status, alert.fingerprint) == (
        "KubePodCrashLooping",
        "firing",
        "d525dbad315e56ee",
    )
    assert alert.labels["namespace"] == "demo" and alert.ends_at is None
    assert alert.starts_at.isoformat() == "2026-11-25T19:15:04.640401+00:00"
    assert alert.runbook == crashloop_runbook and alert.provider.slug == "provider-a"


def test_the_body_is_stored_exactly_as_received(post, token, firing):
    raw = json.dumps(firing, indent=3).encode()
    post(raw, token)
    assert bytes(InboxEntry.objects.get().body) == raw


def test_a_resend_updates_the_same_alert_and_doubles_nothing(post, token, firing):
    post(firing, token)
    post(firing, token)
    alert = Alert.objects.get()
    assert alert.notifications == 2 and alert.events.count() == 2
    for entry in InboxEntry.objects.all():  # processing a body again changes nothing
        intake.process(entry.pk)
    assert Alert.objects.get().notifications == 2 and AlertEvent.objects.count() == 2


def test_firing_then_resolved_updates_status_and_keeps_annotations(post, token, firing):
    post(firing, token)
    resolved = copy.deepcopy(firing)
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = "2026-11-25T19:20:00.123456789Z"
    resolved["alerts"][0]["annotations"] = {}
    post(resolved, token)
    alert = Alert.objects.get()
    assert alert.status == "resolved" and alert.ends_at.isoformat().startswith(
        "2026-11-25T19:20:00"
    )
    assert alert.annotations["runbook_url"].endswith("/r/KubePodCrashLooping")
    post(firing, token)  # a late firing resend does not reopen it
    assert Alert.objects.get().status == "resolved"
    assert list(alert.events.values_list("status", flat=True)) == ["firing", "resolved", "firing"]


def test_the_corpus_resolved_body_and_a_miss(post, token, resolved):
    assert post(resolved, token).status_code == 202
    alert = Alert.objects.get()
    assert alert.status == "resolved" and alert.runbook is None
    assert RunbookMiss.objects.get().alertname == "OpenStackNovaComputeDown"


def test_truncated_alerts_are_recorded(post, token, firing):
    firing["truncatedAlerts"] = 7
    post(firing, token)
    assert InboxEntry.objects.get().truncated_alerts == 7


def test_nul_bytes_are_kept_readable_and_stored(post, token, firing):
    firing["alerts"][0]["labels"]["pod"] = "web\u0000-1"
    assert post(firing, token).status_code == 202
    assert Alert.objects.get().labels["pod"] == "web\ufffd-1"


GRAFANA = {
    "receiver": "openops",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "CephOSDDown", "grafana_folder": "Storage", "osd": "12"},
            "annotations": {"summary": "OSD 12 is down"},
            "startsAt": "2026-11-25T20:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://grafana.example/alerting/grafana/abc/view",
            "fingerprint": "4a1b2c3d4e5f6a7b",
            "silenceURL": "https://grafana.example/alerting/silence/new?matcher=alertname%3DCephOSDDown",
            "dashboardURL": "https://grafana.example/d/ceph",
            "panelURL": "https://grafana.example/d/ceph?viewPanel=3",
            "values": {"B": 0, "C": 1},
            "valueString": "[ var='B' labels={osd=12} value=0 ]",
        }
    ],
    "groupLabels": {"alertname": "CephOSDDown"},
    "commonLabels": {"alertname": "CephOSDDown"},
    "commonAnnotations": {},
    "externalURL": "https://grafana.example/",
    "version": "1",
    "groupKey": '{}:{alertname="CephOSDDown"}',
    "truncatedAlerts": 0,
    "title": "[FIRING:1] CephOSDDown",
    "state": "alerting",
    "message": "OSD 12 is down",
}


@pytest.mark.parametrize("method", ["post", "put"])
def test_grafana_bodies_keep_values_and_links(post, token, method):
    response = post(GRAFANA, token, url="/api/v1/alerts/grafana/", method=method)
    assert response.status_code == 202
    alert = Alert.objects.get()
    assert alert.source == "grafana" and alert.fingerprint == "4a1b2c3d4e5f6a7b"
    assert alert.extra["dashboardURL"] == "https://grafana.example/d/ceph"
    assert alert.extra["values"] == {"B": 0, "C": 1} and alert.extra["state"] == "alerting"
    assert alert.generator_url.endswith("/view")


def _bad(firing, change):
    body = copy.deepcopy(firing)
    change(body)
    return body


@pytest.mark.parametrize(
    "make",
    [
        lambda f: b"{not json",
        lambda f: b"[]",
        lambda f: b'{"alerts": {}}',
        lambda f: b'{"alerts": [], "x": NaN}',
        lambda f: _bad(f, lambda b: b["alerts"][0].update(status="burning")),
        lambda f: _bad(f, lambda b: b["alerts"][0].update(startsAt="yesterday")),
        lambda f: _bad(f, lambda b: b["alerts"][0].update(startsAt="0001-01-01T00:00:00Z")),
        lambda f: _bad(f, lambda b: b["alerts"][0]["labels"].update(severity=3)),
        lambda f: _bad(f, lambda b: b["alerts"][0]["labels"].update(huge="x" * 9000)),
        lambda f: _bad(f, lambda b: b.update(truncatedAlerts=-1)),
        lambda f: "\udcff".encode("utf-8", "surrogatepass"),
    ],
    ids=[
        "malformed",
        "list",
        "alerts-not-list",
        "nan",
        "status",
        "starts-at",
        "zero-start",
        "label-not-string",
        "huge-label",
        "truncated-negative",
        "not-utf8",
    ],
)
def test_bodies_that_can_never_be_valid_get_400_and_nothing_is_stored(post, token, firing, make):
    response = post(make(firing), token)
    assert response.status_code == 400 and response.json()["detail"]
    assert not InboxEntry.objects.exists()


def test_tokens_are_checked_first(post, token, firing, alice, provider_a):
    read = tokens.issue_token(
        name="r", scopes=[Scope.READ], user=alice, provider=provider_a, actor=SYSTEM
    )[1]
    oversized = b"x" * (10 * 1024 * 1024 + 1)
    missing = post(oversized, None)
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert post(firing, "oo_wrong").status_code == 401
    assert post(firing, read).status_code == 403
    assert post(oversized, token).status_code == 413  # then the size, before the shape
    assert not InboxEntry.objects.exists()


def test_a_revoked_token_is_refused(post, provider_a, firing):
    token, secret = tokens.issue_token(
        name="am", scopes=[Scope.ALERTS_WRITE], provider=provider_a, actor=SYSTEM
    )
    tokens.revoke_token(token, actor=SYSTEM)
    assert post(firing, secret).status_code == 401


def test_the_rate_limit_answers_503_with_retry_after(post, token, firing, settings):
    from django.core.cache import cache

    cache.clear()
    settings.OPENOPS_WEBHOOK_RATE = 2
    assert [post(firing, token).status_code for _ in range(2)] == [202, 202]
    limited = post(firing, token)
    assert limited.status_code == 503 and 1 <= int(limited["Retry-After"]) <= 120
    assert post(b"{bad", token).status_code == 400  # shape is judged before the rate
    assert InboxEntry.objects.count() == 2


def test_a_poison_body_is_marked_failed_after_a_few_attempts_and_kept(provider_a):
    entry = InboxEntry.objects.create(provider=provider_a, source="alertmanager", body=b"{")
    for _ in range(intake.MAX_ATTEMPTS + 2):  # the sweep keeps trying, then stops
        tasks.sweep(older_than=timedelta(0))
    entry.refresh_from_db()
    assert entry.attempts == intake.MAX_ATTEMPTS and entry.failed_at
    assert entry.error.startswith("PayloadError: The body is not JSON")
    assert bytes(entry.body) == b"{" and entry.processed_at is None
    assert not intake.stale_entries(older_than=timedelta(0)).exists()


def test_received_alerts_are_visible_to_members_and_staff(
    post, token, firing, alice, bob, carol, dave
):
    post(firing, token)
    alert = Alert.objects.get()

    def client(user):
        return ApiClient(
            token=tokens.issue_token(name="t", scopes=[Scope.READ], user=user, actor=SYSTEM)[1]
        )

    for user, expected in [(alice, 200), (dave, 200), (carol, 200), (bob, 404)]:
        response = validate(client(user).get(f"/api/v1/alerts/{alert.pk}/"))
        assert response.status_code == expected, user
    listing = validate(
        client(alice).get("/api/v1/alerts/?status=firing&alertname=kubepodcrashlooping")
    )
    assert [a["fingerprint"] for a in listing.json()["results"]] == ["d525dbad315e56ee"]
    assert validate(client(bob).get("/api/v1/alerts/")).json()["results"] == []
    anonymous = validate(ApiClient().get("/api/v1/alerts/"))
    assert anonymous.status_code == 401
    alerts_only = validate(ApiClient(token=token).get("/api/v1/alerts/"))
    assert alerts_only.status_code == 403


def test_the_webhook_answers_are_in_the_schema(post, token, firing):
    validate(post(firing, token))


def test_processing_costs_the_same_for_7_or_50_alerts(token, provider_a, crashloop_runbook):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n: int, tag: str) -> int:
        alerts = [
            {
                "status": "firing",
                "labels": {"alertname": f"Name{i % 7}", "pod": f"{tag}{i}"},
                "startsAt": "2026-11-25T19:15:04Z",
                "fingerprint": f"{tag}{i}",
            }
            for i in range(n)
        ]
        entry = InboxEntry.objects.create(
            provider=provider_a, source="alertmanager", body=json.dumps({"alerts": alerts}).encode()
        )
        with CaptureQueriesContext(connection) as captured:
            intake.process(entry.pk)
        return len(captured)

    queries(7, "warm")  # the seven names were missed once before: their miss rows exist
    assert queries(7, "a") == queries(50, "b")


def test_staff_see_every_alert_but_not_the_slug_of_a_private_runbook(
    post, token, firing, alice, carol, provider_a, make_runbook
):
    from runbooks.choices import Visibility

    private = make_runbook(
        alice, title="Private crash loop", provider=provider_a, visibility=Visibility.PROVIDER
    )
    routes.save_route(
        alertname="KubePodCrashLooping", runbook=private, provider=provider_a, actor=SYSTEM
    )
    post(firing, token)
    alert = Alert.objects.get()
    assert alert.runbook == private

    def read(user):
        secret = tokens.issue_token(name="t", scopes=[Scope.READ], user=user, actor=SYSTEM)[1]
        return validate(ApiClient(token=secret).get(f"/api/v1/alerts/{alert.pk}/")).json()

    assert read(alice)["runbook"] == private.slug
    assert read(carol)["runbook"] is None
