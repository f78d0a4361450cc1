"""Alert webhooks (DESIGN §5) with our own Alertmanager bodies, tests/fixtures/alertmanager.

test_webhooks.py checks these behaviours with the two bodies of the shared corpus
(../shared/corpus) and skips without it; here they hold in any checkout. One group: two
KubePodCrashLooping alerts and a NovaComputeServiceDown, first firing, then resolved (the
crash-loop alerts resolve with empty annotations). Tokens, routes and runbooks are made through
the command, the API and the shared fixtures, so that the tests hold however the services are
arranged. Celery runs inline here.
"""

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from runbooks.choices import Visibility
from runbooks.models import Alert, AlertEvent, InboxEntry, RunbookMiss, Token
from runbooks.tasks import process_inbox_entry
from tests.api import ApiClient, validate

URL = "/api/v1/alerts/alertmanager/"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "alertmanager"
CRASH_NOVA, CRASH_CINDER, NOVA_DOWN = "8c3e1f0a94b27d65", "2b9d47e0c6a1f583", "e41f6b2a0d9c3857"


@pytest.fixture
def firing():
    return json.loads((FIXTURES / "firing.json").read_text())


@pytest.fixture
def resolved():
    return json.loads((FIXTURES / "resolved.json").read_text())


def issue_token(*options: str) -> str:
    """A secret for provider A from `manage.py issue_token` (its last line), as operators get it."""
    out = StringIO()
    call_command("issue_token", "--provider", "provider-a", *options, stdout=out)
    return out.getvalue().splitlines()[-1]


@pytest.fixture
def token(provider_a):
    return issue_token("--name", "am", "--scope", "alerts:write")


def add_route(user, runbook, provider=None) -> None:
    """Route KubePodCrashLooping to `runbook` through the API, as `user` with a write token."""
    secret = issue_token("--name", "routes", "--scope", "write", "--user", user.username)
    route = {"runbook": runbook.slug, "alertname": "KubePodCrashLooping", "provider": provider}
    response = validate(ApiClient(token=secret).post("/api/v1/alert-routes/", route))
    assert response.status_code == 201, response.content


@pytest.fixture
def crashloop_runbook(alice, make_runbook):
    runbook = make_runbook(alice, title="Pod crash looping")
    add_route(alice, runbook)
    return runbook


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """Send a webhook; what it schedules `on_commit` runs as if the test's transaction had
    committed, as it does outside tests."""

    def send(body, token):
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post(URL, data=data, content_type="application/json", headers=auth)

    return send


def stored() -> dict[str, Alert]:
    """The stored alerts by fingerprint (each test here has one incident per fingerprint)."""
    return {alert.fingerprint: alert for alert in Alert.objects.select_related("runbook")}


def test_our_firing_body_is_recorded_and_linked(post, token, firing, crashloop_runbook):
    raw = (FIXTURES / "firing.json").read_bytes()
    response = post(raw, token)
    assert response.status_code == 202
    entry = InboxEntry.objects.get()
    assert response.json() == {"id": entry.pk, "alerts": 3}
    assert bytes(entry.body) == raw and entry.processed_at
    alerts = stored()
    assert set(alerts) == {CRASH_NOVA, CRASH_CINDER, NOVA_DOWN}
    for sent in firing["alerts"]:
        alert = alerts[sent["fingerprint"]]
        assert (alert.alertname, alert.status) == (sent["labels"]["alertname"], "firing")
        assert alert.labels == sent["labels"] and alert.annotations == sent["annotations"]
        assert alert.ends_at is None and alert.generator_url == sent["generatorURL"]
        assert alert.provider.slug == "provider-a" and alert.source == "alertmanager"
    # Nanoseconds are cut to microseconds, `Z` is UTC, and Go drops trailing zeros.
    assert alerts[CRASH_NOVA].starts_at.isoformat() == "2026-03-02T08:14:07.412873+00:00"
    assert alerts[CRASH_CINDER].starts_at.isoformat() == "2026-03-02T08:11:52.091200+00:00"
    assert alerts[NOVA_DOWN].starts_at.isoformat() == "2026-03-02T08:09:37.550000+00:00"
    linked = {fingerprint: a.runbook and a.runbook.slug for fingerprint, a in alerts.items()}
    slug = crashloop_runbook.slug
    assert linked == {CRASH_NOVA: slug, CRASH_CINDER: slug, NOVA_DOWN: None}
    miss = RunbookMiss.objects.get()
    assert (miss.alertname, miss.provider.slug, miss.count) == (
        "NovaComputeServiceDown",
        "provider-a",
        1,
    )


