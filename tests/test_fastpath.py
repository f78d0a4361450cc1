"""Requests that carry no session are answered before the middleware that reads sessions
(runbooks/fastpath.py): the cached anonymous page, its 304, and `/r/`'s redirect to a public
runbook. The answer must be the one the whole stack gives — status, body and every header —
and anything personal (a session, pending messages, an Authorization header) or not simple (a
page not yet cached, a private runbook, a miss) goes down the whole stack as before."""

import pytest
from django.core.cache import cache
from django.test import Client

from runbooks.actors import SYSTEM
from runbooks.choices import Visibility
from runbooks.models import AuditEntry, RunbookMiss
from runbooks.services import documents, routes

FAST_PATH = "runbooks.fastpath.SignedOutFastPath"


@pytest.fixture(autouse=True)
def empty_cache(within_one_minute):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def production_headers(settings):
    """The headers a TLS site sends (the suite runs without TLS): HSTS too."""
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True


@pytest.fixture
def public(alice, make_runbook, provider_a):
    runbook = make_runbook(
        alice, title="Ceph OSD down", provider=provider_a, visibility=Visibility.PUBLIC
    )
    routes.save_route(alertname="CephOSDDown", runbook=runbook, provider=provider_a, actor=SYSTEM)
    return runbook


@pytest.fixture
def community(carol, make_runbook):
    runbook = make_runbook(carol, title="Nova compute down", visibility=Visibility.PUBLIC)
    routes.save_route(alertname="NovaComputeDown", runbook=runbook, actor=SYSTEM)
    return runbook


@pytest.fixture
def private(alice, make_runbook, provider_a):
    runbook = make_runbook(
        alice, title="Internal", provider=provider_a, visibility=Visibility.PROVIDER
    )
    routes.save_route(alertname="InternalDown", runbook=runbook, provider=provider_a, actor=SYSTEM)
    return runbook


def through_the_stack(settings, path, **extra):
    """The same request with no fast path: every middleware, the view."""
    kept = settings.MIDDLEWARE
    settings.MIDDLEWARE = [name for name in kept if name != FAST_PATH]
    try:
        return Client().get(path, secure=True, **extra)
    finally:
        settings.MIDDLEWARE = kept


def fast(path, **extra):
    return Client().get(path, secure=True, **extra)


def answered_early(response) -> bool:
    """Whether the answer came before the session middleware (which gives every request it
    sees a session)."""
    return not hasattr(response.wsgi_request, "session")


def assert_same(fast_response, stack_response):
    assert fast_response.status_code == stack_response.status_code
    assert fast_response.content == stack_response.content
    assert dict(fast_response.items()) == dict(stack_response.items())
    assert not fast_response.cookies and not stack_response.cookies


def test_a_cached_page_is_answered_early_with_the_same_bytes_and_headers(
    public, settings, production_headers
):
    url = public.get_absolute_url()
    first = fast(url)  # not cached yet: the whole stack renders and stores it
    assert first.status_code == 200 and not answered_early(first)
    hit = fast(url)
    assert answered_early(hit)
    stack = through_the_stack(settings, url)
    assert_same(hit, stack)
    for name in ("Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options"):
        assert name in hit, name
    assert hit["Vary"] == "Cookie" and hit["Content-Length"] == str(len(hit.content))


def test_a_304_and_an_alert_links_page_are_answered_early_alike(public, settings):
    url = public.get_absolute_url()
    etag = fast(url)["ETag"]
    not_modified = fast(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and answered_early(not_modified)
    assert_same(not_modified, through_the_stack(settings, url, headers={"If-None-Match": etag}))
    linked = f"{url}?alert=CephOSDDown&label.instance=stor07"
    fast(linked)
    hit = fast(linked)
    assert answered_early(hit) and "CephOSDDown" in hit.content.decode()
    assert_same(hit, through_the_stack(settings, linked))


def test_a_page_not_cached_goes_down_the_stack_and_is_the_same(public, settings):
    url = public.get_absolute_url()
    stack = through_the_stack(settings, url)
    cache.clear()
    miss = fast(url)
    assert not answered_early(miss)
    assert_same(miss, stack)


def test_a_private_page_is_refused_by_the_stack_and_counted_once(private, settings):
    url = private.get_absolute_url()
    for _ in range(3):
        response = fast(url)
        assert response.status_code == 404 and not answered_early(response)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCESS_REFUSED)
    assert entry.count == 3  # one per request, as without the fast path


def test_r_answers_a_public_runbook_early_in_one_query(
    community, settings, production_headers, django_assert_num_queries
):
    path = "/r/NovaComputeDown?instance=cmp07"
    with django_assert_num_queries(1):  # the routes, their runbooks and visibility at once
        response = fast(path)
    assert response.status_code == 302 and answered_early(response)
    assert response["Location"].startswith(community.get_absolute_url())
    assert_same(response, through_the_stack(settings, path))
    assert response["Vary"] == "Cookie"


