"""Issue 29, finding 5: six small leaks found by the second outside attack, and their kin.

Each rule is DESIGN §3's "everything derived asks the same querysets": what a caller may not
see is named nowhere — not in an API field, a form's help text, a watch answer, a review badge,
another provider's miss list or a cached page.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from runbooks import tasks
from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Alert, RunbookMiss, Scope, Subscription, Tag
from runbooks.services import documents, postmortems, reports, tokens
from runbooks.services import runbooks as runbook_services
from tests.api import ApiClient
from tests.conftest import client_for

SECRET = "Zebra-vault-restore-7731"  # the title of what must stay private


def api(user) -> ApiClient:
    """The caller's read/write token (a session would need a CSRF token to write)."""
    secret = tokens.issue_token(
        name="rw", scopes=[Scope.READ, Scope.WRITE], user=user, actor=SYSTEM
    )[1]
    return ApiClient(token=secret)


def make_alert(provider, name="SchedulerQueueStuck"):
    now = timezone.now()
    return Alert.objects.create(
        provider=provider,
        source="alertmanager",
        fingerprint=f"fp-{provider.slug}-{name}",
        alertname=name,
        status="firing",
        starts_at=now - timedelta(hours=2),
        last_seen=now,
    )


def make_postmortem(author, provider, title="Storage outage", **kwargs):
    return documents.create_document(
        kind=Kind.POSTMORTEM,
        title=title,
        body="## Summary\n",
        provider=provider,
        actor=author,
        **kwargs,
    )


def make_report(author, provider, title="Upgrade went fine", **kwargs):
    return documents.create_document(
        kind=Kind.REPORT,
        title=title,
        body="## What we did\n",
        provider=provider,
        actor=author,
        **kwargs,
    )


@pytest.fixture
def private_runbook(alice, provider_a, make_runbook):
    return make_runbook(
        alice, title=SECRET, slug="zebra-vault", provider=provider_a, visibility=Visibility.PROVIDER
    )


@pytest.fixture
def public_runbook(alice, provider_a, make_runbook):
    return make_runbook(
        alice,
        title="Ceph OSD down",
        slug="ceph-osd-down",
        provider=provider_a,
        visibility=Visibility.PUBLIC,
    )


# --- (a) the API names only what the page shows ------------------------------------------------


@pytest.fixture
def shared_postmortem(alice, provider_a, private_runbook, public_runbook):
    """A's published community post-mortem that used A's private runbook and a public one, and
    links an alert A received."""
    postmortem = make_postmortem(alice, provider_a)
    uses = [
        {"runbook": private_runbook.slug, "verdict": "wrong"},
        {"runbook": public_runbook.slug, "verdict": "helped"},
    ]
    postmortems.set_runbooks_used(postmortem, uses, actor=alice)
    postmortems.set_linked_alerts(postmortem, [make_alert(provider_a).pk], actor=alice)
    documents.publish(postmortem, actor=alice, visibility=Visibility.COMMUNITY)
    return postmortem


def test_the_api_names_only_the_runbooks_used_the_caller_may_read(bob, shared_postmortem):
    page = client_for(bob).get(shared_postmortem.get_absolute_url()).content.decode()
    assert SECRET not in page and "Ceph OSD down" in page
    url = f"/api/v1/postmortems/{shared_postmortem.slug}/"
    for answer in (ApiClient(bob).get(url).json(), ApiClient(bob).get("/api/v1/postmortems/")):
        body = answer if "slug" in answer else answer.json()["results"][0]
        assert body["runbooks_used"] == [
            {"runbook": "ceph-osd-down", "revision": 1, "verdict": "helped"}
        ]
        assert "zebra-vault" not in str(body)