def test_our_body_is_stored_exactly_as_received(post, token, firing):
    raw = json.dumps(firing, separators=(",", ":")).encode()
    post(raw, token)
    assert bytes(InboxEntry.objects.get().body) == raw


def test_a_resend_updates_the_same_alerts_and_doubles_nothing(post, token, firing):
    post(firing, token)
    post(firing, token)
    assert sorted(Alert.objects.values_list("notifications", flat=True)) == [2, 2, 2]
    assert AlertEvent.objects.count() == 6
    for entry in InboxEntry.objects.all():  # processing a body again changes nothing
        process_inbox_entry(entry.pk)
    assert sorted(Alert.objects.values_list("notifications", flat=True)) == [2, 2, 2]
    assert AlertEvent.objects.count() == 6


def test_firing_then_resolved_updates_status_and_keeps_annotations(post, token, firing, resolved):
    post(firing, token)
    assert post(resolved, token).status_code == 202
    alerts = stored()
    assert len(alerts) == 3 and {a.status for a in alerts.values()} == {"resolved"}
    assert alerts[CRASH_NOVA].ends_at.isoformat() == "2026-03-02T08:41:22.907155+00:00"
    assert alerts[NOVA_DOWN].ends_at.isoformat() == "2026-03-02T08:36:07.550000+00:00"
    # Sent empty on resolve: the stored ones stay. Sent again: they are what was sent.
    assert resolved["alerts"][0]["annotations"] == {}
    assert alerts[CRASH_NOVA].annotations == firing["alerts"][0]["annotations"]
    assert alerts[NOVA_DOWN].annotations == resolved["alerts"][2]["annotations"]
    post(firing, token)  # a late firing resend does not reopen them
    assert list(Alert.objects.values_list("status", flat=True)) == ["resolved"] * 3
    events = alerts[CRASH_CINDER].events.order_by("pk").values_list("status", flat=True)
    assert list(events) == ["firing", "resolved", "firing"]


def test_a_new_incident_with_a_known_fingerprint_is_a_second_alert(
    post, token, firing, resolved, crashloop_runbook
):
    """One alert per (provider, fingerprint, startsAt), not per fingerprint: the same pod
    crash-looping again after it resolved is a new incident; the old one stays as it was."""
    post(firing, token)
    post(resolved, token)
    again = copy.deepcopy(firing)
    again["alerts"] = [again["alerts"][0]]
    again["alerts"][0]["startsAt"] = "2026-03-02T09:02:45.118306Z"
    assert post(again, token).status_code == 202
    old, new = Alert.objects.filter(fingerprint=CRASH_NOVA).order_by("starts_at")
    assert (old.status, old.starts_at.isoformat()) == (
        "resolved",
        "2026-03-02T08:14:07.412873+00:00",
    )
    assert old.ends_at.isoformat() == "2026-03-02T08:41:22.907155+00:00"
    assert old.notifications == 2 and old.events.count() == 2
    assert (new.status, new.starts_at.isoformat()) == ("firing", "2026-03-02T09:02:45.118306+00:00")
    assert new.ends_at is None and new.notifications == 1
    assert new.runbook.slug == crashloop_runbook.slug
    assert Alert.objects.count() == 4


def test_our_resolved_body_alone_records_resolved_alerts_and_misses(post, token, resolved):
    assert post(resolved, token).status_code == 202
    alerts = stored()
    assert {(a.status, a.runbook) for a in alerts.values()} == {("resolved", None)}
    assert alerts[CRASH_NOVA].annotations == {}
    misses = dict(RunbookMiss.objects.values_list("alertname", "count"))
    assert misses == {"KubePodCrashLooping": 2, "NovaComputeServiceDown": 1}


def test_truncated_alerts_are_recorded(post, token, firing):
    firing["truncatedAlerts"] = 7
    post(firing, token)
    assert InboxEntry.objects.get().truncated_alerts == 7


def test_nul_bytes_are_kept_readable_and_stored(post, token, firing):
    firing["alerts"][1]["labels"]["pod"] = "cinder-volume\u0000-0"
    firing["alerts"][2]["annotations"]["summary"] = "down\u0000"
    assert post(firing, token).status_code == 202
    alerts = stored()
    assert alerts[CRASH_CINDER].labels["pod"] == "cinder-volume\ufffd-0"
    assert alerts[NOVA_DOWN].annotations["summary"] == "down\ufffd"


def _broken(body, change):
    body = copy.deepcopy(body)
    change(body)
    return body


