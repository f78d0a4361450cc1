"""One page-cache rule (runbooks/pagecache.py): a service that changes what a page shows says
so with `pagecache.touch`, and the stamps are written once, at the end of its transaction.
One edit of a runbook writes `page_changed_at` once, in a stated number of queries."""

import weakref

import pytest
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.test.utils import CaptureQueriesContext

from runbooks import pagecache
from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import Document, Scope
from runbooks.services import documents, postmortems, tokens
from runbooks.services.base import EditConflict
from tests.api import ApiClient
from tests.conftest import client_for

# The whole request, from the session to the redirect (page) or the answer (API), on SQLite;
# PostgreSQL refreshes the search entry's vector with one statement more.
EDIT_PAGE_QUERIES = 27
EDIT_API_QUERIES = 33


def on_this_database(queries: int) -> int:
    return queries + (connection.vendor == "postgresql")


def stamps(captured) -> list[str]:
    """The statements that wrote a page stamp."""
    return [
        q["sql"]
        for q in captured
        if q["sql"].startswith("UPDATE") and '"page_changed_at"' in q["sql"]
    ]


@pytest.fixture
def runbook(alice, make_runbook, provider_a):
    return make_runbook(
        alice, title="Ceph OSD down", provider=provider_a, visibility="public", tags=["ceph"]
    )


def _stamp_of(document) -> object:
    return Document.objects.values_list("page_changed_at", flat=True).get(pk=document.pk)


def test_an_edit_through_the_page_stamps_the_page_once(alice, runbook):
    client = client_for(alice)
    url = f"{runbook.get_absolute_url()}edit/"
    client.get(url)  # the session and the roles, as a reader who opened the form has them
    before = _stamp_of(runbook)
    form = {
        "title": "Ceph OSD down (new)",
        "body": "Run `ceph osd tree`.",
        "message": "clearer",
        "tags": "ceph",
        "base_revision": 1,
        "visibility": "public",
        "review_interval_days": 180,
    }
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:500]
    assert len(stamps(captured)) == 1, stamps(captured)
    assert len(captured) == on_this_database(EDIT_PAGE_QUERIES)
    assert _stamp_of(runbook) > before


def test_an_edit_through_the_api_stamps_the_page_once(alice, runbook):
    _, secret = tokens.issue_token(
        actor=SYSTEM, name="t", scopes=[Scope.READ, Scope.WRITE], user=alice
    )
    api = ApiClient(token=secret)
    url = f"/api/v1/runbooks/{runbook.slug}/"
    api.get(url)  # the token's first use writes its last use once
    before = _stamp_of(runbook)
    with CaptureQueriesContext(connection) as captured:
        response = api.patch(url, {"title": "API title", "body": "API body", "base_revision": 1})
    assert response.status_code == 200, response.content[:300]
    assert len(stamps(captured)) == 1, stamps(captured)
    assert len(captured) == on_this_database(EDIT_API_QUERIES)
    assert _stamp_of(runbook) > before


def test_an_edit_that_reaches_other_pages_still_stamps_once(alice, runbook, provider_a):
    """A post-mortem edit that changes its text, its tags, its runbooks used and its linked
    alerts, and the runbook it names: every page it changes, in one statement."""
    postmortem = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Outage", body="x", provider=provider_a
    )
    before = {pk: _stamp_of(d) for pk, d in ((runbook.pk, runbook), (postmortem.pk, postmortem))}
    with CaptureQueriesContext(connection) as captured:
        documents.edit_document(
            postmortem,
            actor=alice,
            base_revision=1,
            title="Outage of the scheduler",
            body="y",
            tags=["ceph"],
            runbooks_used=[{"runbook": runbook.slug, "verdict": "helped"}],
            alerts=[],
        )
    assert len(stamps(captured)) == 1, stamps(captured)
    assert _stamp_of(runbook) > before[runbook.pk]
    assert _stamp_of(postmortem) > before[postmortem.pk]


def test_a_title_change_stamps_the_pages_that_name_the_document(alice, runbook, provider_a):
    postmortem = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Outage", body="x", provider=provider_a
    )
    postmortems.set_runbooks_used(
        postmortem, [{"runbook": runbook.slug, "verdict": ""}], actor=alice
    )
    before = _stamp_of(postmortem)
    with CaptureQueriesContext(connection) as captured:
        documents.edit_document(runbook, actor=alice, base_revision=1, title="New title")
    assert len(stamps(captured)) == 1
    assert _stamp_of(postmortem) > before


def test_a_refused_edit_stamps_nothing(alice, runbook):
    before = _stamp_of(runbook)
    with pytest.raises(EditConflict):
        documents.edit_document(runbook, actor=alice, base_revision=7, title="Lost")
    assert _stamp_of(runbook) == before


def test_outside_a_service_a_touch_is_written_at_once(runbook):
    before = _stamp_of(runbook)
    pagecache.touch([runbook.pk])
    assert _stamp_of(runbook) > before


def test_nested_collections_are_written_once_by_the_outermost(runbook, make_runbook, alice):
    other = make_runbook(alice, title="Other", visibility=Visibility.PUBLIC)
    with CaptureQueriesContext(connection) as captured, pagecache.stamping_once():
        pagecache.touch([runbook.pk])
        with pagecache.stamping_once():
            pagecache.touch([other.pk])
        assert stamps(captured) == []
    assert len(stamps(captured)) == 1


def test_no_signal_keeps_pages_fresh():
    """Freshness is the services' (one mechanism): no receiver of pagecache's is connected."""
    for signal in (post_save, post_delete, pre_delete, m2m_changed):
        receivers = [entry[1] for entry in signal.receivers]
        live = [r() if isinstance(r, weakref.ReferenceType) else r for r in receivers]
        modules = {getattr(receiver, "__module__", "") for receiver in live}
        assert "runbooks.pagecache" not in modules, signal