def test_the_api_lists_only_the_alerts_the_caller_may_see(
    alice, bob, carol, shared_postmortem, provider_a
):
    url = f"/api/v1/postmortems/{shared_postmortem.slug}/"
    alert = Alert.objects.get(provider=provider_a)
    assert ApiClient(bob).get(url).json()["alerts"] == []
    assert ApiClient(bob).get("/api/v1/postmortems/").json()["results"][0]["alerts"] == []
    assert ApiClient(alice).get(url).json()["alerts"] == [alert.pk]  # the receiving provider
    assert ApiClient(carol).get(url).json()["alerts"] == [alert.pk]  # staff see every alert
    member = ApiClient(alice).get(url).json()
    assert [use["runbook"] for use in member["runbooks_used"]] == ["zebra-vault", "ceph-osd-down"]


def test_a_report_names_its_private_runbook_to_nobody_else(alice, bob, provider_a, private_runbook):
    """The same class, already right: a report's runbook and revision are null to others."""
    report = make_report(alice, provider_a)
    reports.set_runbook(report, private_runbook.slug, actor=alice)
    documents.publish(report, actor=alice, visibility=Visibility.COMMUNITY)
    body = ApiClient(bob).get(f"/api/v1/reports/{report.slug}/").json()
    assert body["runbook"] is None and body["runbook_revision"] is None


def test_a_subscription_to_a_document_no_longer_readable_names_it_no_more(
    alice, bob, provider_a, make_runbook
):
    """The same class: what a user watches, once they may no longer read it, is listed without
    its slug (API) or title (page), and can still be unwatched."""
    runbook = make_runbook(alice, title="Soon private", slug="soon-private", provider=provider_a)
    api(bob).post("/api/v1/subscriptions/", {"document": "runbooks/soon-private"})
    documents.edit_document(
        runbook, actor=alice, base_revision=1, title=SECRET, visibility=Visibility.PROVIDER
    )
    listed = api(bob).get("/api/v1/subscriptions/").json()["results"]
    assert [row["document"] for row in listed] == [None]
    page = client_for(bob).get("/notifications/").content.decode()
    assert SECRET not in page and "no longer" in page
    unwatch = {"target": "document", "id": runbook.pk, "action": "unwatch"}
    assert client_for(bob).post("/watch/", unwatch).status_code == 302
    assert not Subscription.objects.filter(user=bob).exists()


# --- (b) the report form suggests only keys of reports the writer may read -------------------


def test_the_report_form_suggests_only_keys_the_writer_may_read(alice, bob, provider_b):
    draft = make_report(bob, provider_b, environment={"secretkeydraft": "1"})
    private = make_report(bob, provider_b, title="Private", environment={"secretkeyprivate": "2"})
    documents.publish(private, actor=bob, visibility=Visibility.PROVIDER)
    shared = make_report(bob, provider_b, title="Shared", environment={"sharedkey": "3"})
    documents.publish(shared, actor=bob, visibility=Visibility.COMMUNITY)
    page = client_for(alice).get("/reports/new/").content.decode()
    assert "secretkeydraft" not in page and "secretkeyprivate" not in page
    assert "sharedkey" in page and "kubernetes" in page  # what is shared, and the common keys
    own = client_for(bob).get("/reports/new/").content.decode()
    assert "secretkeydraft" in own and "secretkeyprivate" in own
    edit = client_for(bob).get(f"{draft.get_absolute_url()}edit/").content.decode()
    assert "secretkeyprivate" in edit


# --- (c) a tag no document the caller may see carries is a tag that does not exist ----------


@pytest.fixture
def hidden_tag(bob, provider_b):
    make_report(bob, provider_b, title="Draft", tags=["zebra-secret-tag"])
    return Tag.objects.get(slug="zebra-secret-tag")