# Each breaks an alert other than the first: every alert of a body is checked.
@pytest.mark.parametrize(
    "make",
    [
        lambda f: b'{"receiver": "openops", "alerts": [',
        lambda f: json.dumps(f["alerts"]),
        lambda f: _broken(f, lambda b: b.update(alerts=b["alerts"][0])),
        lambda f: json.dumps(f).replace('"truncatedAlerts": 0', '"truncatedAlerts": NaN'),
        lambda f: _broken(f, lambda b: b["alerts"][2].update(status="pending")),
        lambda f: _broken(f, lambda b: b["alerts"][1].update(startsAt="2026-03-02 08:11")),
        lambda f: _broken(f, lambda b: b["alerts"][2].update(startsAt="0001-01-01T00:00:00Z")),
        lambda f: _broken(f, lambda b: b["alerts"][1]["labels"].update(osd=12)),
        lambda f: _broken(f, lambda b: b["alerts"][2]["labels"].update(big="y" * 9000)),
        lambda f: _broken(f, lambda b: b.update(truncatedAlerts=-3)),
        lambda f: json.dumps(f).encode().replace(b"cinder", b"cinder\xff"),
    ],
    ids=[
        "cut-off",
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
    body = make(firing)
    assert body != firing and body != json.dumps(firing)
    response = post(body, token)
    assert response.status_code == 400 and response.json()["detail"]
    assert not InboxEntry.objects.exists() and not Alert.objects.exists()


def test_tokens_are_checked_first(post, token, firing, alice):
    read = issue_token("--name", "r", "--scope", "read", "--user", "alice")
    oversized = json.dumps({**firing, "padding": "x" * (10 * 1024 * 1024)})
    missing = post(oversized, None)
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert post(firing, "oo_wrong").status_code == 401
    assert post(firing, read).status_code == 403
    assert post(oversized, token).status_code == 413  # then the size, before the shape
    assert not InboxEntry.objects.exists()


def test_a_revoked_token_is_refused(post, firing, alice):
    secret = issue_token("--name", "am", "--scope", "alerts:write", "--user", "alice")
    assert post(firing, secret).status_code == 202
    pk = Token.objects.get(name="am").pk
    browser = Client()
    browser.force_login(alice)
    assert browser.post(f"/account/tokens/{pk}/revoke/").status_code == 302
    assert post(firing, secret).status_code == 401
    assert InboxEntry.objects.count() == 1


def test_the_rate_limit_answers_503_with_retry_after(post, token, firing, settings):
    from django.core.cache import cache

    cache.clear()
    settings.OPENOPS_WEBHOOK_RATE = 2
    assert [post(firing, token).status_code for _ in range(2)] == [202, 202]
    limited = post(firing, token)
    assert limited.status_code == 503 and 1 <= int(limited["Retry-After"]) <= 120
    assert post(b"{bad", token).status_code == 400  # shape is judged before the rate
    assert InboxEntry.objects.count() == 2


def test_received_alerts_are_visible_to_members_and_staff(
    post, token, firing, alice, bob, carol, dave
):
    post(firing, token)
    nova_down = Alert.objects.get(fingerprint=NOVA_DOWN)
    for user, expected in [(alice, 200), (dave, 200), (carol, 200), (bob, 404)]:
        response = validate(ApiClient(user=user).get(f"/api/v1/alerts/{nova_down.pk}/"))
        assert response.status_code == expected, user
    query = "/api/v1/alerts/?status=firing&alertname=kubepodcrashlooping"
    listing = validate(ApiClient(user=alice).get(query)).json()["results"]
    assert {alert["fingerprint"] for alert in listing} == {CRASH_NOVA, CRASH_CINDER}
    assert validate(ApiClient(user=carol).get("/api/v1/alerts/")).json()["count"] == 3
    assert validate(ApiClient(user=bob).get("/api/v1/alerts/")).json()["results"] == []
    assert validate(ApiClient().get("/api/v1/alerts/")).status_code == 401
    assert validate(ApiClient(token=token).get("/api/v1/alerts/")).status_code == 403


def test_the_webhook_answers_are_in_the_schema(post, token, firing, resolved):
    validate(post(firing, token))
    validate(post(resolved, token))


def test_staff_see_every_alert_but_not_the_slug_of_a_private_runbook(
    post, token, firing, alice, carol, provider_a, make_runbook
):
    private = make_runbook(
        alice, title="Private crash loop", provider=provider_a, visibility=Visibility.PROVIDER
    )
    add_route(alice, private, provider="provider-a")
    post(firing, token)
    alert = Alert.objects.get(fingerprint=CRASH_CINDER)
    assert alert.runbook.slug == private.slug

    def read(user):
        return validate(ApiClient(user=user).get(f"/api/v1/alerts/{alert.pk}/")).json()

    assert read(alice)["runbook"] == private.slug
    assert read(carol)["runbook"] is None
