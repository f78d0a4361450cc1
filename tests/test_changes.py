"""/changes/, the Atom feeds of public changes, and /review/ (issue 16)."""

from datetime import timedelta

from django.utils import timezone

from runbooks.choices import Kind
from runbooks.models import Alert, Runbook
from runbooks.services import documents, postmortems
from runbooks.services import runbooks as runbook_services
from tests.conftest import client_for


def test_changes_list_what_the_visitor_may_see(alice, bob, provider_a, make_runbook):
    public = make_runbook(alice, title="Public runbook", body="one")
    documents.edit_document(public, actor=alice, base_revision=1, body="two", message="Fix step")
    make_runbook(alice, title="Private runbook", provider=provider_a, visibility="provider")
    page = client_for(bob).get("/changes/").content.decode()
    assert "Public runbook" in page and "Private runbook" not in page
    assert "revision 2: “Fix step”" in page and "diff/?from=1&amp;to=2" in page
    assert 'type="application/atom+xml"' in page
    assert "Private runbook" in client_for(alice).get("/changes/").content.decode()


def test_feeds_carry_public_changes_only(alice, provider_a, make_runbook):
    make_runbook(alice, title="Public <b>runbook</b>", tags=["ceph"], provider=provider_a)
    make_runbook(
        alice, title="Signed-in only", tags=["ceph"], provider=provider_a, visibility="community"
    )
    documents.create_document(
        actor=alice,
        kind=Kind.POSTMORTEM,
        title="Draft outage",
        body="x",
        provider=provider_a,
        tags=["ceph"],
    )
    for url in ("/feeds/changes/", "/feeds/tags/ceph/", f"/feeds/providers/{provider_a.slug}/"):
        response = client_for(alice).get(url)  # the feed is the same for everyone
        assert response.status_code == 200 and response["Content-Type"].startswith(
            "application/atom+xml"
        )
        feed = response.content.decode()
        assert "Public &lt;b&gt;runbook&lt;/b&gt;" in feed
        assert "Signed-in only" not in feed and "Draft outage" not in feed
        assert "http://127.0.0.1:8000/runbooks/" in feed
    assert client_for(None).get("/feeds/tags/nope/").status_code == 404


def test_the_review_queue_ranks_by_risk_for_those_who_may_edit(
    alice, bob, dave, provider_a, make_runbook
):
    old = timezone.now() - timedelta(days=400)
    quiet = make_runbook(alice, title="Quiet and overdue", provider=provider_a)
    noisy = make_runbook(alice, title="Noisy and overdue", provider=provider_a)
    judged = make_runbook(alice, title="Judged wrong")
    make_runbook(alice, title="Fresh", provider=provider_a)  # reviewed at creation
    theirs = make_runbook(bob, title="Bob's overdue")
    for runbook in (quiet, noisy, judged, theirs):
        runbook_services.mark_reviewed(runbook, actor=runbook.creator, when=old)
    Runbook.objects.filter(pk=quiet.pk).update(review_due_at=old)  # the most overdue
    Alert.objects.bulk_create(
        Alert(
            provider=provider_a,
            source="alertmanager",
            fingerprint=f"f{i}",
            alertname="Noise",
            status="resolved",
            starts_at=timezone.now() - timedelta(days=i),
            last_seen=timezone.now(),
            runbook=noisy,
        )
        for i in range(3)
    )
    postmortem = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Outage", body="x", provider=provider_a
    )
    postmortems.set_runbooks_used(
        postmortem, [{"runbook": judged.slug, "verdict": "wrong"}], actor=alice
    )
    page = client_for(alice).get("/review/").content.decode()
    order = [page.index(t) for t in ("Judged wrong", "Noisy and overdue", "Quiet and overdue")]
    assert order == sorted(order)
    assert "Fresh" not in page and "Bob&#x27;s overdue" in page  # community: any editor's
    assert "Bob&#x27;s overdue" in client_for(bob).get("/review/").content.decode()
    assert "Noisy and overdue" not in client_for(bob).get("/review/").content.decode()
    assert "Nothing is due" in client_for(dave).get("/review/").content.decode()  # a reader


def test_mark_reviewed_is_recorded_in_the_review_history(alice, make_runbook):
    runbook = make_runbook(alice, title="Disk full")
    client_for(alice).post(f"{runbook.get_absolute_url()}review/")
    history = client_for(alice).get(f"{runbook.get_absolute_url()}history/").content.decode()
    assert "alice marked it reviewed" in history
