"""Hostile input at every receiver and form: never a 500, never anything half-saved.

Each receiver gets a valid request, then the same request with one field replaced by each
hostile value: lone surrogates and NUL, deep nesting, pathological Markdown, huge numbers and
dates, bad URLs. The answer must be below 500; a refusal (4xx) must leave the database exactly
as it was; an acceptance must leave text that every page can show again. A new receiver or
form joins by adding an entry to RECEIVERS or FORMS.
"""

import json
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client

from runbooks.actors import SYSTEM
from runbooks.choices import Kind
from runbooks.models import Alert, Scope
from runbooks.services import comments, documents, postmortems, tokens
from tests.api import ApiClient
from tests.conftest import client_for

DEEP = json.loads("[" * 30 + "]" * 30)  # storable depth; the parser refuses far deeper
TOO_DEEP = "[" * 1000 + "1" + "]" * 1000  # raw JSON text, spliced in as-is
# Slow in some Markdown releases, instant in others: a hostile value like the rest (below 500,
# nothing half-saved), not a test of the bound (tests/test_markdown_bounds.py has that).
PATHOLOGICAL_MARKDOWN = "[" * 10_000

HOSTILE = {
    "surrogate": "a\udfffb",
    "nul": "a\x00b",
    "deep": DEEP,
    "huge-int": 10**30,
    "negative-huge-int": -(10**30),
    "huge-float": 1e308,
    "far-date": "9999-12-31T23:00:00-12:00",
    "year-zero": "0000-01-01T00:00:00Z",
    "javascript-url": "javascript:alert(1)",
    "broken-url": "http://[::1",
    "long-text": "x" * 300_000,
    "object": {"a": "b"},
    "list": ["a", "b"],
}


@dataclass
class Receiver:
    """A JSON endpoint, a valid body for it, and who calls it."""

    method: str
    url: str
    body: dict
    caller: str = "alice"  # alice's read/write token, or "alerts" for the webhook token
    markdown_fields: tuple[str, ...] = ()
    extra_fields: dict = field(default_factory=dict)


ALERT = {
    "status": "firing",
    "labels": {"alertname": "DiskFull", "instance": "node-1"},
    "annotations": {"summary": "Disk is full"},
    "startsAt": "2026-11-29T03:00:00Z",
    "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "https://prometheus.example/graph",
    "fingerprint": "0a1b2c3d",
}

