"""Review state that only reviewers change (issue 31): a critical alert may bring a runbook's
review nearer, never mark it reviewed; a review due because of a verdict, a failed report or
time says which, with a link, on the runbook page and on /review/."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from runbooks import tasks
from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import ReviewReason, Runbook, Scope
from runbooks.services import documents, routes, tokens
from runbooks.services import runbooks as runbook_services
from tests.conftest import client_for


@pytest.fixture
def osd_down(alice, provider_a, make_runbook):
    """Provider A's public "Ceph OSD down", reviewed today, every 180 days, routed for A."""
    runbook = make_runbook(alice, title="Ceph OSD down", provider=provider_a, component="ceph")
    routes.save_route(alertname="CephOSDDown", runbook=runbook, provider=provider_a, actor=SYSTEM)
    return runbook


def _judge(alice, provider_a, runbook, verdict="outdated", **fields):
    return documents.create_document(
        actor=alice,
        kind=Kind.POSTMORTEM,
        title="OSD outage of 2 December",
        body="x",
        provider=provider_a,
        runbooks_used=[{"runbook": runbook.slug, "verdict": verdict}],
        **fields,
    )


@pytest.fixture
def send_critical(provider_a, django_capture_on_commit_callbacks):
    """A critical CephOSDDown webhook through the real endpoint (its task runs inline)."""
    token = tokens.issue_token(
        name="am", scopes=[Scope.ALERTS_WRITE], provider=provider_a, actor=SYSTEM
    )[1]

    def send(fingerprint="c0ffee"):
        alert = {
            "status": "firing",
            "labels": {"alertname": "CephOSDDown", "severity": "critical", "ceph_daemon": "osd.7"},
            "annotations": {},
            "startsAt": "2026-12-07T03:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": fingerprint,
        }
        body = {"receiver": "openops", "status": "firing", "alerts": [alert], "version": "4"}
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(
                "/api/v1/alerts/alertmanager/",
                data=json.dumps(body),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )
        assert response.status_code == 202

    return send


def _badge(client, runbook) -> str:
    page = client.get(runbook.get_absolute_url()).content.decode()
    start = page.find('<span class="badge stale review-due"')
    return page[start : page.index("</span>", start)] if start >= 0 else ""


def _queue(client) -> str:
    return client.get("/review/").content.decode()


def test_a_critical_alert_on_a_runbook_due_for_review_leaves_it_due(
    alice, provider_a, osd_down, send_critical
):
    """The issue's story: post-mortems judged it outdated, then one critical CephOSDDown."""
    postmortem = _judge(alice, provider_a, osd_down)
    due = Runbook.objects.get(pk=osd_down.pk)
    assert due.stale and due.review_due_reason == ReviewReason.VERDICT
    send_critical()
    after = Runbook.objects.get(pk=osd_down.pk)
    assert after.review_interval_days == 90 and after.critical_since is not None  # the rule
    assert after.stale, "an alert is no review: the runbook stays due"
    assert after.reviewed_at == due.reviewed_at and after.review_due_at == due.review_due_at
    assert osd_down.title in _queue(client_for(alice))
    badge = _badge(client_for(alice), osd_down)
    assert "Review due: a post-mortem judged it outdated or wrong" in badge
    assert f'href="{postmortem.get_absolute_url()}"' in badge
    assert "last reviewed today" in badge and "Reviewed today" not in badge


def test_only_a_review_clears_it(alice, provider_a, osd_down, send_critical):
    _judge(alice, provider_a, osd_down)
    fresh = Runbook.objects.get(pk=osd_down.pk)  # as a page reads it
    documents.edit_document(fresh, actor=alice, base_revision=1, review_interval_days=30)
    assert Runbook.objects.get(pk=osd_down.pk).stale  # a new interval is no review either
    runbook_services.mark_reviewed(osd_down, actor=alice)
    reviewed = Runbook.objects.get(pk=osd_down.pk)
    assert not reviewed.stale and reviewed.review_due_reason == ReviewReason.TIME
    assert reviewed.review_due_source is None
    assert _badge(client_for(alice), osd_down) == ""
    assert osd_down.title not in _queue(client_for(alice))


