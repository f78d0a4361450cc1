"""Documents and their history (DESIGN §3): numbered, immutable, restorable, never overwritten."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Document, Revision
from runbooks.services import documents
from runbooks.services.base import EditConflict


def test_defaults_differ_by_kind(alice, make_runbook):
    runbook = make_runbook(alice)
    postmortem = make_runbook(alice, kind=Kind.POSTMORTEM)
    assert (runbook.status, runbook.visibility) == (Status.PUBLISHED, Visibility.PUBLIC)
    assert (postmortem.status, postmortem.visibility) == (Status.DRAFT, Visibility.COMMUNITY)
    assert runbook.reviewed_at is not None and not runbook.stale


def test_slugs_come_from_the_title_and_are_suffixed_on_collision(alice, make_runbook):
    slugs = [make_runbook(alice, title="Ceph OSD down!").slug for _ in range(3)]
    assert slugs == ["ceph-osd-down", "ceph-osd-down-2", "ceph-osd-down-3"]
    # unique per kind: a post-mortem may share the slug
    assert make_runbook(alice, title="Ceph OSD down", kind=Kind.REPORT).slug == "ceph-osd-down"


def test_an_explicit_slug_that_is_taken_is_refused(alice, make_runbook):
    make_runbook(alice, slug="osd")
    with pytest.raises(ValidationError) as error:
        make_runbook(alice, slug="osd")
    assert "already exists" in str(error.value)
    assert Document.objects.count() == 1


def test_revisions_are_numbered_and_keep_every_word(alice, bob, make_runbook):
    document = make_runbook(alice, body="one")
    documents.add_revision(document, title="Ceph OSD down", body="two", actor=bob, base_revision=1)
    documents.add_revision(document, title="OSD down", body="three", actor=alice, base_revision=2)
    revisions = list(document.revisions.order_by("number").values_list("number", "parent", "body"))
    assert revisions == [(1, None, "one"), (2, 1, "two"), (3, 2, "three")]
    document.refresh_from_db()
    assert document.current_revision.number == 3 and document.title == "OSD down"
    assert "<p>three</p>" in document.current_revision.html


def test_an_edit_that_changes_nothing_adds_no_revision(alice, make_runbook):
    document = make_runbook(alice, body="same\n")
    result = documents.add_revision(
        document, title=document.title, body="same\r\n", actor=alice, base_revision=1
    )
    assert result is None and document.revisions.count() == 1


def test_a_stale_base_revision_is_refused_and_nothing_is_written(alice, bob, make_runbook):
    document = make_runbook(alice, body="one")
    documents.add_revision(document, title="t", body="bob's", actor=bob, base_revision=1)
    with pytest.raises(EditConflict) as conflict:
        documents.add_revision(document, title="t", body="alice's", actor=alice, base_revision=1)
    assert conflict.value.current.number == 2
    assert list(document.revisions.values_list("body", flat=True)) == ["bob's", "one"]


def test_restore_adds_a_revision_with_the_old_content(alice, make_runbook):
    document = make_runbook(alice, title="First", body="one")
    documents.add_revision(document, title="Second", body="two", actor=alice, base_revision=1)
    restored = documents.restore_revision(document, 1, actor=alice, base_revision=2)
    assert (restored.number, restored.title, restored.body) == (3, "First", "one")
    assert restored.message == "Restored revision 1"
    assert document.revisions.count() == 3
    # The new revision holds the restored revision's text, and the document shows it.
    first = document.revisions.get(number=1)
    assert (restored.title, restored.body) == (first.title, first.body)
    document.refresh_from_db()
    assert document.current_revision.number == 3
    assert (document.title, document.current_revision.body) == (first.title, first.body)


def test_restore_refuses_a_missing_revision(alice, make_runbook):
    document = make_runbook(alice)
    with pytest.raises(ValidationError, match="Revision 9 does not exist"):
        documents.restore_revision(document, 9, actor=alice, base_revision=1)


def test_the_database_refuses_a_second_revision_with_the_same_number(alice, make_runbook):
    from django.db import IntegrityError, transaction

    document = make_runbook(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(document=document, number=1, title="dup", body="")


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "x" * (256 * 1024 + 1)}, "body"),
    ],
)
def test_bad_input_is_refused_without_half_writing(alice, make_runbook, changes, field):
    document = make_runbook(alice)
    arguments = {"title": "ok", "body": "ok", **changes}
    with pytest.raises(ValidationError) as error:
        documents.add_revision(document, actor=alice, base_revision=1, **arguments)
    assert field in error.value.message_dict
    with pytest.raises(ValidationError):
        documents.create_document(kind=Kind.RUNBOOK, actor=alice, **arguments)
    assert Document.objects.count() == 1 and Revision.objects.count() == 1


@pytest.mark.parametrize("label", ["!!!", "   ", "x" * 51])
def test_odd_tags_are_refused_with_a_message(alice, make_runbook, label):
    if not label.strip():
        document = make_runbook(alice, tags=[label])
        assert document.tags.count() == 0
        return
    with pytest.raises(ValidationError):
        make_runbook(alice, tags=["ok", label])
    assert not Document.objects.exists()


def test_tags_are_created_on_first_use_and_shared(alice, make_runbook):
    first = make_runbook(alice, tags=["Ceph", "on-call"])
    second = make_runbook(alice, tags=["ceph"])
    assert sorted(first.tags.values_list("slug", flat=True)) == ["ceph", "on-call"]
    assert list(second.tags.values_list("label", flat=True)) == ["Ceph"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_concurrent_edits_from_the_same_base_exactly_one_wins(alice, bob, make_runbook):
    document = make_runbook(alice, body="base")
    barrier = threading.Barrier(2)
    outcomes = []

    def edit(author, text):
        barrier.wait()
        try:
            documents.add_revision(document, title="t", body=text, actor=author, base_revision=1)
            outcomes.append("won")
        except EditConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(u, f"by {u}")) for u in (alice, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "won"]
    assert document.revisions.count() == 2


def test_a_community_document_cannot_be_private_to_a_provider(alice, make_runbook):
    with pytest.raises(ValidationError) as error:
        make_runbook(alice, visibility=Visibility.PROVIDER)
    assert "visibility" in error.value.message_dict
    document = make_runbook(alice)
    with pytest.raises(ValidationError):
        documents.publish(document, visibility=Visibility.PROVIDER, actor=SYSTEM)
    document.refresh_from_db()
    assert document.visibility == Visibility.PUBLIC