RECEIVERS = {
    # YAML is read as YAML (JSON is YAML); nothing is stored, whatever the body says.
    "rule-coverage": Receiver(
        "post",
        "/api/v1/coverage/",
        {
            "groups": [
                {
                    "name": "ceph",
                    "rules": [
                        {
                            "alert": "CephOSDDown",
                            "expr": "ceph_osd_up == 0",
                            "labels": {"severity": "critical"},
                            "annotations": {"runbook_url": "https://wiki.example.org/osd"},
                        }
                    ],
                }
            ]
        },
    ),
    "create-runbook": Receiver(
        "post",
        "/api/v1/runbooks/",
        {
            "title": "Disk full",
            "body": "## Check\n",
            "slug": "disk-full-new",
            "tags": ["storage"],
            "component": "ceph",
            "review_interval_days": 30,
            "placeholder_labels": {"OSD": "ceph_daemon"},
            "visibility": "public",
            "provider": "provider-a",
            "message": "first",
        },
        markdown_fields=("body",),
    ),
    "create-postmortem": Receiver(
        "post",
        "/api/v1/postmortems/",
        {"title": "Outage", "body": "## Timeline\n", "tags": ["outage"], "provider": "provider-a"},
        markdown_fields=("body",),
    ),
    "create-report": Receiver(
        "post",
        "/api/v1/reports/",
        {
            "title": "Ran it on R7",
            "body": "## What we did\n",
            "provider": "provider-a",
            "environment": {"scs_release": "R7", "ceph": "18.2"},
            "outcome": "failed",
            "runbook": "{slug}",
            "runbook_revision": 1,
        },
        markdown_fields=("body",),
    ),
    "comment": Receiver(
        "post",
        "/api/v1/runbooks/{slug}/comments/",
        {"body": "Step 3 failed, @bob", "section": ""},
        markdown_fields=("body",),
    ),
    "subscription": Receiver("post", "/api/v1/subscriptions/", {"document": "runbooks/{slug}"}),
    "comment-change": Receiver(
        "patch", "/api/v1/runbooks/{slug}/comments/{comment}/", {"body": "Better, @bob"}
    ),
    "comment-hide": Receiver(
        "post", "/api/v1/runbooks/{slug}/comments/{comment}/hide/", {"reason": "spam"}
    ),
    "patch-runbook": Receiver(
        "patch",
        "/api/v1/runbooks/{slug}/",
        {
            "base_revision": 1,
            "title": "Disk full, again",
            "body": "## Check again\n",
            "tags": ["storage"],
            "component": "ceph",
            "review_interval_days": 60,
            "placeholder_labels": {"HOST": "hostname"},
            "message": "second",
        },
        markdown_fields=("body",),
    ),
    "restore": Receiver(
        "post", "/api/v1/runbooks/{slug}/restore/", {"revision": 1, "base_revision": 2}
    ),
    "publish": Receiver(
        "post",
        "/api/v1/postmortems/{draft}/publish/",
        {"visibility": "community", "embargo_until": "2030-01-01T00:00:00Z"},
    ),
    "status": Receiver("post", "/api/v1/postmortems/{draft}/status/", {"status": "in_review"}),
    "postmortem-fields": Receiver(
        "patch",
        "/api/v1/postmortems/{draft}/",
        {
            "base_revision": 1,
            "incident_start": "2026-11-20T02:10:00Z",
            "incident_end": "2026-11-20T04:40:00Z",
            "severity": "major",
            "affected_services": ["block storage"],
            "status_incident_url": "https://status.example.org/incidents/42",
            "status_incident_id": "42",
            "runbooks_used": [{"runbook": "{slug}", "revision": 1, "verdict": "helped"}],
            "alerts": [],
        },
    ),
    "action-item": Receiver(
        "post",
        "/api/v1/postmortems/{draft}/action-items/",
        {
            "title": "Alert on queue depth",
            "owner": "alice",
            "due_date": "2026-12-15",
            "status": "open",
            "tracker_url": "https://tracker.example/1",
        },
    ),
    "route": Receiver(
        "post",
        "/api/v1/alert-routes/",
        {
            "runbook": "{slug}",
            "alertname": "DiskFull",
            "matchers": [{"label": "severity", "op": "=~", "value": "crit.*"}],
            "provider": "provider-a",
            "priority": 5,
        },
    ),
    "alertmanager": Receiver(
        "post",
        "/api/v1/alerts/alertmanager/",
        {"version": "4", "status": "firing", "truncatedAlerts": 0, "alerts": [ALERT]},
        caller="alerts",
    ),
    "grafana": Receiver(
        "post",
        "/api/v1/alerts/grafana/",
        {
            "status": "firing",
            "state": "alerting",
            "alerts": [{**ALERT, "values": {"A": 1}, "dashboardURL": "https://g.example/d"}],
        },
        caller="alerts",
    ),
    "events": Receiver(
        "post",
        "/api/v1/alerts/events/",
        {
            "event_action": "trigger",
            "dedup_key": "disk-node-1",
            "payload": {
                "summary": "Disk full on node-1",
                "source": "node-1",
                "severity": "critical",
                "timestamp": "2026-11-29T03:00:00Z",
                "component": "ceph",
                "group": "storage",
                "class": "DiskFull",
                "custom_details": {"alertname": "DiskFull", "free": "2%"},
            },
            "links": [{"href": "https://grafana.example/d", "text": "Dashboard"}],
            "client": "Zabbix",
            "client_url": "https://zabbix.example/",
        },
        caller="alerts",
    ),
}


def _fields(body: dict, prefix: str = ""):
    """Every replaceable field path of a body: top-level keys and, one level down, an object's
    keys and the first alert's and the first matcher's keys."""
    for key, value in body.items():
        yield (key,)
        if isinstance(value, dict):
            for inner in value:
                yield (key, inner)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for inner in value[0]:
                yield (key, 0, inner)
                if isinstance(value[0][inner], dict):
                    for leaf in value[0][inner]:
                        yield (key, 0, inner, leaf)


