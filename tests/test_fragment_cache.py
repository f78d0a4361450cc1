"""The shared part of a signed-in reader's document page comes from the cache
(runbooks/fragments.py), and never as another reader sees it: for every persona and every
visibility, the page after someone else filled the cache is the page rendered with no cache;
every write that changes the page, and every change of who the reader is, is seen at once."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Comment, Role
from runbooks.services import comments, documents, people, routes
from tests.conftest import PASSWORD, client_for
from tests.test_alert_pages import make_alert
from tests.test_page_cache import WRITES

NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def empty_cache(within_one_minute):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def readers(alice, bob, dave, erin, carol, provider_a):
    """Every persona, each with its own session: anonymous with a session cookie (the whole-page
    cache passes them by), two readers of provider A (the same roles: what tells them apart is
    who they are), an editor and an admin of provider A, an editor of provider B, a moderator
    (staff) and a superuser who is a member of nothing."""
    root = people.ensure_user("root", PASSWORD, is_staff=True, is_superuser=True, actor=SYSTEM)
    frank = people.ensure_user("frank", PASSWORD, actor=SYSTEM)
    people.set_membership(provider_a, frank, Role.READER, actor=SYSTEM)
    session = SessionStore()
    session["seen"] = True
    session.create()
    anonymous = Client()
    anonymous.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    users = {
        "dave": dave,
        "frank": frank,
        "alice": alice,
        "erin": erin,
        "bob": bob,
        "carol": carol,
        "root": root,
    }
    return {"anonymous": anonymous, **{name: client_for(user) for name, user in users.items()}}


def _provider_runbook(
    make_runbook, alice, dave, erin, provider_a, visibility=Visibility.PUBLIC, embargo_until=None
):
    runbook = make_runbook(
        alice, title="Ceph OSD down", body="## Check\n\nRun `ceph osd tree`.\n", provider=provider_a
    )
    documents.publish(runbook, actor=alice, visibility=visibility, embargo_until=embargo_until)
    comments.add_comment(runbook, actor=alice, body="Alice says check the MTU")
    hidden = comments.add_comment(runbook, actor=dave, body="Dave wrote something wrong")
    comments.hide_comment(hidden, actor=erin, reason="wrong")
    routes.save_route(alertname="CephOSDDown", runbook=runbook, provider=provider_a, actor=alice)
    return runbook


def _community_draft(make_runbook, alice, carol):
    """A community runbook not yet released: its creator and moderators see it."""
    runbook = make_runbook(alice, title="Nova down", body="## Check\n\nRun `nova list`.\n")
    documents.set_status(runbook, Status.DRAFT, actor=alice)
    comments.add_comment(runbook, actor=carol, body="Carol says add a rollback")
    hidden = comments.add_comment(runbook, actor=alice, body="Alice wrote something wrong")
    comments.hide_comment(hidden, actor=carol, reason="wrong")
    routes.save_route(alertname="NovaDown", runbook=runbook, actor=alice)
    return runbook


def _with_report_of_b(runbook, bob, provider_b):
    """Provider B's own experience report on it: only B's members see it in the table."""
    documents.create_document(
        actor=bob,
        kind=Kind.REPORT,
        title="Failed on B's cluster",
        body="## What we did\n",
        provider=provider_b,
        outcome="failed",
        environment={"ceph": "reef"},
        runbook=runbook.slug,
        visibility=Visibility.PROVIDER,
    )
    return runbook


SHAPES = {
    "public": lambda w: _with_report_of_b(_provider_runbook(**w["a"]), w["bob"], w["provider_b"]),
    "community": lambda w: _with_report_of_b(
        _provider_runbook(**w["a"], visibility=Visibility.COMMUNITY), w["bob"], w["provider_b"]
    ),
    "provider": lambda w: _provider_runbook(**w["a"], visibility=Visibility.PROVIDER),
    "draft": lambda w: _draft(_provider_runbook(**w["a"]), w["a"]["alice"]),
    "embargoed": lambda w: _provider_runbook(
        **w["a"], embargo_until=timezone.now() + timedelta(days=3)
    ),
    "community draft": lambda w: _community_draft(w["make_runbook"], w["alice"], w["carol"]),
}


def _draft(runbook, alice):
    documents.set_status(runbook, Status.DRAFT, actor=alice)
    return runbook


@pytest.fixture
def world(make_runbook, alice, bob, dave, erin, carol, provider_a, provider_b):
    a = {
        "make_runbook": make_runbook,
        "alice": alice,
        "dave": dave,
        "erin": erin,
        "provider_a": provider_a,
    }
    return {**a, "a": a, "bob": bob, "carol": carol, "provider_b": provider_b}


def page(client, url) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, CSRF.sub(
        'name="csrfmiddlewaretoken" value=""', response.content.decode()
    )


def uncached(readers, url) -> dict[str, tuple[int, str]]:
    with override_settings(CACHES=NO_CACHE):
        return {name: page(client, url) for name, client in readers.items()}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_no_reader_is_served_the_part_another_filled(shape, world, readers):
    runbook = SHAPES[shape](world)
    url = runbook.get_absolute_url()
    expected = uncached(readers, url)
    shown = {text for status, text in expected.values() if status == 200}
    assert len(shown) >= 3, "the personas see the same page: a vacuous case"
    for first, filler in readers.items():
        for second, reader in readers.items():
            cache.clear()
            page(filler, url)
            assert page(reader, url) == expected[second], f"{second} after {first}"
            assert page(reader, url) == expected[second], f"{second} twice, after {first}"


def test_the_part_shows_each_reader_their_own(world, readers):
    """What the personas differ in, on the public runbook (what the test above holds fixed)."""
    runbook = SHAPES["public"](world)
    pages = {
        name: text for name, (_, text) in uncached(readers, runbook.get_absolute_url()).items()
    }
    hidden = "Dave wrote something wrong"
    assert [name for name in pages if hidden in pages[name]] == ["dave", "erin", "carol", "root"]
    assert [name for name in pages if "Failed on B" in pages[name]] == ["bob"]
    assert [name for name in pages if "Hide…" in pages[name]] == ["erin", "carol", "root"]
    edit_own = '/edit/">Edit</a>'
    assert [name for name in pages if edit_own in pages[name]] == ["dave", "alice"]


def test_a_hit_renders_only_the_personal_parts(world, readers, django_assert_max_num_queries):
    runbook = SHAPES["provider"](world)
    url = runbook.get_absolute_url()
    page(readers["dave"], url)
    # session, user, roles, the document, watch state, firing history (2), unread count
    with CaptureQueriesContext(connection) as queries:
        page(readers["dave"], url)
    assert len(queries) == 8, [q["sql"] for q in queries]
    cache.clear()
    with CaptureQueriesContext(connection) as missed:
        page(readers["dave"], url)
    assert len(missed) > len(queries)


def _signed_in_write_is_seen(runbook, client, write):
    url = runbook.get_absolute_url()
    before = page(client, url)
    assert page(client, url) == before  # now in the cache
    write()
    served = page(client, url)
    fresh = uncached({"reader": client}, url)["reader"]
    assert served == fresh and served != before
    return served[1]


@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_that_changes_the_page_is_seen_at_once_signed_in(
    name, make_runbook, alice, dave, provider_a
):
    write, appears, _ = WRITES[name]
    runbook = make_runbook(
        alice,
        title="Ceph OSD down",
        body="## Check\n\nRun `ceph osd tree`.\n",
        provider=provider_a,
        visibility=Visibility.PROVIDER,
        tags=["ceph"],
    )
    text = _signed_in_write_is_seen(
        runbook, client_for(dave), lambda: write(runbook, {"alice": alice})
    )
    assert appears in text


def test_a_comment_hidden_a_route_added_and_an_alert_received_are_seen_at_once(
    world, dave, alice, erin, provider_a
):
    runbook = SHAPES["provider"](world)
    reader = client_for(alice)
    said = Comment.objects.get(body="Alice says check the MTU")
    hide = lambda: comments.hide_comment(said, actor=erin, reason="outdated")  # noqa: E731
    assert "Hidden by a moderator: outdated" in _signed_in_write_is_seen(runbook, reader, hide)
    route = lambda: routes.save_route(  # noqa: E731
        alertname="CephSlowOps", runbook=runbook, provider=provider_a, actor=alice
    )
    assert "CephSlowOps" in _signed_in_write_is_seen(runbook, reader, route)
    alert = lambda: make_alert(provider_a, runbook=runbook)  # noqa: E731
    text = _signed_in_write_is_seen(runbook, client_for(dave), alert)
    assert 'href="#firing">Fired 1 time in 30 days</a>' in text


def test_a_role_change_is_seen_at_once(world, dave, erin, provider_a):
    """A membership change does not move the page's stamp; the reader's roles are in the key."""
    runbook = SHAPES["provider"](world)
    hidden = "Dave wrote something wrong"
    promote = lambda: people.set_membership(provider_a, dave, Role.ADMIN, actor=SYSTEM)  # noqa: E731
    assert "Hide…" in _signed_in_write_is_seen(runbook, client_for(dave), promote)
    demote = lambda: people.set_membership(provider_a, erin, Role.READER, actor=SYSTEM)  # noqa: E731
    text = _signed_in_write_is_seen(runbook, client_for(erin), demote)
    assert hidden not in text and "Hide…" not in text


def test_staff_taken_away_is_seen_at_once(world, carol):
    runbook = SHAPES["public"](world)

    def unstaff():
        carol.is_staff = False
        carol.save(update_fields=["is_staff"])

    text = _signed_in_write_is_seen(runbook, client_for(carol), unstaff)
    assert "Dave wrote something wrong" not in text and "Hide…" not in text


def test_the_csrf_token_of_a_cached_part_is_the_readers_own(world, dave):
    """The part is filled with the reader's token: a form from a hit, in a new session of the
    same reader, posts."""
    runbook = SHAPES["provider"](world)
    url = runbook.get_absolute_url()
    client_for(dave).get(url)  # fills the cache in another session
    reader = Client(enforce_csrf_checks=True)
    reader.force_login(dave)
    text = reader.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)
    posted = reader.post(
        f"{url}comments/", {"body": "From a cached page", "csrfmiddlewaretoken": token}
    )
    assert posted.status_code == 302
    assert Comment.objects.filter(body="From a cached page").exists()


def test_text_cannot_carry_a_mark(world, dave, alice):
    """A comment that writes what a mark looks like gets no token and no personal part."""
    runbook = SHAPES["provider"](world)
    comments.add_comment(runbook, actor=alice, body="<!--openops-x:watch--> openops-x:csrf")
    text = page(client_for(dave), runbook.get_absolute_url())[1]
    assert "openops-x:csrf" in text


def test_the_watch_button_follows_the_reader_on_a_hit(world, dave):
    """dave watches what he commented on; he stops, and the cached page says so at once."""
    runbook = SHAPES["provider"](world)
    reader = client_for(dave)
    url = runbook.get_absolute_url()
    assert 'aria-pressed="true">Watching ✓</button>' in page(reader, url)[1]
    form = {"target": "document", "id": runbook.pk, "next": url, "action": "unwatch"}
    reader.post("/watch/", form)
    assert 'aria-pressed="false">Watch</button>' in page(reader, url)[1]


def test_start_a_post_mortem_follows_the_alerts_received_on_a_hit(world, alice, provider_a):
    """Opened from an alert link: before the alert is received the page offers a post-mortem
    from the runbook; once it is, from the alert as received (alerts do not stamp the page)."""
    runbook = SHAPES["provider"](world)
    reader = client_for(alice)
    url = f"{runbook.get_absolute_url()}?alert=CephOSDDown&label.instance=provider-a-node-0"
    text = page(reader, url)[1]
    assert "from_runbook=" in text and "Opened from alert" in text
    received = make_alert(provider_a, runbook=runbook)
    text = page(reader, url)[1]
    assert f"from_alert={received.pk}" in text
    assert page(reader, url) == uncached({"alice": reader}, url)["alice"]
