"""What an outside attack found (issue 10), one test per finding, over HTTP where it was found.

Each of these failed before the fix. The broader classes (every receiver and form fed hostile
input) are in test_hostile_input.py; chunked bodies, long URLs and the shared rate limit
through real gunicorn workers are in test_gunicorn.py.
"""

import json

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status
from runbooks.models import Alert, Document, Provider, Revision, Role, Scope
from runbooks.services import documents, people, tokens
from runbooks.services.base import NotAllowed
from tests.api import ApiClient, validate
from tests.conftest import client_for

WEBHOOK = "/api/v1/alerts/alertmanager/"


def alert_body(**alert) -> str:
    """An Alertmanager v4 body with one alert; JSON escapes lone surrogates as \\udfff."""
    one = {
        "status": "firing",
        "labels": {"alertname": "DiskFull", "instance": "node-1"},
        "annotations": {"summary": "Disk is full"},
        "startsAt": "2026-11-29T03:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "0a1b2c3d",
        **alert,
    }
    return json.dumps({"version": "4", "status": "firing", "alerts": [one]})


def api(user=None) -> ApiClient:
    """A caller with a read/write token of `user` (anonymous without one)."""
    if user is None:
        return ApiClient()
    secret = tokens.issue_token(
        name="t", scopes=[Scope.READ, Scope.WRITE], user=user, actor=SYSTEM
    )[1]
    return ApiClient(token=secret)


@pytest.fixture
def alert_token(provider_a):
    return tokens.issue_token(
        name="am", scopes=[Scope.ALERTS_WRITE], provider=provider_a, actor=SYSTEM
    )[1]


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def post(body, token):
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post(
                WEBHOOK, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
            )

    return post


# --- 1. An editor releases someone else's draft ---------------------------------------------


@pytest.fixture
def colleague_draft(provider_a, erin, make_runbook):
    """A post-mortem draft created by erin (admin at A); alice is a mere editor there."""
    return make_runbook(erin, title="Draft incident", kind=Kind.POSTMORTEM, provider=provider_a)


def _set_status(user, document, status):
    url = f"/api/v1/postmortems/{document.slug}/status/"
    return api(user).post(url, {"status": status})


@pytest.mark.parametrize("target", [Status.ARCHIVED, Status.PUBLISHED])
def test_an_editor_cannot_release_a_colleagues_draft(alice, bob, colleague_draft, target):
    response = _set_status(alice, colleague_draft, target)
    assert response.status_code == 403, response.content
    colleague_draft.refresh_from_db()
    assert colleague_draft.status == Status.DRAFT
    bobs = api(bob).get(f"/api/v1/postmortems/{colleague_draft.slug}/")
    assert bobs.status_code == 404


@pytest.mark.parametrize(
    "start,target,editor_may",
    [
        (Status.DRAFT, Status.IN_REVIEW, True),
        (Status.IN_REVIEW, Status.DRAFT, True),
        (Status.DRAFT, Status.PUBLISHED, False),
        (Status.DRAFT, Status.ARCHIVED, False),
        (Status.IN_REVIEW, Status.PUBLISHED, False),
        (Status.IN_REVIEW, Status.ARCHIVED, False),
        (Status.PUBLISHED, Status.ARCHIVED, True),
        (Status.ARCHIVED, Status.PUBLISHED, True),
        (Status.PUBLISHED, Status.DRAFT, False),
        (Status.ARCHIVED, Status.IN_REVIEW, False),
    ],
)
def test_the_whole_transition_table(alice, erin, colleague_draft, start, target, editor_may):
    Document.objects.filter(pk=colleague_draft.pk).update(status=start)
    response = _set_status(alice, colleague_draft, target)
    assert response.status_code == (200 if editor_may else 403), response.content
    colleague_draft.refresh_from_db()
    assert colleague_draft.status == (target if editor_may else start)
    # The creator (and the provider's admins) may make every transition.
    Document.objects.filter(pk=colleague_draft.pk).update(status=start)
    assert _set_status(erin, colleague_draft, target).status_code == 200


def test_the_service_itself_refuses(alice, colleague_draft):
    with pytest.raises(NotAllowed):
        documents.set_status(colleague_draft, Status.ARCHIVED, actor=alice)


# --- 2. One alert breaks the alert pages ----------------------------------------------------


def test_a_lone_surrogate_in_annotations_breaks_no_page(send, alert_token, alice):
    body = alert_body(annotations={"a": "\udfff", "summary": "bad \ud800 text"})
    assert send(body, alert_token).status_code == 202
    alert = Alert.objects.get()
    assert alert.annotations == {"a": "\ufffd", "summary": "bad \ufffd text"}
    caller = api(alice)
    assert validate(caller.get("/api/v1/alerts/")).status_code == 200
    assert validate(caller.get(f"/api/v1/alerts/{alert.pk}/")).status_code == 200
    page = client_for(alice).get(f"/alerts/{alert.pk}/")
    assert page.status_code == 200 and "bad \ufffd text" in page.content.decode()


