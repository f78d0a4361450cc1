"""The anonymous document page comes from the cache (runbooks/pagecache.py): one query a hit,
304s for clients that have it, and never stale or private content: every write that changes
what the page shows is followed by a fresh page, and only anonymous visitors meet the cache."""

import time

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Comment, Revision, Tag
from runbooks.services import (
    comments,
    documents,
    people,
    postmortems,
    routes,
    tags,
)
from tests.conftest import client_for


@pytest.fixture(autouse=True)
def empty_cache(within_one_minute):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def runbook(alice, make_runbook, provider_a):
    return make_runbook(
        alice,
        title="Ceph OSD down",
        body="## Check\n\nRun `ceph osd tree`.\n",
        provider=provider_a,
        visibility=Visibility.PUBLIC,
        tags=["ceph"],
    )


def anonymous(url: str) -> str:
    response = Client().get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_hit_costs_one_query_and_the_same_bytes(runbook, django_assert_num_queries):
    url = runbook.get_absolute_url()
    first = Client().get(url)
    with django_assert_num_queries(1):  # the visibility check; no rendering
        second = Client().get(url)
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert second["Cache-Control"] == "no-cache" and second["Vary"] == "Cookie"


def test_a_client_that_has_the_page_gets_a_304(runbook, django_assert_num_queries):
    url = runbook.get_absolute_url()
    first = Client().get(url)
    with django_assert_num_queries(1):
        again = Client().get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    since = Client().get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert since.status_code == 304
    documents.add_revision(
        runbook, title="Ceph OSD down", body="new", actor=SYSTEM, base_revision=1
    )
    changed = Client().get(url, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and "new" in changed.content.decode()


def test_an_alert_link_query_is_part_of_the_key(runbook):
    url = runbook.get_absolute_url()
    plain = anonymous(url)
    linked = anonymous(f"{url}?alert=CephOSDDown&label.instance=stor07")
    assert "CephOSDDown" in linked and "CephOSDDown" not in plain


def _route(runbook):
    return routes.save_route(
        alertname="CephOSDDown", runbook=runbook, provider=runbook.provider, actor=SYSTEM
    )


# Anonymous pages show community routes (below), but neither a provider's routes, nor reviews,
# nor report counts (signed-in readers see those, and their pages are never cached); the
# services touch the page for them all the same.
WRITES = {
    # name: (write(runbook, world), text that must appear, text that must disappear)
    "new revision": (
        lambda rb, w: documents.add_revision(
            rb, title=rb.title, body="Run `ceph health detail`.", actor=SYSTEM, base_revision=1
        ),
        "ceph health detail",
        "ceph osd tree",
    ),
    "title": (
        lambda rb, w: documents.add_revision(
            rb, title="OSD flapping", body="x", actor=SYSTEM, base_revision=1
        ),
        "OSD flapping",
        None,
    ),
    "tags": (
        lambda rb, w: documents.edit_document(
            rb, actor=w["alice"], base_revision=1, tags=["storage"]
        ),
        "storage",
        None,
    ),
    "tag renamed": (
        lambda rb, w: tags.relabel_tag(Tag.objects.get(slug="ceph"), "Ceph (RADOS)", actor=SYSTEM),
        "Ceph (RADOS)",
        None,
    ),
    "provider renamed": (
        lambda rb, w: people.create_provider(
            "provider-a", "Provider Alpha", "https://a.example", actor=SYSTEM
        ),
        "Provider Alpha",
        None,
    ),
    "comment": (
        lambda rb, w: comments.add_comment(rb, actor=w["alice"], body="Also check the MTU"),
        "Also check the MTU",
        None,
    ),
    "archived": (
        lambda rb, w: documents.set_status(rb, Status.ARCHIVED, actor=w["alice"]),
        "rchived",
        None,
    ),
}


def fresh(url: str) -> str:
    """The page as it renders now, with nothing cached."""
    cache.clear()
    return anonymous(url)


@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_that_changes_the_page_is_seen_at_once(runbook, alice, name):
    write, appears, disappears = WRITES[name]
    url = runbook.get_absolute_url()
    before = anonymous(url)
    assert anonymous(url) == before  # now in the cache
    write(runbook, {"alice": alice})
    served = anonymous(url)
    rendered = fresh(url)
    assert rendered != before, f"{name}: the write does not change the page (a vacuous case)"
    assert served == rendered, f"{name}: the cached page was served"
    assert appears in served and appears not in before
    if disappears:
        assert disappears in before and disappears not in served


def test_hiding_or_deleting_a_comment_is_seen_at_once(runbook, alice, carol):
    hidden = comments.add_comment(runbook, actor=alice, body="Wrong advice here")
    deleted = comments.add_comment(runbook, actor=alice, body="Posted by mistake")
    url = runbook.get_absolute_url()
    page = anonymous(url)
    assert "Wrong advice here" in page and "Posted by mistake" in page
    comments.hide_comment(Comment.objects.get(pk=hidden.pk), actor=carol, reason="spam")
    comments.delete_comment(Comment.objects.get(pk=deleted.pk), actor=alice)
    page = anonymous(url)
    assert "Wrong advice here" not in page and "Posted by mistake" not in page
    assert page == fresh(url)


def test_routes_touch_the_page_though_anonymous_visitors_do_not_see_them(runbook, alice):
    before = runbook.page_changed_at
    route = _route(runbook)
    runbook.refresh_from_db()
    assert runbook.page_changed_at > before
    routes.delete_route(route, actor=alice)
    changed = runbook.page_changed_at
    runbook.refresh_from_db()
    assert runbook.page_changed_at > changed


def test_a_document_made_private_is_never_served_from_the_cache(runbook, alice):
    url = runbook.get_absolute_url()
    anonymous(url)
    documents.edit_document(runbook, actor=alice, base_revision=1, visibility=Visibility.PROVIDER)
    assert Client().get(url).status_code == 404


def test_post_mortem_page_follows_its_action_items_and_runbooks_used(
    runbook, alice, make_runbook, provider_a
):
    postmortem = make_runbook(
        alice, title="Outage", body="## Summary\n", kind=Kind.POSTMORTEM, provider=provider_a
    )
    documents.publish(postmortem, actor=alice, visibility=Visibility.PUBLIC)
    url = postmortem.get_absolute_url()
    before = anonymous(url)
    postmortems.add_action_item(postmortem, actor=alice, title="Alert on queue depth")
    assert "Alert on queue depth" in anonymous(url)
    runbook_page = anonymous(runbook.get_absolute_url())
    postmortems.set_runbooks_used(
        postmortem, [{"runbook": runbook.slug, "verdict": "helped"}], actor=alice
    )
    assert anonymous(runbook.get_absolute_url()) != runbook_page
    assert anonymous(url) != before


def test_a_rerender_is_seen_at_once(runbook):
    from runbooks.services.documents import rerender_all

    url = runbook.get_absolute_url()
    Revision.objects.filter(document=runbook).update(html="<p>rendered by an old version</p>")
    stale = anonymous(url)
    assert "rendered by an old version" in stale
    rerender_all()
    assert "ceph osd tree" in anonymous(url)


def test_signed_in_readers_and_sessions_never_meet_the_cache(runbook, alice, dave, bob):
    url = runbook.get_absolute_url()
    anonymous(url)
    for user in (alice, dave, bob):
        response = client_for(user).get(url)
        assert "ETag" not in response and user.username in response.content.decode()
    with_session = Client()
    with_session.cookies["sessionid"] = "abc"
    assert "ETag" not in with_session.get(url)


def test_private_and_draft_documents_are_never_stored(alice, make_runbook, provider_a):
    private = make_runbook(alice, title="Private", provider=provider_a, visibility="provider")
    assert Client().get(private.get_absolute_url()).status_code == 404
    page = client_for(alice).get(private.get_absolute_url())
    assert page.status_code == 200 and "ETag" not in page
    assert not [key for key in cache._cache if f":page:{private.pk}:" in key]


def test_community_routes_show_and_leave_at_once(make_runbook, carol):
    community = make_runbook(carol, title="Nova compute down", visibility=Visibility.PUBLIC)
    url = community.get_absolute_url()
    assert "NovaComputeServiceDown" not in anonymous(url)
    route = routes.save_route(alertname="NovaComputeServiceDown", runbook=community, actor=SYSTEM)
    page = anonymous(url)
    assert "NovaComputeServiceDown" in page and page == fresh(url)
    routes.delete_route(route, actor=carol)
    page = anonymous(url)
    assert "NovaComputeServiceDown" not in page and page == fresh(url)


def test_the_compiled_anonymous_check_answers_as_visible_to_does(alice, provider_a):
    """The anonymous check is compiled once from `visible_to` and run again with each request's
    slug and time: for every shape of document, and across an embargo's end, it answers as the
    queryset does."""
    from datetime import timedelta

    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from runbooks import access
    from tests.access import make_secrets

    secrets = make_secrets(provider_a, alice)
    public = documents.create_document(
        kind=Kind.RUNBOOK, title="Public", body="x", visibility=Visibility.PUBLIC, actor=alice
    )
    embargoed = documents.create_document(
        kind=Kind.POSTMORTEM, title="Later", body="x", provider=provider_a, actor=alice
    )
    until = timezone.now() + timedelta(days=3)
    documents.publish(embargoed, visibility=Visibility.PUBLIC, embargo_until=until, actor=alice)
    cases = [d for d in secrets.values() if hasattr(d, "slug")] + [public, embargoed]
    for moment in (timezone.now(), until + timedelta(seconds=1)):
        for document in cases + [public.__class__(kind=Kind.RUNBOOK, slug="no-such")]:
            compiled = access._AnonymousStamp.of(document.kind).run(slug=document.slug, now=moment)
            expected = access._stamp_query(AnonymousUser(), document.kind, document.slug, moment)
            assert compiled == list(expected), (document.slug, moment)
    later = access._AnonymousStamp.of(Kind.POSTMORTEM).run(
        slug=embargoed.slug, now=until + timedelta(1)
    )
    assert [pk for pk, _ in later] == [embargoed.pk]  # the embargo's end needs no new compile
    assert (
        access._AnonymousStamp.of(Kind.RUNBOOK).run(slug=public.slug, now=timezone.now())[0][0]
        == public.pk
    )


def test_the_page_is_the_same_bytes_all_minute_whatever_its_relative_times(runbook, alice):
    """What the cache keeps for a minute is what a render anywhere in that minute gives: relative
    times count whole minutes (`ago`), not seconds as `naturaltime` did."""
    url = runbook.get_absolute_url()
    minute = (int(time.time()) // 60 + 2) * 60
    with time_machine.travel(minute + 1, tick=False):
        comments.add_comment(runbook, actor=alice, body="Also check the MTU")
        early = fresh(url)
    with time_machine.travel(minute + 59, tick=False):
        late = fresh(url)
    with time_machine.travel(minute + 60 * 3 + 1, tick=False):
        later = fresh(url)
    assert early == late
    assert "just now" in early and "3\xa0minutes ago" in later