def test_watching_a_hidden_tag_answers_like_a_tag_that_does_not_exist(alice, hidden_tag):
    client = api(alice)
    hidden = client.post("/api/v1/subscriptions/", {"tag": "zebra-secret-tag"})
    missing = client.post("/api/v1/subscriptions/", {"tag": "no-such-tag-at-all"})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()
    page = client_for(alice)
    absent = page.post("/watch/", {"target": "tag", "id": hidden_tag.pk + 1000})
    assert page.post("/watch/", {"target": "tag", "id": hidden_tag.pk}).status_code == 404
    assert absent.status_code == 404
    assert not Subscription.objects.filter(user=alice).exists()


def test_a_tag_is_watched_by_those_who_see_a_document_that_carries_it(
    alice, bob, hidden_tag, make_runbook
):
    assert api(bob).post("/api/v1/subscriptions/", {"tag": "zebra-secret-tag"}).status_code == 201
    make_runbook(alice, title="Public one", tags=["zebra-secret-tag"])
    assert (
        client_for(alice).post("/watch/", {"target": "tag", "id": hidden_tag.pk}).status_code == 302
    )
    assert Subscription.objects.filter(user=alice, tag=hidden_tag).exists()


def test_the_tag_feed_of_a_hidden_tag_is_a_404(hidden_tag, make_runbook, alice):
    """The same class: /feeds/tags/<slug>/ printed the label of any tag."""
    assert Client().get("/feeds/tags/zebra-secret-tag/").status_code == 404
    assert Client().get("/feeds/tags/no-such-tag/").status_code == 404
    make_runbook(alice, title="Public one", tags=["zebra-secret-tag"])
    assert Client().get("/feeds/tags/zebra-secret-tag/").status_code == 200


# --- (d) a verdict counts once the runbook's provider may read its post-mortem ---------------


def stale(runbook) -> bool:
    runbook.refresh_from_db()
    return runbook.stale


def judge(author, provider, runbook, verdict="wrong", **kwargs):
    postmortem = make_postmortem(author, provider, **kwargs)
    postmortems.set_runbooks_used(
        postmortem, [{"runbook": runbook.slug, "verdict": verdict}], actor=author
    )
    return postmortem


def test_another_providers_draft_verdict_marks_nothing(bob, provider_b, public_runbook):
    judge(bob, provider_b, public_runbook)
    assert not stale(public_runbook)
    page = Client().get(public_runbook.get_absolute_url()).content.decode()
    assert "review-due" not in page
    assert ApiClient().get(f"/api/v1/runbooks/{public_runbook.slug}/").json()["stale"] is False


def test_the_verdict_counts_once_the_post_mortem_is_published(bob, provider_b, public_runbook):
    postmortem = judge(bob, provider_b, public_runbook)
    documents.set_status(postmortem, Status.IN_REVIEW, actor=bob)
    assert not stale(public_runbook)
    documents.publish(postmortem, actor=bob, visibility=Visibility.PROVIDER)
    assert not stale(public_runbook)  # B's members alone read it
    documents.edit_document(postmortem, actor=bob, base_revision=1, visibility=Visibility.COMMUNITY)
    assert stale(public_runbook)
    assert (
        "Review due: a post-mortem judged"
        in Client().get(public_runbook.get_absolute_url()).content.decode()
    )


def test_an_embargoed_verdict_counts_when_the_embargo_lifts(alice, bob, provider_b, public_runbook):
    postmortem = judge(bob, provider_b, public_runbook)
    lifts = timezone.now() + timedelta(days=2)
    documents.publish(postmortem, actor=bob, visibility=Visibility.PUBLIC, embargo_until=lifts)
    assert not stale(public_runbook)
    with time_machine.travel(lifts + timedelta(minutes=5)):
        assert not stale(public_runbook)
        tasks.sweep_events()  # beat's sweep
        assert stale(public_runbook)
        public_runbook.refresh_from_db()
        assert public_runbook.review_due_at == lifts  # due from the embargo's end
        runbook_services.mark_reviewed(public_runbook, actor=alice)
        tasks.sweep_events()  # a second sweep counts nothing twice
        assert not stale(public_runbook)


