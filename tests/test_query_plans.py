"""The hot paths' queries use indexes on both databases (EXPLAIN): an alert link's route look-up
and the cached page's visibility check cost the same at 100 runbooks as at 100,000."""

import pytest
from django.db import connection

from runbooks import access, resolution
from runbooks.actors import SYSTEM
from runbooks.choices import Kind
from runbooks.services import routes


def _plan(queryset) -> list[str]:
    """The plan's lines: SQLite's details ("SEARCH t USING INDEX …"), PostgreSQL's nodes."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny test tables make a sequential scan cheapest; ask what the index offers.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [row[3] for row in cursor.fetchall()]


def _scans(plan: list[str], table: str) -> bool:
    """A full read of `table`, where an index search was meant."""
    if connection.vendor == "postgresql":
        return any(f"Seq Scan on {table}" in line for line in plan)
    return any(line.startswith(f"SCAN {table}") for line in plan)


@pytest.fixture
def routed(alice, make_runbook, provider_a):
    runbook = make_runbook(alice, title="Ceph OSD down", provider=provider_a)
    routes.save_route(alertname="CephOSDDown", runbook=runbook, provider=provider_a, actor=SYSTEM)
    return runbook


def test_route_look_up_searches_by_index_and_lists_no_runbooks(routed, provider_a):
    plan = _plan(resolution.candidate_routes("CephOSDDown", provider_a))
    assert not _scans(plan, "runbooks_alertroute"), plan
    assert not _scans(plan, "runbooks_document"), plan
    assert not any("LIST SUBQUERY" in line or "SubPlan" in line for line in plan), plan


def test_the_cached_pages_visibility_check_searches_by_index(routed):
    from django.contrib.auth.models import AnonymousUser

    from runbooks.models import Document

    assert access.page_stamp(AnonymousUser(), Kind.RUNBOOK, routed.slug)[0] == routed.pk
    visible = Document.objects.visible_to(AnonymousUser()).filter(
        kind=Kind.RUNBOOK, slug=routed.slug
    )
    plan = _plan(visible.order_by().values_list("pk", "page_changed_at")[:1])
    assert not _scans(plan, "runbooks_document"), plan


def test_the_home_pages_firing_alerts_search_by_provider_status_and_start(alice, dave, provider_a):
    """A member's firing alerts, latest first (runbooks/views/home.py), read through the
    (provider, status, starts_at) index, not every alert the provider ever received."""
    from runbooks.views.home import firing_alerts

    plan = _plan(firing_alerts(dave)[:20])
    assert any("alert_by_status_start" in line for line in plan), plan
    assert not _scans(plan, "runbooks_alert"), plan