def test_a_critical_alert_brings_a_review_nearer(alice, osd_down, send_critical):
    """The 90-day rule still holds: reviewed 100 days ago every 180 days, now overdue."""
    runbook_services.mark_reviewed(osd_down, actor=alice, when=timezone.now() - timedelta(100))
    assert not Runbook.objects.get(pk=osd_down.pk).stale
    send_critical()
    runbook = Runbook.objects.get(pk=osd_down.pk)
    assert runbook.stale and runbook.review_due_reason == ReviewReason.TIME
    badge = _badge(Client(), osd_down)
    assert "Review overdue: last reviewed 100 days ago, " in badge
    assert f'href="/runbooks/{osd_down.slug}/history/#reviews">due every 90 days</a>' in badge


def test_a_failed_report_makes_the_review_due_and_says_so(alice, provider_a, osd_down):
    report = documents.create_document(
        actor=alice,
        kind=Kind.REPORT,
        title="Failed on R7",
        body="x",
        provider=provider_a,
        outcome="failed",
        environment={"scs_release": "R7"},
        runbook=osd_down.slug,
    )
    runbook = Runbook.objects.get(pk=osd_down.pk)
    assert runbook.stale and runbook.review_due_reason == ReviewReason.REPORT
    badge = _badge(client_for(alice), osd_down)
    assert "Review due: an experience report says it failed" in badge
    assert f'href="{report.get_absolute_url()}"' in badge
    queue = _queue(client_for(alice))
    assert "An experience report says it failed" in queue and report.get_absolute_url() in queue


def test_a_report_that_turns_failed_counts_too(alice, provider_a, osd_down):
    report = documents.create_document(
        actor=alice,
        kind=Kind.REPORT,
        title="R7",
        body="x",
        provider=provider_a,
        outcome="worked",
        runbook=osd_down.slug,
    )
    assert not Runbook.objects.get(pk=osd_down.pk).stale
    documents.edit_document(report, actor=alice, base_revision=1, outcome="failed")
    assert Runbook.objects.get(pk=osd_down.pk).review_due_reason == ReviewReason.REPORT


def test_the_badge_names_the_cause_only_to_who_may_read_it(alice, provider_a, osd_down):
    """A's draft post-mortem counts for A's runbook; a signed-out reader learns why, not what."""
    postmortem = _judge(alice, provider_a, osd_down, status=Status.DRAFT)
    badge = _badge(Client(), osd_down)
    assert "Review due: a post-mortem judged it outdated or wrong" in badge
    assert postmortem.title not in badge and "href" not in badge
    assert postmortem.title in _badge(client_for(alice), osd_down)


def _failed_report(author, provider, runbook, **fields):
    return documents.create_document(
        actor=author,
        kind=Kind.REPORT,
        title="Failed elsewhere",
        body="x",
        provider=provider,
        outcome="failed",
        runbook=runbook.slug,
        **fields,
    )


def test_another_providers_failed_report_counts_once_shared_and_out_of_embargo(
    alice, bob, provider_b, osd_down
):
    report = _failed_report(bob, provider_b, osd_down)  # B's draft: not A's to read
    assert not Runbook.objects.get(pk=osd_down.pk).stale
    lifts = timezone.now() + timedelta(days=2)
    documents.publish(report, actor=bob, visibility=Visibility.PUBLIC, embargo_until=lifts)
    assert not Runbook.objects.get(pk=osd_down.pk).stale
    with time_machine.travel(lifts + timedelta(minutes=5)):
        tasks.sweep_events()  # beat's sweep
        runbook = Runbook.objects.get(pk=osd_down.pk)
        assert runbook.stale and runbook.review_due_at == lifts
        assert runbook.review_due_reason == ReviewReason.REPORT
        runbook_services.mark_reviewed(runbook, actor=alice)
        tasks.sweep_events()  # counts nothing twice
        assert not Runbook.objects.get(pk=osd_down.pk).stale