def _replace(body, path, value):
    body = json.loads(json.dumps(body))
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


def _cases():
    for name, receiver in RECEIVERS.items():
        for path in _fields(receiver.body):
            yield pytest.param(name, path, id=f"{name}-{'.'.join(map(str, path))}")


# Written on every authenticated call or before the body is read, or (the audit log) written
# because something was tried, refused or not: not what a refusal guards. The token page shows
# a new token's secret in a 200, so its audit entry is checked in test_audit.py instead.
BOOKKEEPING = {"Token", "RateCounter", "AuditEntry"}


def _snapshot() -> dict:
    """Row counts and the latest row of every model of the app: what a refusal must not touch."""
    state = {}
    for model in apps.get_app_config("runbooks").get_models():
        if model.__name__ in BOOKKEEPING:
            continue
        rows = model.objects.order_by("-pk")
        state[model.__name__] = (rows.count(), rows.values().first())
    return state


@pytest.fixture
def world(alice, erin, provider_a, make_runbook, settings):
    # Refuse what stalls within a second, not two: a second is still far beyond any ordinary
    # render on a busy machine, so nothing else here is refused because the cores are loaded.
    settings.OPENOPS_MARKDOWN_TIMEOUT = 1
    runbook = make_runbook(alice, title="Disk full", provider=provider_a)
    documents.add_revision(runbook, title="Disk full", body="v2", actor=alice, base_revision=1)
    draft = make_runbook(alice, title="Draft", kind=Kind.POSTMORTEM, provider=provider_a)
    secrets = {
        "alice": tokens.issue_token(
            name="rw", scopes=[Scope.READ, Scope.WRITE], user=alice, actor=SYSTEM
        )[1],
        "alerts": tokens.issue_token(
            name="am", scopes=[Scope.ALERTS_WRITE], provider=provider_a, actor=SYSTEM
        )[1],
    }
    item = postmortems.add_action_item(draft, actor=alice, title="Rotate the CA")
    comment = comments.add_comment(runbook, actor=alice, body="First")
    return {
        "slug": runbook.slug,
        "draft": draft.slug,
        "item": item.pk,
        "comment": comment.pk,
        "runbook_id": runbook.pk,
        "tokens": secrets,
    }


def _send(world, receiver: Receiver, body) -> tuple[int, dict]:
    url = receiver.url.format(**world)
    text = json.dumps(body).replace("{slug}", world["slug"])  # a slug needs no escaping
    text = text.replace('"__TOO_DEEP__"', TOO_DEEP)
    api = ApiClient(token=world["tokens"][receiver.caller])
    response = getattr(api, receiver.method)(url, text)
    return response.status_code, response.json() if response.content else {}


@pytest.mark.parametrize("name,path", list(_cases()))
def test_hostile_values_never_500_and_refusals_change_nothing(
    world, django_capture_on_commit_callbacks, name, path
):
    """Each hostile value in this field, each in a savepoint rolled back afterwards, so every
    value meets the same world (and the world is built once per field, not once per value)."""
    receiver = RECEIVERS[name]
    for label, value in HOSTILE.items():
        body = _replace(receiver.body, path, value)
        with transaction.atomic():
            before = _snapshot()
            with django_capture_on_commit_callbacks(execute=True):
                status, answer = _send(world, receiver, body)
            assert status < 500, f"{label}: {answer}"
            if status >= 400:
                assert _snapshot() == before, f"{label}: refused with {status}, data changed"
            else:
                _every_page_still_renders(world, receiver.caller)
            transaction.set_rollback(True)


@pytest.mark.parametrize("name", [n for n, r in RECEIVERS.items() if r.markdown_fields])
def test_markdown_too_slow_to_render_is_refused_and_nothing_is_saved(
    world, name, stalling_markdown
):
    receiver = RECEIVERS[name]
    before = _snapshot()
    for field_name in receiver.markdown_fields:
        status, answer = _send(world, receiver, {**receiver.body, field_name: stalling_markdown})
        assert status == 400 and "too complex" in " ".join(answer[field_name])
    assert _snapshot() == before


