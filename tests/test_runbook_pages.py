"""The runbook pages through real HTTP (Django's test client), persona by persona."""

import pytest
from django.contrib.auth import get_user_model

from runbooks.choices import Visibility
from runbooks.models import Document, Revision, Runbook
from runbooks.services import documents
from runbooks.services import runbooks as runbook_services
from tests.conftest import client_for

BODY = "Intro.\n\n## Diagnosis\n\n```bash\nceph osd tree\n```\n\n## Mitigation\n\nRestart it.\n"


@pytest.fixture
def runbook(alice, provider_a, make_runbook):
    return make_runbook(alice, title="OSD down", body=BODY, provider=provider_a, tags=["ceph"])


def _edit(client, runbook, **changes):
    data = {
        "title": runbook.title,
        "body": "changed",
        "tags": "ceph",
        "component": "ceph",
        "review_interval_days": 180,
        "base_revision": runbook.current_revision.number,
        "message": "",
        **changes,
    }
    return client.post(f"/runbooks/{runbook.slug}/edit/", data)


def test_the_read_page_shows_what_an_operator_needs(runbook, alice):
    page = client_for(None).get(f"/runbooks/{runbook.slug}/").content.decode()
    assert "<h1>OSD down</h1>" in page
    assert "Provider A" in page and "#ceph" in page
    assert "Reviewed today" in page
    assert "Revision 1, changed by alice" in page
    assert 'href="#diagnosis"' in page and 'href="#mitigation"' in page  # table of contents
    assert '<code class="language-bash">ceph osd tree' in page
    assert "data-copy-code" in page
    assert "<script>" not in page.split("</head>")[1]  # no inline JavaScript


def test_a_stale_runbook_says_so(runbook, alice):
    from datetime import timedelta

    from django.utils import timezone

    runbook_services.mark_reviewed(runbook, actor=alice, when=timezone.now() - timedelta(days=200))
    page = client_for(None).get(f"/runbooks/{runbook.slug}/").content.decode()
    assert "Review overdue: last reviewed 200 days ago, " in page


def test_an_editor_creates_a_runbook_from_the_form(alice, provider_a):
    client = client_for(alice)
    form = client.get("/runbooks/new/?title=KubePodCrashLooping")
    assert 'value="KubePodCrashLooping"' in form.content.decode()
    response = client.post(
        "/runbooks/new/",
        {
            "title": "Nova compute down",
            "provider": provider_a.pk,
            "visibility": Visibility.PUBLIC,
            "slug": "",
            "component": "nova",
            "tags": "openstack, compute",
            "review_interval_days": 90,
            "body": "## Meaning\n\nA compute service stopped.",
        },
    )
    document = Runbook.objects.get(slug="nova-compute-down")
    assert response.status_code == 302 and response["Location"] == "/runbooks/nova-compute-down/"
    assert document.provider == provider_a and document.component == "nova"
    assert document.review_interval_days == 90 and document.tags.count() == 2
    assert document.current_revision.author == alice


