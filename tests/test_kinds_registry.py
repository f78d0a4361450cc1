"""The kinds registries hold data; the faces register from above (issue 30): every table of
pages, API actions and relation savers names only registered kinds and covers what each kind
needs, a kind without an entry gets the shared behaviour, and every kind of event says who is
told and where its link goes."""

from contextlib import nullcontext
from dataclasses import replace

from runbooks.api.documents import EXTRA_ACTIONS, VIEWSETS, viewset_for
from runbooks.choices import Kind
from runbooks.kinds.events import EVENT_KINDS, diff_url, link, place
from runbooks.kinds.registry import KINDS
from runbooks.kinds.report import REPORT
from runbooks.models import ChatTarget, Event, Notification
from runbooks.services import comments, documents
from runbooks.services import kinds as service_kinds
from runbooks.services.notifications import AUDIENCES
from runbooks.services.runbooks import mark_reviewed
from runbooks.urls import document_urls, urlpatterns
from runbooks.views import kinds as page_kinds
from tests.conftest import client_for

REGISTERED = {spec.kind for spec in KINDS}
# A kind no face has heard of: the report's data under another name, no links to save.
NOTE = replace(REPORT, kind="note", label="Note", url_prefix="notes", relations=())


# --- Document kinds ---------------------------------------------------------------------------


def test_every_relation_of_every_kind_has_the_service_that_saves_it():
    for spec in KINDS:
        savers = service_kinds.RELATION_SAVERS.get(spec.kind, {})
        assert set(savers) == set(spec.relation_names), spec.kind
        assert all(callable(save) for save in savers.values())


def test_the_faces_tables_name_registered_kinds_only():
    for table in (
        page_kinds.PAGES,
        EXTRA_ACTIONS,
        service_kinds.RELATION_SAVERS,
        service_kinds.AUDIENCE_CHANGES,
    ):
        assert set(table) <= REGISTERED


def test_every_extra_page_of_a_kind_is_served_under_its_name():
    patterns = {p.name: p.callback for p in urlpatterns}
    for spec in KINDS:
        for action in page_kinds.pages_of(spec.kind).actions:
            assert patterns[f"{spec.kind}-{action.name}"] is action.view


def test_every_kind_has_an_api_viewset_with_its_own_actions():
    assert set(VIEWSETS) == REGISTERED
    for kind, viewset in VIEWSETS.items():
        for mixin in EXTRA_ACTIONS.get(kind, ()):
            assert issubclass(viewset, mixin)
    assert hasattr(VIEWSETS[Kind.RUNBOOK], "review")
    assert not hasattr(VIEWSETS[Kind.REPORT], "review")


def test_a_kind_without_entries_gets_the_shared_pages_actions_and_writes(alice, make_runbook):
    assert page_kinds.pages_of(NOTE.kind) is page_kinds.DEFAULT
    assert page_kinds.DEFAULT.create is documents.create_document
    assert page_kinds.DEFAULT.start_from is None
    shared = {p.name for p in document_urls(REPORT)}
    assert {p.name.replace("note-", "report-") for p in document_urls(NOTE)} == shared
    viewset = viewset_for(NOTE)
    assert viewset.kind == "note" and viewset.__mro__[1].__name__ == "DocumentViewSet"
    runbook = make_runbook(alice)
    runbook.kind = NOTE.kind  # in memory only: which context manager its writes get
    assert isinstance(documents._audience_change(runbook), nullcontext)


def test_the_new_document_form_carries_where_it_started_only_for_kinds_that_start_so(alice):
    started = client_for(alice).get("/postmortems/new/").content.decode()
    plain = client_for(alice).get("/reports/new/").content.decode()
    assert 'name="from_alert"' in started and 'name="from_alert"' not in plain


# --- Event kinds ------------------------------------------------------------------------------


def test_every_kind_of_event_is_registered_and_every_reason_has_its_rule():
    assert set(EVENT_KINDS) == set(Event.Kind.values)
    told = {reason for spec in EVENT_KINDS.values() for reason in spec.told}
    assert told <= set(AUDIENCES) == set(Notification.Reason.values)
    assert {value for value, _ in ChatTarget.EVENT_CHOICES} <= set(EVENT_KINDS)


def test_each_event_links_to_what_it_is_about_and_the_link_opens(alice, make_runbook):
    runbook = make_runbook(alice, title="Ceph OSD down")
    documents.edit_document(runbook, actor=alice, base_revision=1, body="## Meaning\n\nNew.\n")
    comment = comments.add_comment(runbook, actor=alice, body="Step 2 is wrong.")
    mark_reviewed(runbook, actor=alice)
    events = Event.objects.filter(document=runbook).order_by("pk")
    by_kind = {event.kind: event for event in events}  # the revision: the second
    first = events.get(revision__number=1)
    page = f"/runbooks/{runbook.slug}/"
    assert link(by_kind[Event.Kind.REVISION]) == f"{page}diff/?from=1&to=2"
    assert link(first) == place(first) == page and diff_url(first) == ""
    assert link(by_kind[Event.Kind.COMMENT]) == f"{page}#comment-{comment.pk}"
    assert link(by_kind[Event.Kind.REVIEWED]) == page
    client = client_for(alice)
    for event in (*by_kind.values(), first):
        assert client.get(link(event).partition("#")[0]).status_code == 200, event.kind
