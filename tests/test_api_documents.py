"""The document API (DESIGN §8): personas × actions, error shapes, concurrency, schema."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Document, Runbook, Scope, Token
from runbooks.services import documents, tokens
from tests.api import ApiClient, validate

READ_WRITE = [Scope.READ, Scope.WRITE]


@pytest.fixture
def callers(personas, erin, provider_a):
    """name -> ApiClient. People call with a read+write token, as scripts do."""

    def with_token(user, scopes=READ_WRITE, provider=None):
        return ApiClient(
            token=tokens.issue_token(
                name="t", scopes=scopes, user=user, provider=provider, actor=SYSTEM
            )[1]
        )

    return {
        "anonymous": ApiClient(),
        "dave": with_token(personas["dave"]),
        "alice": with_token(personas["alice"]),
        "erin": with_token(erin),
        "bob": with_token(personas["bob"]),
        "carol": with_token(personas["carol"]),
        "alice-read": with_token(personas["alice"], [Scope.READ]),
        "alerts": with_token(None, [Scope.ALERTS_WRITE], provider_a),
    }


@pytest.fixture
def docs(alice, provider_a, make_runbook):
    return {
        "public": make_runbook(alice, title="Public A", provider=provider_a),
        "private": make_runbook(
            alice, title="Private A", provider=provider_a, visibility=Visibility.PROVIDER
        ),
        "draft": make_runbook(alice, title="Draft PM", provider=provider_a, kind=Kind.POSTMORTEM),
    }


ACTORS = ["anonymous", "dave", "alice", "erin", "bob", "carol", "alice-read", "alerts"]


def _call(action, client, docs):
    public, private, draft = docs["public"], docs["private"], docs["draft"]
    base = f"/api/v1/runbooks/{public.slug}/"
    return {
        "list": lambda: client.get("/api/v1/runbooks/"),
        "read private": lambda: client.get(f"/api/v1/runbooks/{private.slug}/"),
        "create in A": lambda: client.post(
            "/api/v1/runbooks/", {"title": "New", "body": "x", "provider": "provider-a"}
        ),
        "create community": lambda: client.post("/api/v1/runbooks/", {"title": "New", "body": "x"}),
        "patch": lambda: client.patch(base, {"body": "changed", "base_revision": 1}),
        "delete": lambda: client.delete(base),
        "restore": lambda: client.post(f"{base}restore/", {"revision": 1, "base_revision": 1}),
        "publish draft": lambda: client.post(f"/api/v1/postmortems/{draft.slug}/publish/", {}),
        "archive": lambda: client.post(f"{base}status/", {"status": "archived"}),
        "review": lambda: client.post(f"{base}review/"),
    }[action]()


# action -> expected status for each actor, in ACTORS order
MATRIX = {
    "list":             [200, 200, 200, 200, 200, 200, 200, 403],
    "read private":     [401, 200, 200, 200, 404, 404, 200, 403],
    "create in A":      [401, 403, 201, 201, 403, 403, 403, 403],
    "create community": [401, 403, 201, 201, 201, 201, 403, 403],
    "patch":            [401, 403, 200, 200, 403, 403, 403, 403],
    "delete":           [401, 403, 403, 204, 403, 403, 403, 403],
    "restore":          [401, 403, 400, 400, 403, 403, 403, 403],
    "publish draft":    [401, 403, 200, 200, 404, 404, 403, 403],
    "archive":          [401, 403, 200, 200, 403, 403, 403, 403],
    "review":           [401, 403, 200, 200, 403, 403, 403, 403],
}  # fmt: skip


@pytest.mark.parametrize("action", list(MATRIX))
@pytest.mark.parametrize("actor", ACTORS)
def test_who_may_do_what(callers, docs, actor, action):
    response = _call(action, callers[actor], docs)
    expected = MATRIX[action][ACTORS.index(actor)]
    assert response.status_code == expected, response.content
    validate(response)
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_what_is_hidden_answers_exactly_like_what_is_missing(callers, docs):
    hidden = callers["bob"].get(f"/api/v1/runbooks/{docs['private'].slug}/")
    missing = callers["bob"].get("/api/v1/runbooks/no-such-runbook/")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())
    hidden = callers["anonymous"].get(f"/api/v1/runbooks/{docs['private'].slug}/")
    missing = callers["anonymous"].get("/api/v1/runbooks/no-such-runbook/")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


def test_a_document_reads_as_documented(callers, docs, provider_a):
    data = validate(callers["dave"].get(f"/api/v1/runbooks/{docs['public'].slug}/")).json()
    assert data["slug"] == "public-a" and data["provider"] == "provider-a"
    assert data["revision"] == 1 and data["creator"] == "alice" and data["status"] == "published"
    assert data["url"] == "http://127.0.0.1:8000/runbooks/public-a/"
    assert data["html"].startswith('<h2 id="meaning">') and data["stale"] is False


def test_create_answers_201_with_location_and_ignores_ownership_fields(callers, alice):
    response = callers["alice"].post(
        "/api/v1/runbooks/",
        {
            "title": "Octavia amphora failover",
            "body": "## Meaning\r\n\r\nAn amphora died.",
            "provider": "provider-a",
            "tags": ["octavia", "OpenStack"],
            "component": "octavia",
            "status": "draft",
            "creator": "bob",
            "revision": 7,
        },
    )
    validate(response)
    assert response.status_code == 201
    assert response["Location"] == "http://127.0.0.1:8000/api/v1/runbooks/octavia-amphora-failover/"
    data = response.json()
    assert (data["status"], data["creator"], data["revision"]) == ("published", "alice", 1)
    assert (
        data["tags"] == ["octavia", "openstack"]
        and data["body"] == "## Meaning\n\nAn amphora died."
    )


def test_patch_needs_the_base_revision_and_refuses_a_stale_one(callers, docs, alice):
    url = f"/api/v1/runbooks/{docs['public'].slug}/"
    client = callers["alice"]
    missing = validate(client.patch(url, {"body": "x"}))
    assert missing.status_code == 400 and "base_revision" in missing.json()
    assert validate(client.patch(url, {"body": "v2", "base_revision": 1})).json()["revision"] == 2
    stale = validate(client.patch(url, {"body": "v3", "base_revision": 1}))
    assert stale.status_code == 409
    assert stale.json()["current_revision"] == 2 and "detail" in stale.json()
    assert docs["public"].revisions.count() == 2


@pytest.mark.parametrize("field", ["status", "provider", "creator", "revision", "slug"])
def test_patch_refuses_fields_the_server_owns(callers, docs, field):
    url = f"/api/v1/runbooks/{docs['public'].slug}/"
    response = validate(callers["alice"].patch(url, {field: "x", "base_revision": 1}))
    assert response.status_code == 400 and field in response.json()
    assert docs["public"].revisions.count() == 1


def test_patch_changes_tags_and_runbook_fields_without_a_revision(callers, docs):
    url = f"/api/v1/runbooks/{docs['public'].slug}/"
    data = (
        callers["alice"]
        .patch(
            url,
            {"tags": ["ceph"], "component": "ceph", "review_interval_days": 30, "base_revision": 1},
        )
        .json()
    )
    assert (data["tags"], data["component"], data["review_interval_days"]) == (["ceph"], "ceph", 30)
    assert data["revision"] == 1


def test_history_endpoints(callers, docs, alice):
    document = docs["public"]
    documents.add_revision(document, title="Public A", body="two\n", actor=alice, base_revision=1)
    client = callers["dave"]
    base = f"/api/v1/runbooks/{document.slug}/"
    revisions = validate(client.get(f"{base}revisions/")).json()
    assert [r["number"] for r in revisions["results"]] == [2, 1]
    assert revisions["results"][0] == {
        **revisions["results"][0],
        "author": "alice",
        "parent": 1,
        "title": "Public A",
    }
    one = validate(client.get(f"{base}revisions/1/")).json()
    assert one["body"].startswith("## Meaning") and "html" in one
    assert validate(client.get(f"{base}revisions/9/")).status_code == 404
    diff = validate(client.get(f"{base}diff/?from=1&to=2")).json()
    assert diff["from"] == 1 and diff["to"] == 2 and "+two" in diff["unified"]
    assert validate(client.get(f"{base}diff/")).json()["from"] == 1
    assert validate(client.get(f"{base}diff/?from=2&to=1")).status_code == 400
    assert validate(client.get(f"{base}diff/?from=x")).status_code == 400


def test_restore_answers_201_with_the_new_revision(callers, docs, alice):
    document = docs["public"]
    documents.add_revision(document, title="Oops", body="bad", actor=alice, base_revision=1)
    url = f"/api/v1/runbooks/{document.slug}/restore/"
    response = validate(callers["alice"].post(url, {"revision": 1, "base_revision": 2}))
    assert response.status_code == 201
    assert response.json()["number"] == 3 and response.json()["title"] == "Public A"
    # The new revision holds the restored revision's title and body, and the document shows it.
    base = f"/api/v1/runbooks/{document.slug}/"
    restored = validate(callers["alice"].get(f"{base}revisions/3/")).json()
    original = validate(callers["alice"].get(f"{base}revisions/1/")).json()
    assert (restored["title"], restored["body"]) == (original["title"], original["body"])
    current = validate(callers["alice"].get(base)).json()
    assert (current["title"], current["body"]) == (original["title"], original["body"])
    assert current["revision"] == 3 and current["body"] != "bad"
    stale = validate(callers["alice"].post(url, {"revision": 1, "base_revision": 2}))
    assert stale.status_code == 409


def test_publish_with_an_embargo(callers, docs):
    url = f"/api/v1/postmortems/{docs['draft'].slug}/publish/"
    response = validate(
        callers["alice"].post(
            url, {"visibility": "public", "embargo_until": "2099-01-01T00:00:00Z"}
        )
    )
    assert response.json()["status"] == "published" and response.json()["visibility"] == "public"
    assert callers["bob"].get(f"/api/v1/postmortems/{docs['draft'].slug}/").status_code == 404


def test_filters_ordering_and_pagination(callers, alice, bob, provider_a, provider_b, make_runbook):
    make_runbook(alice, title="Alpha", provider=provider_a, tags=["ceph"])
    make_runbook(bob, title="Beta", provider=provider_b, status=Status.ARCHIVED)
    make_runbook(alice, title="Gamma")
    client = callers["carol"]

    def titles(query):
        response = validate(client.get(f"/api/v1/runbooks/?{query}"))
        return [d["title"] for d in response.json()["results"]]

    assert titles("ordering=title") == ["Alpha", "Beta", "Gamma"]
    assert titles("tag=ceph") == ["Alpha"]
    assert titles("provider=provider-b") == ["Beta"]
    assert titles("provider=community") == ["Gamma"]
    assert titles("status=archived") == ["Beta"]
    assert titles("stale=true") == []
    assert validate(client.get("/api/v1/runbooks/?status=bogus")).status_code == 400
    page = validate(client.get("/api/v1/runbooks/?ordering=title&page_size=2")).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]


def test_page_size_is_clamped_to_200(callers, alice):
    for i in range(205):  # a runbook is two rows (document + runbook): no bulk_create
        Runbook.objects.create(kind=Kind.RUNBOOK, slug=f"r{i}", title=f"R{i}")
    page = callers["anonymous"].get("/api/v1/runbooks/?page_size=1000").json()
    assert page["count"] == 205 and len(page["results"]) == 200


def test_the_list_costs_the_same_with_more_documents(callers, alice, provider_a, make_runbook):
    client = callers["alice"]

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/runbooks/").status_code == 200
        return len(captured)

    make_runbook(alice, tags=["a"], provider=provider_a)
    queries()  # the token's first use writes last_used_at once
    few = queries()
    for i in range(20):
        make_runbook(alice, title=f"More {i}", tags=["a", "b"], provider=provider_a)
    assert queries() == few


@pytest.mark.parametrize(
    "kwargs,status",
    [
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"data": "title=x", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": "[]", "content_type": "application/json"}, 400),
        ({"data": '{"title": ""}', "content_type": "application/json"}, 400),
        ({"data": '{"title": "x", "tags": ["!!!"]}', "content_type": "application/json"}, 400),
        (
            {"data": '{"title": "x", "provider": "nowhere"}', "content_type": "application/json"},
            400,
        ),
    ],
)
def test_bad_bodies_get_a_json_error_and_create_nothing(callers, kwargs, status):
    response = callers["alice"].post("/api/v1/runbooks/", **kwargs)
    assert response.status_code == status and response.json()
    assert not Document.objects.exists()


def test_an_oversized_markdown_body_is_a_field_error(callers):
    response = callers["alice"].post("/api/v1/runbooks/", {"title": "x", "body": "x" * 262145})
    assert response.status_code == 400 and "body" in response.json()


def test_a_body_over_2_mb_is_refused_before_parsing(callers):
    response = callers["alice"].post(
        "/api/v1/runbooks/", data="x" * (2 * 1024 * 1024 + 1), content_type="application/json"
    )
    assert response.status_code == 413 and "limit" in response.json()["detail"]


@pytest.mark.parametrize(
    "method,path,status",
    [
        ("get", "/api/v1/nothing-here/", 404),
        ("get", "/api/nothing/", 404),
        ("put", "/api/v1/runbooks/public-a/", 405),
        ("post", "/api/v1/providers/", 405),
    ],
)
def test_every_api_answer_is_json(callers, docs, method, path, status):
    response = getattr(callers["alice"], method)(path)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json" and "detail" in response.json()


def test_a_revoked_or_unknown_token_is_refused(alice):
    token, secret = tokens.issue_token(name="ci", scopes=[Scope.READ], user=alice, actor=SYSTEM)
    assert ApiClient(token=secret).get("/api/v1/runbooks/").status_code == 200
    tokens.revoke_token(token, actor=SYSTEM)
    refused = ApiClient(token=secret).get("/api/v1/runbooks/")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert ApiClient(token="oo_guess").get("/api/v1/runbooks/").status_code == 401


def test_last_use_is_written_at_most_once_a_minute(alice, django_assert_num_queries):
    token, secret = tokens.issue_token(name="ci", scopes=[Scope.READ], user=alice, actor=SYSTEM)
    client = ApiClient(token=secret)
    client.get("/api/v1/providers/")
    first = Token.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get("/api/v1/providers/")
    assert Token.objects.get(pk=token.pk).last_used_at == first


def test_the_browser_session_needs_csrf_for_writes(alice):
    client = ApiClient(user=alice)
    assert client.get("/api/v1/runbooks/").status_code == 200
    refused = client.post("/api/v1/runbooks/", {"title": "x"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]


def test_tags_and_providers(callers, alice, provider_a, make_runbook):
    make_runbook(alice, tags=["ceph"])
    make_runbook(alice, tags=["secret"], provider=provider_a, visibility=Visibility.PROVIDER)
    tags = validate(callers["bob"].get("/api/v1/tags/")).json()["results"]
    assert [t["slug"] for t in tags] == ["ceph"]
    assert validate(callers["bob"].get("/api/v1/tags/secret/")).status_code == 404
    providers = validate(callers["anonymous"].get("/api/v1/providers/")).json()["results"]
    assert providers[0] == {
        "slug": "provider-a",
        "name": "Provider A",
        "website": "https://a.example",
        "status_page": "",
        "url": "http://127.0.0.1:8000/providers/provider-a/",
    }
