"""Reads never write (issue 30). Alert resolution only looks up and hands the miss back to the
caller that counts it; a refused read is counted into one audit entry per reader, document and
hour, so a burst of refused GETs — a crawler, someone guessing addresses — adds a bounded number
of rows: at most one per document and hour for all anonymous readers together, one per
signed-in reader, document and hour."""

import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.http import Http404, QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from runbooks import access, audit, resolution
from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import AuditEntry, RunbookMiss
from runbooks.services import documents, routes
from tests.conftest import client_for

REFUSED = AuditEntry.Action.ACCESS_REFUSED
READS = ("SELECT", "SAVEPOINT", "RELEASE SAVEPOINT")


def _private(alice, provider_a, title):
    return documents.create_document(
        kind=Kind.RUNBOOK,
        title=title,
        body="## Steps\n\nx\n",
        actor=alice,
        provider=provider_a,
        visibility=Visibility.PROVIDER,
    )


@pytest.fixture
def two_private_runbooks(alice, provider_a):
    return _private(alice, provider_a, "Private: HSM keys"), _private(alice, provider_a, "Vault")


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(READS)]


def _a_minute_into_the_next_hour() -> int:
    """A moment that leaves a test most of an hour before the hour's count moves on."""
    return (int(time.time()) // 3600 + 1) * 3600 + 60


def _refused_entries():
    return list(AuditEntry.objects.filter(action=REFUSED).order_by("at", "pk"))


# --- Resolution only reads ------------------------------------------------------------------


def test_resolution_only_reads_and_hands_the_miss_to_its_caller(alice, provider_a, make_runbook):
    public = make_runbook(alice, title="Disk full")
    routes.save_route(alertname="DiskFull", runbook=public, actor=SYSTEM)
    hidden = _private(alice, provider_a, "Private disk")
    routes.save_route(alertname="PrivateDisk", runbook=hidden, provider=provider_a, actor=SYSTEM)
    query = QueryDict("provider=provider-a&instance=db-1")
    with CaptureQueriesContext(connection) as seen:
        found = resolution.look_up(alice, "DiskFull", query)
        refused = resolution.look_up(AnonymousUser(), "PrivateDisk", query)
        missed = resolution.look_up(alice, "NoSuchAlert", query, component="db")
    assert seen.captured_queries and not _writes(seen.captured_queries)
    assert (found.route.runbook_id, found.miss) == (public.pk, None)
    assert (refused.hidden, refused.miss) == (True, None)
    assert missed.miss == resolution.Miss("NoSuchAlert", provider_a, "db", {"instance": "db-1"})
    assert not RunbookMiss.objects.exists()  # the caller counts it, not the lookup
    routes.count_miss(missed.miss, actor=alice)
    assert RunbookMiss.objects.get().alertname == "NoSuchAlert"


@pytest.mark.parametrize("alertname", ["DiskFull", "PrivateDisk", "NoSuchAlert"])
def test_an_anonymous_alert_link_writes_nothing(alice, provider_a, make_runbook, alertname):
    routes.save_route(alertname="DiskFull", runbook=make_runbook(alice), actor=SYSTEM)
    hidden = _private(alice, provider_a, "Private disk")
    routes.save_route(alertname="PrivateDisk", runbook=hidden, provider=provider_a, actor=SYSTEM)
    client = client_for(None)
    with CaptureQueriesContext(connection) as seen:
        response = client.get(f"/r/{alertname}?provider=provider-a")
    assert response.status_code in (302, 404)
    assert not _writes(seen.captured_queries)


# --- Refused reads are counted, bounded -----------------------------------------------------


def test_200_refused_anonymous_gets_add_one_entry_per_document_and_hour(
    two_private_runbooks, carol
):
    """Pages and API alike, across two documents and an hour boundary: four entries of 50."""
    start = _a_minute_into_the_next_hour()
    with time_machine.travel(start, tick=True) as traveller:
        for hour in range(2):
            if hour:
                traveller.move_to(start + 3600)
            for document in two_private_runbooks:
                for n in range(50):
                    path = document.get_absolute_url()
                    url = f"/api/v1/runbooks/{document.slug}/" if n % 2 else path
                    assert client_for(None).get(url).status_code in (401, 404)
        entries = _refused_entries()
        assert len(entries) == 4
        assert [e.count for e in entries] == [50] * 4
        assert {(e.actor, e.actor_name) for e in entries} == {(None, "anonymous")}
        assert {e.document_id for e in entries} == {d.pk for d in two_private_runbooks}
        log = client_for(carol).get("/audit/", {"action": REFUSED}).content.decode()
    first = datetime.fromtimestamp(start - 60, UTC)
    for begins in (first, first + timedelta(hours=1)):
        ends = begins + timedelta(hours=1)
        assert f"50 times between {begins:%H:%M} and {ends:%H:%M}" in log


# One test transaction that updates one row 100,000 times keeps every version of the row on
# PostgreSQL until it ends (each update walks them all: quadratic); in production each refusal
# is its own transaction. SQLite runs the full burst.
BURST = 100_000 if connection.vendor == "sqlite" else 5_000


def test_100000_refused_anonymous_reads_add_one_entry(two_private_runbooks, bob):
    """What every refused read of a hidden document runs (`access.refused` finds the document,
    then counts), 100,000 times in-process: one entry for all anonymous readers within the
    hour; a signed-in reader has their own."""
    document, _ = two_private_runbooks
    with time_machine.travel(_a_minute_into_the_next_hour(), tick=True):
        before = AuditEntry.objects.count()
        assert isinstance(access.refused(AnonymousUser(), document.kind, document.slug), Http404)
        for _ in range(BURST - 1):
            audit.count_refused_read(None, document.pk)
        access.refused(bob, document.kind, document.slug)
        added = AuditEntry.objects.count() - before
    assert added == 2
    assert [(e.actor, e.count) for e in _refused_entries()] == [(None, BURST), (bob, 1)]


def test_counted_refusals_are_pruned_by_age_like_every_entry(two_private_runbooks, settings):
    settings.OPENOPS_AUDIT_DAYS = 30
    document, _ = two_private_runbooks
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        audit.count_refused_read(None, document.pk)
        audit.count_refused_read(None, document.pk)
    audit.count_refused_read(None, document.pk)
    assert [e.count for e in _refused_entries()] == [2, 1]
    assert audit.prune() == 1
    assert [e.count for e in _refused_entries()] == [1]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_two_refusals_that_open_the_same_hour_at_once_make_one_entry(two_private_runbooks):
    """The second request's insert waits on the first's uncommitted entry, then loses the
    unique key: it adds to that entry instead of failing with a 500."""
    document, _ = two_private_runbooks
    outcomes = []

    def refuse():
        try:
            audit.count_refused_read(None, document.pk)
            outcomes.append("counted")
        except Exception as failure:  # noqa: BLE001 — the test reports what went wrong
            outcomes.append(repr(failure))
        finally:
            connection.close()

    second = threading.Thread(target=refuse)
    with time_machine.travel(_a_minute_into_the_next_hour(), tick=True):
        with _first_refusal_uncommitted(document):
            second.start()
            _wait_until_a_query_waits_on_a_lock(second)
        second.join()
    assert outcomes == ["counted"]
    assert [e.count for e in _refused_entries()] == [2]


@contextmanager
def _first_refusal_uncommitted(document):
    with transaction.atomic():
        audit.count_refused_read(None, document.pk)
        yield


def _wait_until_a_query_waits_on_a_lock(thread, polls: int = 600) -> None:
    """Until another connection waits for a lock (pg_locks is live; pg_stat_activity would be
    read once per transaction)."""
    with connection.cursor() as cursor:
        for _ in range(polls):
            assert thread.is_alive(), "the second refusal ended without waiting for the first"
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the second refusal never waited on the first one's entry")