def test_a_lone_surrogate_in_the_alertname_without_fingerprint(send, alert_token, alice):
    body = json.loads(alert_body(labels={"alertname": "Disk\udfffFull"}))
    del body["alerts"][0]["fingerprint"]
    assert send(json.dumps(body), alert_token).status_code == 202
    alert = Alert.objects.get()
    assert alert.alertname == "Disk\ufffdFull" and alert.fingerprint
    assert client_for(alice).get("/alerts/").status_code == 200


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="jsonb never accepted lone surrogates"
)
def test_a_stored_surrogate_from_before_the_fix_reads_cleanly(provider_a, alice):
    """SQLite's JSON columns stored lone surrogates escaped; reading them back must not break
    pages."""
    alert = Alert.objects.create(
        provider=provider_a,
        source="alertmanager",
        fingerprint="old",
        alertname="OldAlert",
        status="firing",
        labels={"alertname": "OldAlert", "x\udfff": "y\udfff"},
        annotations={"summary": ["\ud800"]},
        starts_at="2026-01-01T00:00:00Z",
        last_seen="2026-01-01T00:00:00Z",
    )
    alert.refresh_from_db()
    assert alert.labels["x\ufffd"] == "y\ufffd"
    assert client_for(alice).get(f"/alerts/{alert.pk}/").status_code == 200
    assert api(alice).get("/api/v1/alerts/").status_code == 200


# --- 3. Markdown that stalls a worker -------------------------------------------------------


def test_a_stalling_body_is_refused_in_the_preview(alice, provider_a, settings, stalling_markdown):
    settings.OPENOPS_MARKDOWN_TIMEOUT = 1
    response = client_for(alice).post(
        "/runbooks/new/",
        {
            "title": "Stall",
            "body": stalling_markdown,
            "provider": provider_a.pk,
            "visibility": "public",
            "review_interval_days": 180,
            "preview": "1",
        },
    )
    assert response.status_code == 200
    assert "too complex to render" in response.content.decode()
    assert not Document.objects.exists()


def test_a_stalling_body_is_refused_on_save_and_nothing_is_written(
    alice, provider_a, settings, stalling_markdown
):
    settings.OPENOPS_MARKDOWN_TIMEOUT = 1
    caller = api(alice)
    response = caller.post("/api/v1/runbooks/", {"title": "Stall", "body": stalling_markdown})
    assert response.status_code == 400 and "too complex" in response.json()["body"][0]
    assert not Document.objects.exists() and not Revision.objects.exists()
    runbook = documents.create_document(kind=Kind.RUNBOOK, title="Fine", body="ok", actor=alice)
    patch = caller.patch(
        f"/api/v1/runbooks/{runbook.slug}/", {"base_revision": 1, "body": stalling_markdown}
    )
    assert patch.status_code == 400
    assert runbook.revisions.count() == 1


# --- 4. Deep JSON ----------------------------------------------------------------------------

DEEP = "[" * 1000 + "]" * 1000


def test_deep_json_is_a_400_on_the_documents_api(alice):
    response = api(alice).post("/api/v1/runbooks/", f'{{"title": "x", "tags": {DEEP}}}')
    assert response.status_code == 400, response.content
    assert "nested" in response.json()["detail"]


def test_deep_json_is_a_400_on_the_alertmanager_receiver(send, alert_token):
    body = f'{{"alerts": [], "extra": {DEEP}}}'
    response = send(body, alert_token)
    assert response.status_code == 400 and "nested" in response.json()["detail"]


# --- 5. Out-of-range times -------------------------------------------------------------------


@pytest.mark.parametrize("field", ["startsAt", "endsAt"])
def test_a_time_past_year_9999_in_utc_is_a_400(send, alert_token, field):
    response = send(alert_body(**{field: "9999-12-31T23:00:00-12:00"}), alert_token)
    assert response.status_code == 400 and "out of range" in response.json()["detail"]
    assert not Alert.objects.exists()


def test_an_embargo_past_year_9999_is_a_400(alice, make_runbook, provider_a):
    draft = make_runbook(alice, kind=Kind.POSTMORTEM, provider=provider_a)
    url = f"/api/v1/postmortems/{draft.slug}/publish/"
    response = api(alice).post(url, {"embargo_until": "9999-12-31T23:00:00-12:00"})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


# --- 7. The webhook rate limit is shared by every worker -------------------------------------


def test_the_webhook_rate_is_counted_in_the_database(send, alert_token, settings):
    """A second worker has its own local-memory cache: clearing it between bodies stands in
    for one (the real thing, two gunicorn workers, is in test_gunicorn.py)."""
    settings.OPENOPS_WEBHOOK_RATE = 3
    answers = []
    for _ in range(6):
        cache.clear()
        answers.append(send(alert_body(), alert_token).status_code)
    assert answers.count(202) == 3 and answers.count(503) == 3


