"""The audit log (issue 19): who did what, when, from where — written from the pages, the API
and the commands alike; read at /audit/ by staff (everything, other providers' private titles
withheld) and a provider's admins (their provider's); append-only; pruned by age."""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from runbooks import audit
from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import AppendOnly, AuditEntry, Role, Scope
from runbooks.services import documents, people, tokens
from tests.conftest import PASSWORD, client_for

Action = AuditEntry.Action


def _entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def _nothing_secret_in_the_log(*secrets):
    dumped = json.dumps(list(AuditEntry.objects.values()), default=str)
    for secret in secrets:
        assert secret not in dumped


@pytest.fixture
def private_runbook(alice, provider_a):
    return documents.create_document(
        kind=Kind.RUNBOOK,
        title="Private: rotate the HSM keys",
        body="## Steps\n\nx\n",
        actor=alice,
        provider=provider_a,
        visibility=Visibility.PROVIDER,
    )


# --- What is written ------------------------------------------------------------------------


def test_signing_in_and_out_and_failing_are_recorded_with_the_address(alice):
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.post("/accounts/login/", {"username": "alice", "password": "wrong-password"})
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    client.post("/accounts/logout/")
    failed, signed_in, signed_out = (
        _entries(Action.SIGNIN_FAILED),
        _entries(Action.SIGNED_IN),
        _entries(Action.SIGNED_OUT),
    )
    assert [(e.target, e.actor, e.address, e.via) for e in failed] == [
        ("alice", None, "192.0.2.7", "web")
    ]
    assert [(e.actor, e.actor_name, e.address) for e in signed_in] == [
        (alice, "alice", "192.0.2.7")
    ]
    assert [e.actor for e in signed_out] == [alice]
    _nothing_secret_in_the_log("wrong-password", PASSWORD)