def test_nobody_creates_in_a_provider_they_do_not_edit(bob, provider_a):
    response = client_for(bob).post(
        "/runbooks/new/",
        {
            "title": "x",
            "provider": provider_a.pk,
            "visibility": "public",
            "body": "x",
            "review_interval_days": 180,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Document.objects.exists()


def test_a_reader_may_not_write(dave, runbook):
    client = client_for(dave)
    assert client.get("/runbooks/new/").status_code == 403
    assert client.get(f"/runbooks/{runbook.slug}/edit/").status_code == 403
    assert _edit(client, runbook).status_code == 403
    assert runbook.revisions.count() == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(runbook):
    response = _edit(client_for(None), runbook)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_save_adds_a_revision_and_preview_does_not(alice, runbook):
    client = client_for(alice)
    preview = _edit(client, runbook, body="## Preview me", preview="1")
    assert preview.status_code == 200
    assert '<h2 id="preview-me">' in preview.content.decode()
    assert runbook.revisions.count() == 1
    saved = _edit(client, runbook, body="## Saved", message="Fix step")
    assert saved.status_code == 302
    latest = runbook.revisions.get(number=2)
    assert (latest.body, latest.message, latest.parent) == ("## Saved", "Fix step", 1)


def test_a_stale_edit_shows_the_conflict_and_keeps_the_users_text(alice, bob, runbook, carol):
    documents.add_revision(
        runbook, title="OSD down", body="their fix", actor=alice, base_revision=1
    )
    response = _edit(client_for(alice), runbook, body="my careful words", base_revision=1)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Someone changed this meanwhile" in page
    assert "my careful words" in page  # kept in the form
    assert 'class="d-add">+their fix' in page  # their change, as a diff
    assert 'name="base_revision" value="2"' in page
    assert runbook.revisions.count() == 2


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"title": ""}, "This field is required"),
        ({"body": "x" * (256 * 1024 + 1)}, "the limit is 256 KB"),
        ({"tags": "ok, !!!"}, "needs at least one letter or digit"),
        ({"base_revision": "abc"}, "Enter a whole number"),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(alice, runbook, changes, message):
    response = _edit(client_for(alice), runbook, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert runbook.revisions.count() == 1


def test_history_revision_and_diff_pages(alice, runbook):
    documents.add_revision(
        runbook, title="OSD down", body=BODY + "\nNew line.\n", actor=alice, base_revision=1
    )
    client = client_for(alice)
    history = client.get(f"/runbooks/{runbook.slug}/history/").content.decode()
    assert 'href="../revisions/1/"' in history and 'href="../revisions/2/"' in history
    old = client.get(f"/runbooks/{runbook.slug}/revisions/1/").content.decode()
    assert "This is an old revision" in old and "Restore this revision" in old
    diff = client.get(f"/runbooks/{runbook.slug}/diff/?from=1&to=2").content.decode()
    assert 'class="d-add">+New line.' in diff


@pytest.mark.parametrize(
    "url,status",
    [
        ("revisions/9/", 404),
        ("diff/?from=2&to=1", 400),
        ("diff/?from=abc&to=1", 400),
        ("diff/?from=-1&to=1", 400),
        ("diff/?from=1&to=99", 404),
    ],
)
def test_odd_revision_numbers_get_a_clear_answer(alice, runbook, url, status):
    documents.add_revision(runbook, title="OSD down", body="2", actor=alice, base_revision=1)
    assert client_for(alice).get(f"/runbooks/{runbook.slug}/{url}").status_code == status


def test_restore_from_the_page(alice, runbook):
    documents.add_revision(runbook, title="OSD down", body="bad edit", actor=alice, base_revision=1)
    client = client_for(alice)
    response = client.post(f"/runbooks/{runbook.slug}/revisions/1/restore/", {"base_revision": 2})
    assert response.status_code == 302
    assert runbook.revisions.get(number=3).body == BODY
    stale = client.post(f"/runbooks/{runbook.slug}/revisions/1/restore/", {"base_revision": 2})
    assert stale.status_code == 302 and runbook.revisions.count() == 3


def test_mark_reviewed(alice, dave, runbook):
    from datetime import timedelta

    from django.utils import timezone

    runbook_services.mark_reviewed(runbook, actor=alice, when=timezone.now() - timedelta(days=365))
    assert client_for(dave).post(f"/runbooks/{runbook.slug}/review/").status_code == 403
    assert client_for(alice).post(f"/runbooks/{runbook.slug}/review/").status_code == 302
    runbook.refresh_from_db()
    assert not runbook.stale


def test_list_filters(alice, bob, provider_a, provider_b, make_runbook):
    make_runbook(alice, title="Alpha", provider=provider_a, component="ceph", tags=["storage"])
    make_runbook(bob, title="Beta", provider=provider_b, component="nova")
    make_runbook(alice, title="Gamma", component="Ceph")
    client = client_for(None)

    def titles(query):
        page = client.get(f"/runbooks/?{query}").content.decode()
        return {t for t in ("Alpha", "Beta", "Gamma") if f">{t}</a>" in page}

    assert titles("") == {"Alpha", "Beta", "Gamma"}
    assert titles("provider=provider-b") == {"Beta"}
    assert titles("provider=community") == {"Gamma"}
    assert titles("component=ceph") == {"Alpha", "Gamma"}
    assert titles("tag=storage") == {"Alpha"}
    assert titles("stale=true") == set()
    assert titles("page=abc") == {"Alpha", "Beta", "Gamma"}


def _read_page_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _bulk_alerts(runbook, provider, count):
    from datetime import timedelta

    from django.utils import timezone

    from runbooks.models import Alert

    now = timezone.now()
    Alert.objects.bulk_create(
        Alert(
            provider=provider,
            source="alertmanager",
            fingerprint=f"bulk{i}",
            alertname="Bulk",
            status="resolved",
            starts_at=now - timedelta(hours=i),
            last_seen=now,
            runbook=runbook,
        )
        for i in range(count)
    )


def test_the_read_page_costs_the_same_with_more_runbooks_and_revisions(
    alice, provider_a, make_runbook, within_one_minute
):
    client = client_for(alice)
    target = make_runbook(alice, title="Target", provider=provider_a, tags=["a", "b"])
    few = _read_page_queries(client, f"/runbooks/{target.slug}/")

    author = get_user_model().objects.get(username="alice")
    for n in range(2, 51):
        documents.add_revision(
            target, title="Target", body=f"r{n}", actor=author, base_revision=n - 1
        )
    others = [
        Document(kind="runbook", slug=f"bulk-{i}", title=f"Bulk {i}", creator=author)
        for i in range(500)
    ]
    Document.objects.bulk_create(others)
    Revision.objects.bulk_create(
        [Revision(document=d, number=1, title=d.title, body="x", html="<p>x</p>") for d in others]
    )
    _bulk_alerts(target, provider_a, 300)
    many = _read_page_queries(client, f"/runbooks/{target.slug}/")
    # session, user, memberships, the cache's visibility stamp, then (a miss of the shared part)
    # document (+ revision), tags, alert routes, route-form scopes, experience reports,
    # comments; and for every request the firing history (alerts per day, and last fired +
    # number of providers), the watch button, the header's unread notifications
    assert few == many == 14
    # a hit: session, user, memberships, stamp, firing history (2), watch button, unread count
    assert _read_page_queries(client, f"/runbooks/{target.slug}/") == 8
    within_one_minute()
    anonymous = _read_page_queries(client_for(None), f"/runbooks/{target.slug}/")
    # the cache's visibility stamp (asked before the session middleware, runbooks/fastpath.py,
    # and again by the view on a miss), then (a miss) document (+ revision, provider, author),
    # tags, alert routes, experience reports, comments; no firing history signed out
    assert anonymous == 7
    assert _read_page_queries(client_for(None), f"/runbooks/{target.slug}/") == 1  # a hit


def test_an_editor_creates_a_community_runbook_from_the_form(bob):
    response = client_for(bob).post(
        "/runbooks/new/",
        {
            "title": "DNS resolution failing",
            "provider": "community",
            "visibility": "public",
            "review_interval_days": 180,
            "body": "## Meaning",
        },
    )
    assert response.status_code == 302
    assert Document.objects.get(slug="dns-resolution-failing").provider is None


def test_search_finds_what_the_visitor_may_see_only(alice, bob, provider_a, make_runbook):
    make_runbook(alice, title="OSD flapping", body="Run `ceph osd tree` first.")
    make_runbook(
        alice,
        title="Private OSD notes",
        provider=provider_a,
        visibility=Visibility.PROVIDER,
        body="ceph osd tree as well",
    )
    found = client_for(bob).get("/search/?q=ceph+osd+tree").content.decode()
    assert "OSD flapping" in found and "Private OSD notes" not in found
    assert "Private OSD notes" in client_for(alice).get("/search/?q=ceph osd").content.decode()
    nothing = client_for(None).get("/search/?q=%3Cscript%3E").content.decode()
    assert "Nothing you may see matches “&lt;script&gt;”" in nothing
    assert client_for(None).get("/search/").status_code == 200