# --- 8. A token outlives its owner's rights --------------------------------------------------


def test_a_token_follows_its_owners_role(send, alice, provider_a):
    secret = tokens.issue_token(
        name="am", scopes=[Scope.ALERTS_WRITE], user=alice, provider=provider_a, actor=SYSTEM
    )[1]
    assert send(alert_body(), secret).status_code == 202
    people.set_membership(provider_a, alice, Role.READER, actor=SYSTEM)
    response = send(alert_body(), secret)
    assert response.status_code == 403 and "no longer an editor" in response.json()["detail"]
    alice.memberships.all().delete()
    assert send(alert_body(), secret).status_code == 403
    assert Alert.objects.count() == 1


# --- 9. Smaller ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "website", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//x.example"]
)
def test_a_provider_website_must_be_http(db, website):
    with pytest.raises(CommandError, match="http"):
        call_command("create_provider", "evil", "--name", "Evil", "--website", website)
    with pytest.raises(ValidationError):
        people.create_provider("evil", "Evil", website, actor=SYSTEM)
    assert not Provider.objects.exists()


def test_an_old_unsafe_website_is_not_a_link(provider_a):
    Provider.objects.filter(pk=provider_a.pk).update(website="javascript:alert(1)")
    page = Client().get(f"/providers/{provider_a.slug}/").content.decode()
    assert "javascript:" not in page
    assert api().get(f"/api/v1/providers/{provider_a.slug}/").json()["website"] == ""


def test_a_chunked_body_without_a_reader_is_asked_for_a_length(alert_token):
    """The test client's server does not de-chunk; gunicorn does (test_gunicorn.py)."""
    response = Client().post(
        WEBHOOK,
        alert_body(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {alert_token}",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )
    assert response.status_code == 411 and "Content-Length" in response.json()["detail"]


def test_an_over_long_api_url_answers_json(db):
    response = Client().get("/api/v1/runbooks/?tag=" + "x" * 5000)
    assert response.status_code == 414
    assert response["Content-Type"] == "application/json"


def test_if_match_is_honoured(alice, make_runbook):
    runbook = make_runbook(alice)
    caller = api(alice)
    url = f"/api/v1/runbooks/{runbook.slug}/"
    etag = caller.get(url)["ETag"]
    changed = caller.patch(url, {"base_revision": 1, "body": "two"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    stale = caller.patch(url, {"base_revision": 2, "body": "three"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and validate(stale)
    assert runbook.revisions.count() == 2
    fresh = caller.patch(
        url, {"base_revision": 2, "body": "3"}, headers={"If-Match": changed["ETag"]}
    )
    assert fresh.status_code == 200


def test_the_admin_link_is_shown_only_to_who_can_use_it(carol, alice):
    assert "/admin/" not in client_for(carol).get("/").content.decode()
    carol.is_superuser = True
    carol.save()
    assert "/admin/" in client_for(carol).get("/").content.decode()
    assert "/admin/" not in client_for(alice).get("/").content.decode()


# --- The same classes elsewhere ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/r/Disk%00Full",
        "/r/?alertname=Disk%00Full&severity=%00",
        "/api/v1/resolve/?alertname=Disk%00Full",
        "/runbooks/?tag=%00&component=%00&provider=%00",
        "/api/v1/runbooks/?tag=%00",
        "/alerts/?alertname=%00&runbook=%00",
        "/search/?q=%00",
    ],
)
def test_nul_in_a_url_is_never_a_500(alice, url):
    assert client_for(alice).get(url).status_code < 500


@pytest.mark.parametrize(
    "url",
    [
        "/alerts/99999999999999999999999/",
        "/api/v1/alerts/99999999999999999999999/",
        "/api/v1/alert-routes/99999999999999999999999/",
        "/runbooks/ceph-osd-down/revisions/99999999999999999999/",
        "/api/v1/runbooks/ceph-osd-down/revisions/99999999999999999999/",
        "/runbooks/ceph-osd-down/diff/?from=1&to=99999999999999999999",
        "/api/v1/runbooks/ceph-osd-down/diff/?from=1&to=99999999999999999999",
    ],
)
def test_huge_numbers_in_urls_are_never_a_500(alice, make_runbook, url):
    make_runbook(alice)
    assert client_for(alice).get(url).status_code in (400, 404)


def test_a_huge_revision_to_restore_is_a_400(alice, make_runbook):
    runbook = make_runbook(alice)
    url = f"/api/v1/runbooks/{runbook.slug}/restore/"
    response = api(alice).post(url, {"revision": 10**20, "base_revision": 1})
    assert response.status_code == 400