def test_the_runbooks_own_provider_counts_its_draft_at_once(alice, provider_a, public_runbook):
    judge(alice, provider_a, public_runbook)
    assert stale(public_runbook)


def test_a_community_runbook_counts_what_every_signed_in_user_reads(
    alice, bob, provider_b, make_runbook
):
    """The rule for a community runbook: its editors are anyone's, so a verdict counts once
    the post-mortem is shared (released community or public, out of any embargo)."""
    runbook = make_runbook(alice, title="Community one", slug="community-one")
    postmortem = judge(bob, provider_b, runbook)
    assert not stale(runbook)
    documents.publish(postmortem, actor=bob, visibility=Visibility.PROVIDER)
    assert not stale(runbook)
    documents.edit_document(postmortem, actor=bob, base_revision=1, visibility=Visibility.PUBLIC)
    assert stale(runbook)


def test_a_released_post_mortem_does_not_count_its_verdicts_twice(
    alice, provider_a, public_runbook
):
    postmortem = judge(alice, provider_a, public_runbook)
    assert stale(public_runbook)
    public_runbook.refresh_from_db()
    runbook_services.mark_reviewed(public_runbook, actor=alice)
    documents.publish(postmortem, actor=alice, visibility=Visibility.COMMUNITY)
    assert not stale(public_runbook)  # A read it all along: reviewed since, not due again


# --- (e) misses count only for the caller's own providers ------------------------------------


def test_a_miss_is_counted_only_for_the_callers_own_provider(alice, provider_a, provider_b):
    client = client_for(alice)
    assert client.get("/r/ZebraInjectedName?provider=provider-b").status_code == 404
    answer = ApiClient(alice).get("/api/v1/resolve/?alertname=ZebraApiName&provider=provider-b")
    assert answer.status_code == 404
    assert not RunbookMiss.objects.filter(provider=provider_b).exists()
    assert client.get("/r/OwnMissingName?provider=provider-a").status_code == 404
    assert RunbookMiss.objects.filter(provider=provider_a, alertname="OwnMissingName").exists()
    page = client.get("/alerts/missing/").content.decode()
    assert "ZebraInjectedName" not in page and "OwnMissingName" in page


# --- (f) a cached page moves on when what it names changes -----------------------------------


@pytest.fixture
def fresh_cache(within_one_minute):
    cache.clear()
    yield
    cache.clear()


def anonymous(url: str) -> str:
    response = Client().get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def hide(document, actor):
    documents.edit_document(
        document,
        actor=actor,
        base_revision=document.current_revision.number,
        visibility=Visibility.PROVIDER,
    )


def test_a_cached_report_forgets_its_runbook_made_private(fresh_cache, alice, provider_a):
    from runbooks.services.documents import create_document

    runbook = create_document(
        kind=Kind.RUNBOOK, title=SECRET, body="x", provider=provider_a, actor=alice
    )
    report = make_report(alice, provider_a)
    reports.set_runbook(report, runbook.slug, actor=alice)
    documents.publish(report, actor=alice, visibility=Visibility.PUBLIC)
    assert SECRET in anonymous(report.get_absolute_url())
    hide(runbook, alice)
    assert SECRET not in anonymous(report.get_absolute_url())


def test_a_cached_post_mortem_forgets_a_runbook_made_private(fresh_cache, alice, provider_a):
    from runbooks.services.documents import create_document

    runbook = create_document(
        kind=Kind.RUNBOOK, title=SECRET, body="x", provider=provider_a, actor=alice
    )
    postmortem = make_postmortem(alice, provider_a)
    postmortems.set_runbooks_used(
        postmortem, [{"runbook": runbook.slug, "verdict": ""}], actor=alice
    )
    documents.publish(postmortem, actor=alice, visibility=Visibility.PUBLIC)
    assert SECRET in anonymous(postmortem.get_absolute_url())
    documents.set_status(runbook, Status.DRAFT, actor=alice)
    assert SECRET not in anonymous(postmortem.get_absolute_url())


