"""The home page (issue 31): signed in, the shift first — my providers' firing alerts with their
runbooks, my open action items, reviews waiting for me, changes to what I watch — each saying
when it is empty, in a number of queries that does not grow with the data; signed out, as it
was. The browser checks (screens, axe) are `bench/home_page.js`."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.services import documents, events, people, postmortems
from runbooks.services import runbooks as runbook_services
from tests.conftest import client_for
from tests.test_alert_pages import make_alert

LONG_AGO = timezone.now() - timedelta(days=400)


def _home(user) -> str:
    response = client_for(user).get("/")
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, section_id: str) -> str:
    """The HTML of one section of the shift (`<section … id="firing">` … `</section>`)."""
    found = re.search(rf'<section [^>]*id="{section_id}".*?</section>', page, re.S)
    assert found, f"no section {section_id}"
    return found.group(0)


@pytest.fixture
def routed_runbook(alice, provider_a, make_runbook):
    return make_runbook(alice, title="Ceph OSD down", provider=provider_a)


# --- Firing alerts ----------------------------------------------------------------------------


def test_firing_alerts_come_first_newest_first_each_with_its_runbook_or_a_write_link(
    alice, provider_a, routed_runbook
):
    older = make_alert(provider_a, "CephOSDDown", n=3, runbook=routed_runbook)
    older.labels = {"alertname": "CephOSDDown", "hostname": "stor07", "severity": "critical"}
    older.save()
    make_alert(provider_a, "NoRunbookYet", n=1)
    make_alert(provider_a, "AlreadyOver", n=0, status="resolved")
    page = _home(alice)
    firing = _section(page, "firing")
    assert page.index('id="firing"') < page.index('id="action-items"')  # first on the page
    assert firing.index("NoRunbookYet") < firing.index("CephOSDDown")  # newest first
    assert "AlreadyOver" not in firing
    # One tap to the runbook, opened with the alert's labels as the alert's own page links it.
    assert "/runbooks/ceph-osd-down/?alert=CephOSDDown&amp;label.hostname=stor07" in firing
    assert "Runbook: Ceph OSD down" in firing and "critical" in firing
    write = "/runbooks/new/?title=NoRunbookYet&amp;alertname=NoRunbookYet"
    assert f'No runbook — <a href="{write}">write it</a>' in firing
    assert f'href="/alerts/{older.pk}/"' in firing
    assert 'href="/alerts/?status=firing"' in firing


def test_a_reader_gets_no_write_link_and_staff_see_what_they_may_not_open(
    alice, dave, carol, provider_a, make_runbook
):
    private = make_runbook(
        alice, title="Private runbook", provider=provider_a, visibility=Visibility.PROVIDER
    )
    make_alert(provider_a, "PrivateAlert", n=1, runbook=private)
    make_alert(provider_a, "NoRunbookYet", n=2)
    for_dave = _section(_home(dave), "firing")
    assert "Runbook: Private runbook" in for_dave
    assert "No runbook</span>" in for_dave and "write it" not in for_dave
    for_carol = _section(_home(carol), "firing")  # staff: every alert, not every runbook
    assert "PrivateAlert" in for_carol and "Private runbook" not in for_carol
    assert "A runbook you may not open" in for_carol


def test_the_firing_list_is_bounded_and_links_to_all_of_them(alice, provider_a):
    for n in range(12):
        make_alert(provider_a, f"Firing{n:02d}", n=n)
    firing = _section(_home(alice), "firing")
    assert firing.count('href="/alerts/') == 10 + 2  # ten alerts, the two links below
    assert "Firing00" in firing and "Firing11" not in firing
    assert "All 12 firing alerts" in firing


# --- Each section says when it is empty -------------------------------------------------------


def test_every_section_says_plainly_when_it_is_empty_and_links_the_full_page(alice):
    page = _home(alice)
    expected = {
        "firing": ("Nothing firing for Provider A.", 'href="/alerts/?status=firing"'),
        "action-items": ("No open action items of yours.", 'href="/action-items/"'),
        "reviews": ("No reviews waiting for you.", 'href="/review/"'),
        "watched": ("No recent changes by others to what you watch.", 'href="/notifications/"'),
    }
    for section_id, (empty, link) in expected.items():
        section = _section(page, section_id)
        assert empty in section and link in section, section_id


def test_someone_in_no_provider_is_told_no_alerts_reach_them(db):
    loner = people.ensure_user("loner", "x-password-1", actor=SYSTEM)
    assert "not a member of a provider" in _section(_home(loner), "firing")


# --- Action items, reviews, watched changes ---------------------------------------------------


@pytest.fixture
def postmortem(alice, provider_a, make_runbook):
    return make_runbook(alice, title="Scheduler outage", kind=Kind.POSTMORTEM, provider=provider_a)


def test_my_open_action_items_and_only_mine(alice, dave, postmortem):
    due = timezone.localdate() - timedelta(days=1)
    postmortems.add_action_item(
        postmortem, actor=alice, title="Alert on queue depth", owner="alice", due_date=due
    )
    postmortems.add_action_item(postmortem, actor=alice, title="Item of dave", owner="dave")
    done = postmortems.add_action_item(postmortem, actor=alice, title="Done one", owner="alice")
    postmortems.change_action_item(done, actor=alice, status="done")
    items = _section(_home(alice), "action-items")
    assert "Alert on queue depth" in items and "overdue" in items
    assert "Item of dave" not in items and "Done one" not in items
    assert f'href="{postmortem.get_absolute_url()}#action-items"' in items
    assert "Item of dave" in _section(_home(dave), "action-items")


def test_reviews_waiting_for_me_requests_and_runbooks_due(
    alice, erin, dave, provider_a, make_runbook
):
    due = make_runbook(erin, title="Overdue runbook", provider=provider_a)
    runbook_services.mark_reviewed(due, actor=erin, when=LONG_AGO)
    asked = make_runbook(erin, title="Please look", provider=provider_a, status=Status.DRAFT)
    documents.set_status(asked, Status.IN_REVIEW, actor=erin)
    reviews = _section(_home(alice), "reviews")
    assert "Overdue runbook" in reviews and "overdue" in reviews
    assert "Waiting for your review" in reviews and "Please look" in reviews
    # A reader may not review runbooks; a colleague's request still reaches them.
    for_dave = _section(_home(dave), "reviews")
    assert "Overdue runbook" not in for_dave and "Please look" in for_dave


def test_changes_to_what_i_watch_by_others_and_never_what_i_may_no_longer_see(
    alice, erin, bob, provider_a, make_runbook
):
    public = make_runbook(erin, title="Public runbook", provider=provider_a)
    private = make_runbook(
        erin, title="Private runbook", provider=provider_a, visibility=Visibility.PROVIDER
    )
    unwatched = make_runbook(erin, title="Nobody watches this", provider=provider_a)
    events.watch(alice, document=public)
    events.watch(alice, document=private)
    events.watch(bob, provider=provider_a)  # providers are public; their private runbooks not
    for document in (public, private, unwatched):
        _edit(document, erin)
    _edit(public, alice)  # her own change is not news to her
    watched = _section(_home(alice), "watched")
    assert "Public runbook" in watched and "Private runbook" in watched
    assert "revision 2 by erin" in watched and "by alice" not in watched
    assert "Nobody watches this" not in watched
    for_bob = _section(_home(bob), "watched")
    assert "Public runbook" in for_bob and "Private runbook" not in for_bob
    # A watched draft that becomes invisible to the watcher drops out.
    documents.set_status(public, Status.DRAFT, actor=erin)
    assert "Public runbook" not in _section(_home(bob), "watched")


def _edit(document, actor):
    number = documents.current_number(document)
    documents.add_revision(
        document,
        actor=actor,
        title=document.title,
        body=f"## Step\n\n{actor} {number}\n",
        base_revision=number,
    )


# --- Who sees what ----------------------------------------------------------------------------


def test_bob_sees_nothing_of_provider_a(alice, bob, provider_a, provider_b, postmortem):
    make_alert(provider_a, "ProviderAAlert", n=1)
    make_alert(provider_b, "ProviderBAlert", n=1)
    postmortems.add_action_item(
        postmortem, actor=alice, title="Action of provider A", owner="alice"
    )
    page = _home(bob)
    assert "ProviderBAlert" in page
    assert "ProviderAAlert" not in page and "Action of provider A" not in page
    assert "Scheduler outage" not in page
    assert "Nothing firing" not in _section(page, "firing")
    assert "ProviderAAlert" in _home(alice) and "ProviderBAlert" not in _home(alice)


def test_signed_out_the_home_page_has_no_shift(alice, provider_a, routed_runbook):
    make_alert(provider_a, "CephOSDDown", n=1, runbook=routed_runbook)
    page = _home(None)
    assert "Open Operations" in page and "Recently changed runbooks" in page
    for marker in ('id="firing"', 'id="action-items"', 'id="reviews"', 'id="watched"'):
        assert marker not in page
    assert "CephOSDDown" not in page and "Your shift" not in page


# --- Fast: the same number of queries for 1 and for 20 of everything -------------------------


def _world(k: int, alice, erin, provider_a, make_runbook) -> None:
    """k firing alerts (half with a runbook), k action items of alice's, k runbooks due for
    review, k drafts in review, k watched runbooks changed by erin."""
    postmortem = make_runbook(erin, title="Outage", kind=Kind.POSTMORTEM, provider=provider_a)
    for n in range(k):
        runbook = make_runbook(erin, title=f"Runbook {n}", provider=provider_a)
        runbook_services.mark_reviewed(runbook, actor=erin, when=LONG_AGO)
        events.watch(alice, document=runbook)
        _edit(runbook, erin)
        make_alert(provider_a, f"Alert{n}", n=n, runbook=runbook if n % 2 else None)
        postmortems.add_action_item(postmortem, actor=erin, title=f"Item {n}", owner="alice")
        draft = make_runbook(erin, title=f"Draft {n}", provider=provider_a, status=Status.DRAFT)
        documents.set_status(draft, Status.IN_REVIEW, actor=erin)


HOME_QUERIES = 16


@pytest.mark.parametrize("k", [1, 20])
def test_the_home_page_costs_the_same_queries_for_1_and_for_20_of_everything(
    k, alice, erin, provider_a, make_runbook, django_assert_num_queries
):
    _world(k, alice, erin, provider_a, make_runbook)
    client = client_for(alice)
    with django_assert_num_queries(HOME_QUERIES):
        page = client.get("/").content.decode()
    shown = {name: _section(page, name).count("<li>") for name in ("firing", "action-items")}
    assert shown == {"firing": min(k, 10), "action-items": min(k, 5)}
    assert _section(page, "reviews").count("<li>") == min(k, 10) + min(k, 5)  # asked + due
    assert _section(page, "watched").count("<li>") == min(2 * k, 5)  # revisions 1 and 2
