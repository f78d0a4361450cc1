"""Rules of the document life cycle pinned as tables (DESIGN §3, §6; issue 38): which edits make
a revision, which verdicts put a runbook up for review, what the publish page checks for
sensitive text, and that the anonymous page of a post-mortem follows its linked alerts."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import Alert, Document, Revision, Runbook, Scope
from runbooks.services import documents, postmortems, tokens
from tests.api import ApiClient
from tests.conftest import client_for

TITLE, BODY = "Ceph OSD down", "## Meaning\n\nAn OSD stopped.\n"


def api(user) -> ApiClient:
    secret = tokens.issue_token(actor=SYSTEM, name="t", scopes=[Scope.READ, Scope.WRITE], user=user)
    return ApiClient(token=secret[1])


# --- Which edits make a revision -------------------------------------------------------------

# (title sent, body sent) -> a new revision? None leaves the field out. Titles are compared
# after their spaces are folded, bodies after their line endings are made LF.
EDITS = [
    ("OSD down on a storage node", None, True),  # the title alone
    (None, "## Meaning\n\nTwo OSDs stopped.\n", True),  # the body alone
    ("OSD down", "## Meaning\n\nTwo OSDs stopped.\n", True),  # both
    ("ceph osd down", None, True),  # case is a change
    (TITLE, BODY, False),  # the same text
    (None, None, False),  # nothing sent
    ("  Ceph   OSD down ", None, False),  # the same title once its spaces are folded
    (None, BODY.replace("\n", "\r\n"), False),  # the same body with CRLF
]


def _expected(title, body):
    return (" ".join(title.split()) if title is not None else TITLE), (
        body.replace("\r\n", "\n") if body is not None else BODY
    )


@pytest.mark.parametrize(("title", "body", "new"), EDITS)
def test_an_edit_makes_a_revision_exactly_when_the_title_or_body_changes(
    alice, make_runbook, title, body, new
):
    runbook = make_runbook(alice, title=TITLE, body=BODY)
    revision = documents.edit_document(
        runbook, actor=alice, base_revision=1, title=title, body=body
    )
    want_title, want_body = _expected(title, body)
    assert (revision is not None) is new
    stored = Document.objects.select_related("current_revision").get(pk=runbook.pk)
    assert stored.current_revision.number == (2 if new else 1)
    assert (stored.title, stored.current_revision.title) == (want_title, want_title)
    assert stored.current_revision.body == want_body
    assert Revision.objects.filter(document=runbook).count() == (2 if new else 1)


@pytest.mark.parametrize(("title", "body", "new"), EDITS)
def test_the_api_keeps_a_title_only_edit_in_a_new_revision(alice, make_runbook, title, body, new):
    runbook = make_runbook(alice, title=TITLE, body=BODY)
    sent = {"base_revision": 1}
    sent |= {"title": title} if title is not None else {}
    sent |= {"body": body} if body is not None else {}
    response = api(alice).patch(f"/api/v1/runbooks/{runbook.slug}/", sent)
    assert response.status_code == 200, response.content[:300]
    want_title, _ = _expected(title, body)
    read = api(alice).get(f"/api/v1/runbooks/{runbook.slug}/").json()
    assert read["title"] == want_title
    history = api(alice).get(f"/api/v1/runbooks/{runbook.slug}/revisions/").json()
    numbers = [r["number"] for r in history.get("results", history)]
    assert sorted(numbers) == ([1, 2] if new else [1])


def test_a_title_only_edit_in_the_page_is_kept_and_shown(alice, make_runbook):
    runbook = make_runbook(alice, title=TITLE, body=BODY)
    client = client_for(alice)
    response = client.post(
        f"{runbook.get_absolute_url()}edit/",
        {
            "title": "OSD down on a storage node",
            "body": BODY,
            "tags": "",
            "component": "",
            "review_interval_days": runbook.review_interval_days,
            "message": "",
            "base_revision": 1,
        },
    )
    assert response.status_code == 302, response.content[:300]
    page = client.get(runbook.get_absolute_url()).content.decode()
    assert "OSD down on a storage node" in page
    assert Revision.objects.filter(document=runbook).count() == 2


# --- Which verdicts put a runbook up for review ------------------------------------------------

VERDICTS = [
    ("outdated", "current", True),
    ("wrong", "current", True),
    ("helped", "current", False),
    ("", "current", False),
    ("outdated", "old", False),  # judged a revision that has since been replaced
    ("wrong", "old", False),
    ("helped", "old", False),
    ("", "old", False),
]


@pytest.fixture
def two_revisions(alice, make_runbook):
    """A community runbook with revisions 1 and 2, reviewed now (due in months)."""
    runbook = make_runbook(alice, title="Nova compute down", body="one")
    documents.add_revision(runbook, actor=alice, title=runbook.title, body="two", base_revision=1)
    return Runbook.objects.get(pk=runbook.pk)


@pytest.mark.parametrize(("verdict", "pinned", "due"), VERDICTS)
def test_a_bad_verdict_puts_the_runbook_up_for_review_only_on_its_current_revision(
    alice, two_revisions, verdict, pinned, due
):
    runbook = two_revisions
    before = runbook.review_due_at
    assert before is not None and before > timezone.now() + timedelta(days=14)
    postmortem = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Outage", body="## Summary\n"
    )
    # Verdicts on a community runbook count once everyone signed in may read them (issue 29).
    documents.publish(postmortem, actor=alice, visibility=Visibility.COMMUNITY)
    number = 2 if pinned == "current" else 1
    use = {"runbook": runbook.slug, "revision": number, "verdict": verdict}
    postmortems.set_runbooks_used(postmortem, [use], actor=alice)
    runbook.refresh_from_db()
    assert runbook.stale is due
    assert runbook.review_due_at == before or due
    in_queue = runbook.title in client_for(alice).get("/review/").content.decode()
    assert in_queue is due


# --- The publish page checks the title as well as the body ------------------------------------

SENSITIVE = [
    ("ip", "10.20.30.40"),
    ("email", "ops@a.example"),
    ("hostname", "edge1.a.example"),
    ("secret", "AKIAEXAMPLE7KEY0NW01"),
]


@pytest.mark.parametrize(("kind", "text"), SENSITIVE)
@pytest.mark.parametrize("where", ["title", "body"])
def test_the_publish_page_marks_what_looks_sensitive_in_the_title_and_the_body(
    alice, provider_a, kind, text, where
):
    clean_title, clean_body = "Edge router reload", "## Summary\n\nWe reloaded the router.\n"
    postmortem = documents.create_document(
        actor=alice,
        kind=Kind.POSTMORTEM,
        title=f"{clean_title} at {text}" if where == "title" else clean_title,
        body=f"{clean_body}\nIt was {text}.\n" if where == "body" else clean_body,
        provider=provider_a,
    )
    page = client_for(alice).get(f"{postmortem.get_absolute_url()}publish/").content.decode()
    assert f'class="sensitive sensitive-{kind}"' in page
    assert "1 thing in the text looks sensitive" in page


def test_the_publish_page_of_a_clean_text_marks_nothing(alice, provider_a):
    postmortem = documents.create_document(
        actor=alice,
        kind=Kind.POSTMORTEM,
        title="Edge router reload",
        body="## Summary\n\nWe reloaded the router.\n",
        provider=provider_a,
    )
    page = client_for(alice).get(f"{postmortem.get_absolute_url()}publish/").content.decode()
    assert 'class="sensitive ' not in page and "Nothing in the text looks like" in page


# --- The cached anonymous page follows linked alerts ------------------------------------------


@pytest.fixture
def public_postmortem(alice, provider_a, within_one_minute):
    cache.clear()
    postmortem = documents.create_document(
        actor=alice,
        kind=Kind.POSTMORTEM,
        title="Scheduler stuck",
        body="## Summary\n",
        provider=provider_a,
    )
    documents.publish(postmortem, actor=alice, visibility=Visibility.PUBLIC)
    received = [
        Alert.objects.create(
            provider=provider_a,
            source="alertmanager",
            fingerprint=f"f{n}",
            alertname="SchedulerQueueStuck",
            status="firing",
            starts_at=timezone.now() - timedelta(hours=n),
            last_seen=timezone.now(),
        )
        for n in (1, 2, 3)
    ]
    yield postmortem, received
    cache.clear()


def _anonymous_page(postmortem) -> str:
    response = Client().get(postmortem.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


LINKED = "received by Provider A, shown to its members"


def test_linking_and_unlinking_alerts_is_seen_at_once_on_the_cached_page(alice, public_postmortem):
    postmortem, received = public_postmortem
    ids = [alert.pk for alert in received]
    assert LINKED not in _anonymous_page(postmortem)
    for linked in (ids, ids[:2], ids[:1], [], ids[1:], []):
        postmortems.set_linked_alerts(postmortem, linked, actor=alice)
        page = _anonymous_page(postmortem)  # cached by the request before
        if linked:
            count = f"{len(linked)} alert{'s' if len(linked) > 1 else ''} {LINKED}"
            assert count in page, linked
        else:
            assert LINKED not in page and "Linked alerts" not in page
        assert _anonymous_page(postmortem) == page  # and served from the cache again


def test_unlinking_through_the_api_is_seen_at_once_on_the_cached_page(alice, public_postmortem):
    postmortem, received = public_postmortem
    postmortems.set_linked_alerts(postmortem, [a.pk for a in received], actor=alice)
    assert f"3 alerts {LINKED}" in _anonymous_page(postmortem)
    url = f"/api/v1/postmortems/{postmortem.slug}/"
    response = api(alice).patch(url, {"alerts": [], "base_revision": 1})
    assert response.status_code == 200, response.content[:300]
    assert LINKED not in _anonymous_page(postmortem)


# --- Slugs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Ceph-OSD", "Use lower-case letters, digits and hyphens (at most 200 characters)."),
        ("ceph osd", "Use lower-case letters, digits and hyphens (at most 200 characters)."),
        ("a" * 201, "Use lower-case letters, digits and hyphens (at most 200 characters)."),
        ("taken", "A runbook with the slug 'taken' already exists."),
    ],
)
def test_an_explicit_slug_must_be_a_free_slug_of_its_kind(alice, make_runbook, slug, message):
    from django.core.exceptions import ValidationError

    make_runbook(alice, title="Taken", slug="taken")
    with pytest.raises(ValidationError) as refused:
        make_runbook(alice, title="Another", slug=slug)
    assert refused.value.message_dict == {"slug": [message]}
    assert Document.objects.count() == 1


def test_the_same_slug_may_name_documents_of_two_kinds(alice, make_runbook):
    make_runbook(alice, title="Disk full", slug="disk-full")
    make_runbook(alice, title="Disk full", slug="disk-full", kind=Kind.POSTMORTEM)
    make_runbook(alice, title="Longest", slug="a" * 200)
    assert sorted(Document.objects.values_list("kind", "slug"))[:2] == [
        ("postmortem", "disk-full"),
        ("runbook", "a" * 200),
    ]