def test_r_with_a_provider_costs_one_more_query(public, settings, django_assert_num_queries):
    path = "/r/cephosddown/?provider=PROVIDER-A&instance=stor07"
    with django_assert_num_queries(2):  # the provider, then the routes
        response = fast(path)
    assert response.status_code == 302 and answered_early(response)
    assert response["Location"].startswith(public.get_absolute_url())
    assert_same(response, through_the_stack(settings, path))


@pytest.mark.parametrize(
    "path",
    [
        "/r/NothingLikeThis",  # no route
        "/r/InternalDown?provider=provider-a",  # a route to a runbook only provider A reads
        "/r/CephOSDDown?provider=nowhere",  # a problem
        "/r/",
    ],
)
def test_r_leaves_misses_hidden_runbooks_and_problems_to_the_stack(public, private, settings, path):
    response = fast(path)
    assert not answered_early(response)
    assert_same(response, through_the_stack(settings, path))
    assert not RunbookMiss.objects.exists()  # signed out, a read never writes


def test_the_hidden_runbook_answers_exactly_like_no_runbook(private):
    hidden = fast("/r/InternalDown?provider=provider-a")
    none = fast("/r/OtherDown?provider=provider-a")
    assert hidden.status_code == none.status_code == 404
    assert hidden.content.replace(b"InternalDown", b"OtherDown") == none.content


@pytest.mark.parametrize(
    "personal",
    [
        {"cookies": {"sessionid": "abc"}},
        {"cookies": {"messages": "x"}},
        {"headers": {"Authorization": "Bearer nope"}},
    ],
)
def test_anything_personal_goes_down_the_stack(public, personal):
    url = public.get_absolute_url()
    fast(url)
    for path in (url, "/r/CephOSDDown?provider=provider-a"):
        client = Client()
        for name, value in personal.get("cookies", {}).items():
            client.cookies[name] = value
        response = client.get(path, headers=personal.get("headers", {}))
        assert not answered_early(response), (personal, path)


def test_a_write_is_seen_by_the_next_anonymous_visitor(public, alice):
    url = public.get_absolute_url()
    fast(url)
    assert answered_early(fast(url))
    documents.add_revision(
        public, title=public.title, body="Run `ceph health detail`.", actor=alice, base_revision=1
    )
    after = fast(url)
    assert "ceph health detail" in after.content.decode()
    documents.edit_document(public, actor=alice, base_revision=2, visibility=Visibility.PROVIDER)
    assert fast(url).status_code == 404
    assert fast("/r/CephOSDDown?provider=provider-a").status_code == 404


def test_signed_in_r_reads_plain_rows_too(public, private, alice, bob):
    from tests.conftest import client_for

    assert (
        client_for(alice).get("/r/InternalDown")["Location"].startswith(private.get_absolute_url())
    )
    assert client_for(bob).get("/r/InternalDown?provider=provider-a").status_code == 404


def test_the_compiled_anonymous_route_query_answers_as_the_queryset_does(
    alice, carol, provider_a, make_runbook
):
    """`/r/` for anonymous callers runs SQL compiled once from the queryset, with each
    request's alert name, provider and time: for every shape of runbook behind a route, with
    and without a provider, and across an embargo's end, it reads what the queryset reads."""
    from datetime import timedelta

    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from runbooks import resolution
    from tests.access import make_secrets

    secrets = make_secrets(provider_a, alice)
    shapes = [d for d in secrets.values() if getattr(d, "kind", None) == "runbook"]
    shapes.append(make_runbook(alice, title="Open", provider=provider_a, visibility="public"))
    shapes.append(make_runbook(carol, title="Community", visibility=Visibility.PUBLIC))
    for number, runbook in enumerate(shapes):
        scoped = runbook.provider
        routes.save_route(
            alertname=f"Shape{number}", runbook=runbook, provider=scoped, actor=SYSTEM
        )
    columns = (*resolution.ROW_COLUMNS, *resolution.RUNBOOK_COLUMNS)
    anonymous, seen = AnonymousUser(), set()
    for moment in (timezone.now(), timezone.now() + timedelta(days=4)):
        for number in range(len(shapes)):
            for provider in (None, provider_a):
                key = f"shape{number}"
                compiled = resolution._AnonymousRoutes.of(provider is not None).run(
                    key=key, provider=provider.pk if provider else None, now=moment
                )
                expected = resolution._readable_candidates(anonymous, [key], provider, moment)
                assert compiled == list(expected.values_list(*columns)), (number, provider)
                seen |= {row[4] for row in compiled}
    assert seen == {True, False}  # readable and hidden runbooks were both among the rows