def test_a_cached_runbook_forgets_a_post_mortem_taken_back(
    fresh_cache, alice, provider_a, public_runbook
):
    """The same class the other way: the runbook page lists the post-mortems that used it."""
    postmortem = make_postmortem(alice, provider_a, title=SECRET)
    postmortems.set_runbooks_used(
        postmortem, [{"runbook": public_runbook.slug, "verdict": "helped"}], actor=alice
    )
    documents.publish(postmortem, actor=alice, visibility=Visibility.PUBLIC)
    assert SECRET in anonymous(public_runbook.get_absolute_url())
    documents.set_status(postmortem, Status.DRAFT, actor=alice)
    assert SECRET not in anonymous(public_runbook.get_absolute_url())


def test_a_cached_runbook_forgets_a_report_made_private(
    fresh_cache, alice, provider_a, public_runbook
):
    """…and the compatibility table of its reports (their environments)."""
    report = make_report(alice, provider_a, environment={"zebrasecretenv": "1"}, outcome="worked")
    reports.set_runbook(report, public_runbook.slug, actor=alice)
    documents.publish(report, actor=alice, visibility=Visibility.PUBLIC)
    assert "zebrasecretenv" in anonymous(public_runbook.get_absolute_url())
    hide(report, alice)
    assert "zebrasecretenv" not in anonymous(public_runbook.get_absolute_url())


def test_a_cached_post_mortem_shows_a_runbooks_new_title(fresh_cache, alice, provider_a):
    from runbooks.services.documents import create_document

    runbook = create_document(
        kind=Kind.RUNBOOK, title="Old title", body="x", provider=provider_a, actor=alice
    )
    postmortem = make_postmortem(alice, provider_a)
    postmortems.set_runbooks_used(
        postmortem, [{"runbook": runbook.slug, "verdict": ""}], actor=SYSTEM
    )
    documents.publish(postmortem, actor=alice, visibility=Visibility.PUBLIC)
    assert "Old title" in anonymous(postmortem.get_absolute_url())
    documents.edit_document(runbook, actor=alice, base_revision=1, title="Brand new title")
    assert "Brand new title" in anonymous(postmortem.get_absolute_url())


def test_removing_a_route_counts_only_the_other_routes_the_remover_may_see(
    alice, bob, provider_a, provider_b, public_runbook, make_runbook
):
    """The same class as (b): "other routes for the same alert name remain" counted another
    provider's routes to its private runbooks."""
    from runbooks.models import AlertRoute
    from runbooks.services import routes

    hidden = make_runbook(bob, title="B only", provider=provider_b, visibility=Visibility.PROVIDER)
    routes.save_route(actor=bob, alertname="DiskFull", runbook=hidden, provider=provider_b)
    routes.save_route(
        actor=alice, alertname="DiskFull", runbook=public_runbook, provider=provider_a
    )
    mine = AlertRoute.objects.get(provider=provider_a)
    url = f"{public_runbook.get_absolute_url()}?remove_route={mine.pk}"
    page = client_for(alice).get(url).content.decode()
    assert "These links stop opening this runbook" in page
    assert "other routes for the same alert name remain" not in page


def test_a_cached_report_forgets_its_deleted_runbook(fresh_cache, alice, erin, provider_a):
    runbook = documents.create_document(
        kind=Kind.RUNBOOK, title=SECRET, body="x", provider=provider_a, actor=alice
    )
    report = make_report(alice, provider_a)
    reports.set_runbook(report, runbook.slug, actor=alice)
    documents.publish(report, actor=alice, visibility=Visibility.PUBLIC)
    assert SECRET in anonymous(report.get_absolute_url())
    documents.delete_document(runbook, actor=erin)
    assert SECRET not in anonymous(report.get_absolute_url())