@pytest.mark.parametrize("name", list(RECEIVERS))
def test_too_deep_json_is_a_400_at_every_receiver(world, name):
    receiver = RECEIVERS[name]
    key = next(iter(receiver.body))
    before = _snapshot()
    status, answer = _send(world, receiver, {**receiver.body, key: "__TOO_DEEP__"})
    assert status == 400 and "nested" in json.dumps(answer)
    assert _snapshot() == before


def _every_page_still_renders(world, caller: str = "alice"):
    """Whatever was accepted, the pages and lists that show it still answer: the alert pages
    (the newest alert's own page too) after a webhook, the document pages after an edit."""
    client = Client()
    client.force_login(_alice())
    api = ApiClient(token=world["tokens"]["alice"])
    if caller == "alerts":
        newest = Alert.objects.order_by("-pk").first()
        pages = ["/alerts/", "/alerts/missing/", *([f"/alerts/{newest.pk}/"] if newest else [])]
        calls = ["/api/v1/alerts/", *([f"/api/v1/alerts/{newest.pk}/"] if newest else [])]
    else:
        pages = [
            "/runbooks/",
            f"/runbooks/{world['slug']}/",
            f"/runbooks/{world['slug']}/history/",
            "/postmortems/",
            "/tags/",
        ]
        calls = ["/api/v1/runbooks/", "/api/v1/alert-routes/"]
    for url in pages:
        assert client.get(url).status_code == 200, url
    for url in calls:
        assert api.get(url).status_code == 200, url


def _alice():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="alice")


# --- Forms ----------------------------------------------------------------------------------

FORM_HOSTILE = {
    "nul": "a\x00b",
    "invalid-utf8": b"a\xed\xbf\xbfb",  # a UTF-8-encoded surrogate: not valid UTF-8
    "huge-int": str(10**30),
    "long-text": "x" * 300_000,
    "javascript-url": "javascript:alert(1)",
    "far-date": "9999-12-31T23:00:00-12:00",
    "pathological-markdown": PATHOLOGICAL_MARKDOWN,
}

