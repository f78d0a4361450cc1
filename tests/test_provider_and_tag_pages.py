"""The tag page and the provider page: grouped by kind, only what the visitor may see, members'
things for members only, user text escaped, and a number of queries that does not grow."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from runbooks.choices import Kind, Visibility
from runbooks.models import Alert, Provider
from runbooks.services import documents
from runbooks.services.postmortems import add_action_item, change_action_item
from tests.conftest import client_for

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _page(user, url: str) -> str:
    response = client_for(user).get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _groups(html: str) -> dict[str, tuple[int, str]]:
    """{heading: (count, the group's HTML)} for each kind's section, in page order."""
    found = re.findall(
        r'<h2 id="kind-\d+">([^<]+?) <span class="muted">(\d+)</span></h2>(.*?)</section>',
        html,
        re.S,
    )
    return {heading: (int(count), body) for heading, count, body in found}


def _postmortem(make_runbook, author, title, *, provider, publish=False, **kwargs):
    """A post-mortem (a draft, unless `publish`: then released to everyone)."""
    postmortem = make_runbook(
        author, title=title, kind=Kind.POSTMORTEM, provider=provider, **kwargs
    )
    if publish:
        documents.publish(postmortem, actor=author, visibility=Visibility.PUBLIC)
    return postmortem


def _alert(runbook, provider, days_ago: float, number: int) -> Alert:
    moment = timezone.now() - timedelta(days=days_ago)
    return Alert.objects.create(
        provider=provider,
        source="alertmanager",
        fingerprint=f"f{number}",
        alertname="CephOSDDown",
        status="firing",
        labels={"alertname": "CephOSDDown"},
        starts_at=moment,
        last_seen=moment,
        runbook=runbook,
    )


# --- /tags/<slug>/ ------------------------------------------------------------------------------


@pytest.fixture
def ceph(alice, bob, provider_a, provider_b, make_runbook):
    """Tagged `ceph`: two runbooks and a published post-mortem of A, B's draft post-mortem."""
    return {
        "osd": make_runbook(alice, title="OSD down", provider=provider_a, tags=["ceph"]),
        "mon": make_runbook(alice, title="MON quorum lost", provider=provider_a, tags=["ceph"]),
        "outage": _postmortem(
            make_runbook, alice, "Ceph outage", provider=provider_a, publish=True, tags=["ceph"]
        ),
        "b_draft": _postmortem(
            make_runbook, bob, "B draft incident", provider=provider_b, tags=["ceph"]
        ),
    }


def test_the_tag_page_groups_what_the_visitor_may_see_by_kind(ceph, dave):
    html = _page(dave, "/tags/ceph/")
    groups = _groups(html)
    assert list(groups) == ["Runbooks", "Post-mortems"]
    runbooks_count, runbooks = groups["Runbooks"]
    postmortems_count, postmortems = groups["Post-mortems"]
    assert runbooks_count == 2 and "OSD down" in runbooks and "MON quorum lost" in runbooks
    assert "Ceph outage" not in runbooks
    assert postmortems_count == 1 and "Ceph outage" in postmortems
    assert html.count('class="docrow"') == 3
    # Within a kind, by title.
    assert runbooks.index("MON quorum lost") < runbooks.index("OSD down")


def test_another_providers_draft_postmortem_is_neither_listed_nor_counted(ceph, alice, bob, dave):
    for outsider in (alice, dave, None):
        html = _page(outsider, "/tags/ceph/")
        assert "B draft incident" not in html
        assert _groups(html)["Post-mortems"][0] == 1
        tags = _page(outsider, "/tags/")
        assert re.search(r'#ceph <span class="muted">3</span>', tags), tags
    # The check could fail: B's own members see it, and count it.
    assert "B draft incident" in _page(bob, "/tags/ceph/")
    assert _groups(_page(bob, "/tags/ceph/"))["Post-mortems"][0] == 2
    assert re.search(r'#ceph <span class="muted">4</span>', _page(bob, "/tags/"))


def test_a_tag_with_nothing_the_visitor_may_see_answers_404(bob, provider_b, make_runbook, alice):
    _postmortem(make_runbook, bob, "Only a draft", provider=provider_b, tags=["secret-incident"])
    for outsider in (alice, None):
        assert client_for(outsider).get("/tags/secret-incident/").status_code == 404
        assert "secret-incident" not in _page(outsider, "/tags/")
    assert "Only a draft" in _page(bob, "/tags/secret-incident/")


def test_past_fifty_of_a_kind_the_tag_page_links_to_the_kinds_list(alice, provider_a, make_runbook):
    for number in range(51):
        make_runbook(alice, title=f"Runbook {number:02}", provider=provider_a, tags=["many"])
    groups = _groups(_page(None, "/tags/many/"))
    count, runbooks = groups["Runbooks"]
    assert count == 51
    assert runbooks.count('class="docrow"') == 50
    assert '<a href="/runbooks/?tag=many">All 51 runbooks tagged #many</a>' in runbooks


# --- /providers/<slug>/ -------------------------------------------------------------------------


@pytest.fixture
def provider_world(alice, bob, dave, erin, provider_a, make_runbook):
    """Provider A: a public runbook opened by alerts, a private runbook, a published post-mortem
    with an overdue action item, a draft post-mortem with another."""
    public = make_runbook(alice, title="Nova scheduler down", provider=provider_a)
    private = make_runbook(
        alice, title="Private runbook", provider=provider_a, visibility=Visibility.PROVIDER
    )
    quiet = make_runbook(alice, title="Quiet runbook", provider=provider_a)
    published = _postmortem(
        make_runbook, alice, "Scheduler outage", provider=provider_a, publish=True
    )
    draft = _postmortem(make_runbook, alice, "Draft incident", provider=provider_a)
    yesterday = timezone.localdate() - timedelta(days=1)
    add_action_item(
        published, actor=alice, title="Add a scheduler alert", owner=dave, due_date=yesterday
    )
    add_action_item(draft, actor=alice, title="Rotate the certificates", owner=None, due_date=None)
    for number, days_ago in enumerate((1, 2, 100)):  # the third is older than 90 days
        _alert(public, provider_a, days_ago, number)
    for number in range(3, 7):
        _alert(private, provider_a, 1, number)
    return {
        "public": public,
        "private": private,
        "quiet": quiet,
        "published": published,
        "draft": draft,
    }


def test_the_provider_page_groups_what_it_shares_by_kind_newest_first(provider_world, bob):
    html = _page(bob, "/providers/provider-a/")
    groups = _groups(html)
    assert list(groups) == ["Runbooks", "Post-mortems"]
    count, runbooks = groups["Runbooks"]
    assert count == 2 and "Private runbook" not in html
    assert runbooks.index("Quiet runbook") < runbooks.index("Nova scheduler down")
    assert groups["Post-mortems"][0] == 1 and "Draft incident" not in html
    # Members see everything of their provider.
    assert (
        _groups(_page(provider_world["public"].creator, "/providers/provider-a/"))["Post-mortems"][
            0
        ]
        == 2
    )


def test_most_used_runbooks_are_counted_by_recent_alerts_for_signed_in_readers(
    provider_world, bob, dave
):
    html = _page(bob, "/providers/provider-a/")
    assert "Most used runbooks" in html
    most_used = html.split('id="most-used"')[1].split("</section>")[0]
    assert "Nova scheduler down" in most_used
    assert re.search(r'data-suffix="alerts">2</td>', most_used), most_used
    assert "Quiet runbook" not in most_used  # no alerts: not "used"
    assert "Private runbook" not in html
    # A member sees the private runbook too, first: four alerts.
    mine = _page(dave, "/providers/provider-a/").split('id="most-used"')[1]
    assert mine.index("Private runbook") < mine.index("Nova scheduler down")
    # Alert data is for signed-in readers only.
    anonymous = _page(None, "/providers/provider-a/")
    assert "Most used runbooks" not in anonymous and "data-suffix" not in anonymous


def test_members_and_action_items_are_shown_to_members_only(
    provider_world, alice, bob, carol, dave, erin
):
    for member in (alice, dave, erin):
        html = _page(member, "/providers/provider-a/")
        members = html.split('id="members-title"')[1].split("</section>")[0]
        for username, role in (("erin", "Admin"), ("alice", "Editor"), ("dave", "Reader")):
            assert re.search(
                rf"<td class=\"lead\">{username}</td><td class=\"minor\">{role}</td>", members
            )
        assert members.index("erin") < members.index("alice") < members.index("dave")
        items = html.split('id="action-items-title"')[1].split("</section>")[0]
        assert "Add a scheduler alert" in items and "Rotate the certificates" in items
        assert items.count('<strong class="badge stale">overdue</strong>') == 1
        assert '<a href="/action-items/?provider=provider-a">' in items
    for outsider in (bob, carol, None):
        html = _page(outsider, "/providers/provider-a/")
        assert "Members" not in html and "alice" not in html
        assert "Open action items" not in html
        assert "Add a scheduler alert" not in html and "Rotate the certificates" not in html


def test_done_action_items_are_not_listed(provider_world, alice):
    item = provider_world["published"].action_items.get()
    change_action_item(item, actor=alice, status="done")
    html = _page(alice, "/providers/provider-a/")
    assert "Add a scheduler alert" not in html and "Rotate the certificates" in html


# --- Hostile text ---------------------------------------------------------------------------------


def test_hostile_tag_labels_titles_and_provider_names_are_escaped(alice, provider_a, make_runbook):
    Provider.objects.filter(pk=provider_a.pk).update(name=HOSTILE)
    make_runbook(alice, title=HOSTILE, provider=provider_a, tags=[HOSTILE])
    _postmortem(make_runbook, alice, HOSTILE, provider=provider_a, publish=True, tags=[HOSTILE])
    for url in ("/tags/", "/tags/scriptalert1script/", "/providers/provider-a/"):
        for user in (alice, None):
            html = _page(user, url)
            assert HOSTILE not in html, url
            assert ESCAPED in html, url


# --- Queries ------------------------------------------------------------------------------------


def _queries(user, url: str, assert_max_num_queries, most: int) -> int:
    """The queries of a page once the client has settled in (its first request after signing
    in also writes the session and the like)."""
    client = client_for(user)
    client.get(url)
    with assert_max_num_queries(most) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _more_of_everything(alice, provider_a, make_runbook, number: int):
    runbook = make_runbook(
        alice, title=f"More {number}", provider=provider_a, tags=["ceph", "more"]
    )
    postmortem = _postmortem(
        make_runbook,
        alice,
        f"More incident {number}",
        provider=provider_a,
        publish=True,
        tags=["ceph"],
    )
    add_action_item(postmortem, actor=alice, title=f"Item {number}", owner=alice, due_date=None)
    _alert(runbook, provider_a, 1, 100 + number)


def test_the_tag_page_asks_a_fixed_number_of_queries(
    ceph, alice, provider_a, make_runbook, django_assert_max_num_queries
):
    # Session, user, roles, tag, counts per kind, then each kind's rows and their tags.
    first = _queries(alice, "/tags/ceph/", django_assert_max_num_queries, 11)
    for number in range(5):
        _more_of_everything(alice, provider_a, make_runbook, number)
    assert _queries(alice, "/tags/ceph/", django_assert_max_num_queries, 11) == first


def test_the_provider_page_asks_a_fixed_number_of_queries(
    provider_world, alice, provider_a, make_runbook, django_assert_max_num_queries
):
    # Session, user, roles, provider, counts per kind, each kind's rows and their tags, most
    # used runbooks, members, action items and their number.
    first = _queries(alice, "/providers/provider-a/", django_assert_max_num_queries, 15)
    for number in range(5):
        _more_of_everything(alice, provider_a, make_runbook, number)
    assert _queries(alice, "/providers/provider-a/", django_assert_max_num_queries, 15) == first