def test_a_hostile_username_is_recorded_bounded_and_storable(db):
    client = Client()
    # raw form bodies: a lone surrogate as invalid UTF-8, 300 KB, a NUL byte
    for tried in ("%ED%A0%80evil", "x" * 300_000, "nul%00byte"):
        response = client.post(
            "/accounts/login/",
            f"username={tried}&password=p",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code in (200, 429)
    targets = [e.target for e in _entries(Action.SIGNIN_FAILED)]
    assert len(targets) == 2  # the NUL byte is refused by the form before any sign-in
    assert all(len(t) <= 150 and "\x00" not in t for t in targets)


def test_tokens_created_and_revoked_on_the_page_never_their_secret(alice, provider_a):
    client = client_for(alice)
    response = client.post(
        "/account/tokens/", {"name": "Grafana", "scopes": ["read"], "provider": provider_a.pk}
    )
    secret = response.context["secret"]
    (created,) = _entries(Action.TOKEN_CREATED)
    assert (created.actor, created.target, created.via) == (alice, "Grafana", "web")
    token_id = created.detail["token"]
    client.post(f"/account/tokens/{token_id}/revoke/")
    (revoked,) = _entries(Action.TOKEN_REVOKED)
    assert (revoked.actor, revoked.target) == (alice, "Grafana")
    _nothing_secret_in_the_log(secret, secret[10:])


def test_publish_visibility_and_deletion_through_the_api(erin, provider_a):
    secret = tokens.issue_token(
        actor=SYSTEM, name="t", scopes=[Scope.READ, Scope.WRITE], user=erin
    )[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR="198.51.100.4")
    created = api.post(
        "/api/v1/runbooks/",
        {
            "title": "Drain a node",
            "body": "x",
            "provider": provider_a.slug,
            "visibility": "provider",
        },
        content_type="application/json",
    ).json()
    slug = created["slug"]
    assert (
        api.post(
            f"/api/v1/runbooks/{slug}/publish/", {}, content_type="application/json"
        ).status_code
        == 200
    )
    patched = api.patch(
        f"/api/v1/runbooks/{slug}/",
        {"visibility": "public", "base_revision": 1},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert api.delete(f"/api/v1/runbooks/{slug}/").status_code == 204
    (published,) = _entries(Action.PUBLISHED)
    (changed,) = _entries(Action.VISIBILITY_CHANGED)
    (deleted,) = _entries(Action.DELETED)
    assert (published.via, published.address, published.provider) == (
        "api",
        "198.51.100.4",
        provider_a,
    )
    assert published.private  # published to its provider only
    assert changed.detail == {"from": "provider", "to": "public"}
    assert (deleted.target, deleted.document, deleted.actor) == ("Drain a node", None, erin)


def test_route_changes_are_recorded(alice, provider_a, private_runbook):
    client = client_for(alice)
    url = f"/runbooks/{private_runbook.slug}/routes/"
    form = {"alertname": "HSMKeyRotationDue", "scope": provider_a.pk, "priority": 0}
    response = client.post(url, form)
    assert response.status_code == 302, response.content[:500]
    (entry,) = _entries(Action.ROUTE_CHANGED)
    assert entry.detail["alertname"] == "HSMKeyRotationDue"
    assert (entry.document_id, entry.actor, entry.private) == (private_runbook.pk, alice, True)


def test_refused_access_to_private_content_is_recorded_from_pages_and_api(bob, private_runbook):
    """Counted per reader, document and hour (tests/test_reads_never_write.py has the burst);
    an entry keeps its hour's first refusal's address and channel."""
    start = (int(time.time()) // 3600 + 1) * 3600 + 60  # most of an hour before the count moves
    with time_machine.travel(start, tick=True):
        assert client_for(bob).get(private_runbook.get_absolute_url()).status_code == 404
        assert Client().get(f"/api/v1/runbooks/{private_runbook.slug}/").status_code == 401
        assert Client().get(private_runbook.get_absolute_url()).status_code == 404
    refused = _entries(Action.ACCESS_REFUSED)
    assert [(e.actor_name, e.via, e.count) for e in refused] == [
        ("bob", "web", 1),
        ("anonymous", "api", 2),
    ]
    assert {e.document_id for e in refused} == {private_runbook.pk}
    # what does not exist is not an attempt on anything: same 404, nothing written
    assert client_for(bob).get("/runbooks/no-such-thing/").status_code == 404
    assert [e.count for e in _entries(Action.ACCESS_REFUSED)] == [1, 2]


def test_a_commands_actor_is_the_command(alice, provider_a):
    before = len(_entries(Action.ROLE_CHANGED))  # alice's own membership, made as the system
    call_command("add_member", provider_a.slug, "alice", "--role", "admin")
    (entry,) = _entries(Action.ROLE_CHANGED)[before:]
    assert (entry.actor, entry.actor_name, entry.via) == (None, "command add_member", "command")
    assert entry.detail == {"user": "alice", "role": "admin", "before": "editor"}
    # the same role again changes nothing and writes nothing
    call_command("add_member", provider_a.slug, "alice", "--role", "admin")
    assert len(_entries(Action.ROLE_CHANGED)) == before + 1


# --- Append-only, kept for a while ---------------------------------------------------------


def test_entries_are_never_changed_or_deleted_by_the_application(alice):
    entry = audit.record(Action.SIGNED_IN, actor=alice)
    entry.target = "rewritten"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).target == ""


def test_old_entries_are_pruned_by_the_daily_task(alice, settings):
    from openops.celery import app
    from runbooks import tasks

    settings.OPENOPS_AUDIT_DAYS = 30
    old = audit.record(Action.SIGNED_IN, actor=alice)
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    recent = audit.record(Action.SIGNED_OUT, actor=alice)
    assert tasks.prune_audit.delay().get() == 1
    kept = set(AuditEntry.objects.values_list("pk", flat=True))
    assert recent.pk in kept and old.pk not in kept
    schedule = app.conf.beat_schedule
    assert schedule["prune-audit"]["task"] == "runbooks.tasks.prune_audit"


# --- Who reads it ------------------------------------------------------------------------------


@pytest.fixture
def log(alice, bob, carol, erin, provider_a, provider_b, private_runbook):
    """Entries about both providers, one of them naming provider A's private runbook."""
    client_for(bob).get(private_runbook.get_absolute_url())  # refused: names the title
    people.set_membership(provider_b, bob, Role.ADMIN, actor=SYSTEM)
    people.set_membership(provider_a, alice, Role.READER, actor=SYSTEM)


def test_a_provider_admin_reads_their_providers_entries_only(log, erin, private_runbook):
    page = client_for(erin).get("/audit/")
    body = page.content.decode()
    assert page.status_code == 200
    assert private_runbook.title in body  # their own provider's private document
    assert "alice: editor → reader" in body
    assert "bob: editor → admin" not in body  # provider B's


def test_staff_read_everything_but_other_providers_private_titles(log, carol, private_runbook):
    body = client_for(carol).get("/audit/").content.decode()
    assert "bob: editor → admin" in body and "alice: editor → reader" in body
    assert private_runbook.title not in body
    assert "a private document of Provider A" in body


@pytest.mark.parametrize("persona", ["alice", "dave", "bob_before_admin"])
def test_others_get_a_404(alice, dave, bob, persona):
    user = {"alice": alice, "dave": dave, "bob_before_admin": bob}[persona]
    assert client_for(user).get("/audit/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get("/audit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_menu_offers_the_log_to_those_who_may_read_it(erin, alice):
    assert "/audit/" in client_for(erin).get("/").content.decode()
    assert "/audit/" not in client_for(alice).get("/").content.decode()


def test_filters_and_pages(log, carol):
    client = client_for(carol)

    def actions(query):
        page = client.get("/audit/", query).context["page"]
        return {entry.action for entry in page.object_list}

    assert actions({"action": "role_changed"}) == {Action.ROLE_CHANGED}
    assert Action.ACCESS_REFUSED in actions({"actor": "bob"})
    assert Action.ROLE_CHANGED not in actions({"actor": "bob"})
    today = timezone.now().date()
    future = client.get("/audit/", {"since": str(today + timedelta(days=1))}).content.decode()
    assert "No entries match" in future
    for _ in range(60):
        audit.record(Action.SIGNED_IN, actor=carol)
    first, second = client.get("/audit/"), client.get("/audit/", {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert second.context["page"].number == 2


def test_a_filter_that_is_not_utf8_never_500s(log, carol):
    assert client_for(carol).get("/audit/?action=%ED%B3%BF&actor=%FF").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"since": "99999999-01-01"},
        {"until": "2026-02-31"},
        {"actor": "x" * 100_000},
        {"provider": "<script>"},
        {"page": "10000000000000000000000"},
        {"via": "carrier-pigeon"},
    ],
)
def test_hostile_filters_never_500(log, carol, query):
    response = client_for(carol).get("/audit/", query)
    assert response.status_code in (200, 414)  # 414: the URL is over 4096 characters
    assert "<script>" not in response.content.decode().split("<main", 1)[-1].replace(
        "&lt;script&gt;", ""
    )