FORMS = {
    "publish": (
        "/postmortems/{draft}/publish/",
        {"visibility": "community", "embargo_until": "2030-01-01T00:00"},
    ),
    "action-item-add": (
        "/postmortems/{draft}/action-items/",
        {"title": "Rotate the CA", "owner": "alice", "due_date": "2026-12-15", "tracker_url": ""},
    ),
    "action-item-status": ("/postmortems/{draft}/action-items/{item}/", {"status": "done"}),
    "runbooks-used": (
        "/postmortems/{draft}/runbooks-used/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "0",
            "form-0-runbook": "{slug}",
            "form-0-revision": "1",
            "form-0-verdict": "helped",
        },
    ),
    "status": ("/postmortems/{draft}/status/", {"status": "in_review"}),
    "new-postmortem": (
        "/postmortems/new/",
        {
            "title": "Outage",
            "provider": "{provider}",
            "visibility": "community",
            "incident_start": "2026-11-20T02:10",
            "incident_end": "2026-11-20T04:40",
            "severity": "major",
            "affected_services": "block storage",
            "status_incident_url": "https://status.example.org/incidents/42",
            "status_incident_id": "42",
            "body": "## Summary\n",
            "from_runbook": "{slug}",
        },
    ),
    "new-report": (
        "/reports/new/",
        {
            "title": "Ran it",
            "provider": "{provider}",
            "visibility": "community",
            "runbook": "{slug}",
            "runbook_revision": "1",
            "outcome": "worked",
            "environment": "scs_release: R7\nceph: 18.2",
            "body": "## What we did\n",
        },
    ),
    "comment-add": ("/runbooks/{slug}/comments/", {"body": "Step 3 failed", "section": ""}),
    "comment-reply": ("/runbooks/{slug}/comments/", {"body": "Same here", "parent": "{comment}"}),
    "comment-hide": ("/runbooks/{slug}/comments/{comment}/hide/", {"reason": "spam"}),
    "comment-edit": ("/runbooks/{slug}/comments/{comment}/edit/", {"body": "Better"}),
    "mail-settings": ("/notifications/mail/", {"mode": "daily"}),
    "chat-target": (
        "/providers/provider-a/chat/",
        {
            "kind": "webhook",
            "name": "ops",
            "url": "https://hooks.example.org/x",
            "room_id": "",
            "access_token": "",
            "events": "comment",
        },
        "erin",  # an admin of the provider
    ),
    "status-page": (
        "/providers/provider-a/status-page/",
        {"status_page_url": "https://status.example.org/"},
        "erin",  # an admin of the provider
    ),
    "watch": ("/watch/", {"target": "document", "id": "{runbook_id}", "next": "/", "action": ""}),
    "new-runbook": (
        "/runbooks/new/",
        {
            "title": "Disk full",
            "provider": "{provider}",
            "visibility": "public",
            "slug": "",
            "component": "ceph",
            "alertname": "DiskFull",
            "matchers": 'severity="critical"',
            "tags": "storage",
            "review_interval_days": "180",
            "placeholder_labels": "OSD: ceph_daemon",
            "body": "## Check\n",
        },
    ),
    "edit-runbook": (
        "/runbooks/{slug}/edit/",
        {
            "title": "Disk full",
            "body": "## Check\n",
            "tags": "storage",
            "component": "ceph",
            "review_interval_days": "180",
            "placeholder_labels": "HOST: hostname",
            "message": "m",
            "base_revision": "2",
        },
    ),
    "add-route": (
        "/runbooks/{slug}/routes/",
        {"alertname": "DiskFull", "matchers": 'severity="critical"', "scope": "{provider}"},
    ),
    "new-token": ("/account/tokens/", {"name": "am", "scopes": "read", "provider": ""}),
    "offline-copy": ("/account/offline/", {"provider": "provider-a"}),
    "rule-coverage": (
        "/coverage/",
        {"text": "groups:\n- name: g\n  rules:\n  - alert: DiskFull\n", "provider": "provider-a"},
    ),
    "restore": ("/runbooks/{slug}/revisions/1/restore/", {"base_revision": "2"}),
}


def _form_cases():
    for name, (_, data, *_who) in FORMS.items():
        for key in data:
            yield pytest.param(name, key, id=f"{name}-{key}")


def _encode(data: dict) -> bytes:
    from urllib.parse import quote_from_bytes

    parts = []
    for key, value in data.items():
        raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
        parts.append(f"{key}={quote_from_bytes(raw)}")
    return "&".join(parts).encode()


@pytest.mark.parametrize("name,key", list(_form_cases()))
def test_hostile_form_input_never_500_and_refusals_change_nothing(
    world, alice, erin, provider_a, name, key
):
    url, data, *who = FORMS[name]
    values = {
        "slug": world["slug"],
        "draft": world["draft"],
        "item": world["item"],
        "comment": world["comment"],
        "runbook_id": world["runbook_id"],
        "provider": str(provider_a.pk),
    }
    data = {k: v.format(**values) if isinstance(v, str) else v for k, v in data.items()}
    client = client_for(erin if who == ["erin"] else alice)
    for label, value in FORM_HOSTILE.items():
        with transaction.atomic():
            before = _snapshot()
            response = client.post(
                url.format(**values),
                _encode({**data, key: value}),
                content_type="application/x-www-form-urlencoded",
            )
            assert response.status_code < 500, label
            if response.status_code != 302:  # the form came back with its errors
                assert _snapshot() == before, f"{label}: the form was refused, data changed"
            else:
                _every_page_still_renders(world)
            transaction.set_rollback(True)


@pytest.mark.parametrize("label", list(FORM_HOSTILE))
def test_hostile_sign_in_never_500(db, label):
    data = {"username": FORM_HOSTILE[label], "password": FORM_HOSTILE[label]}
    response = Client().post(
        "/accounts/login/", _encode(data), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (200, 429)
