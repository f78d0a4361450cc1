"""Reads never write (issue 30). Alert resolution only looks up and hands the miss back to the
caller that counts it; a refused read is counted into one audit entry per reader, document and
hour, so a burst of refused GETs — a crawler, someone guessing addresses — adds a bounded number
of rows: at most one per document and hour for all anonymous readers together, one per
signed-in reader, document and hour."""

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from runbooks import resolution
from runbooks.choices import Kind, Visibility
from runbooks.models import AuditEntry, RunbookMiss
from runbooks.services import documents, routes
from runbooks.services.base import SYSTEM
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
