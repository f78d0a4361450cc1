"""What a review of the structure found (issue 11), one test each: half-saved edits, a filter
that leaked, an admin that wrote around the services, diff defaults that differed, and the
runbook columns moving to their own table without losing anything."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import Alert, AlertRoute, Role, Runbook, Scope
from runbooks.services import documents, people, routes, tokens
from runbooks.services.base import NotAllowed
from runbooks.services.runbooks import mark_reviewed
from tests.api import ApiClient
from tests.conftest import client_for


def api(user) -> ApiClient:
    secret = tokens.issue_token(actor=SYSTEM, name="t", scopes=[Scope.READ, Scope.WRITE], user=user)
    return ApiClient(token=secret[1])


# --- Half-saved edits -------------------------------------------------------------------------


def test_a_patch_with_bad_tags_saves_no_revision(alice, make_runbook):
    runbook = make_runbook(alice, tags=["ceph"])
    response = api(alice).patch(
        f"/api/v1/runbooks/{runbook.slug}/",
        {"base_revision": 1, "body": "changed", "tags": ["!!!"], "component": "nova"},
    )
    assert response.status_code == 400 and "tags" in response.json()
    runbook.refresh_from_db()
    assert runbook.revisions.count() == 1 and runbook.current_revision.number == 1
    assert runbook.component == "" and list(runbook.tags.values_list("slug", flat=True)) == ["ceph"]


def test_an_edit_form_with_bad_tags_saves_nothing_either(alice, make_runbook):
    runbook = make_runbook(alice)
    response = client_for(alice).post(
        f"/runbooks/{runbook.slug}/edit/",
        {"title": "New", "body": "changed", "tags": "!!!", "base_revision": 1},
    )
    assert response.status_code == 200
    assert runbook.revisions.count() == 1


def test_a_refused_visibility_change_saves_no_revision(alice, erin, provider_a, make_runbook):
    runbook = make_runbook(erin, provider=provider_a)  # alice edits it but did not create it
    response = api(alice).patch(
        f"/api/v1/runbooks/{runbook.slug}/",
        {"base_revision": 1, "body": "changed", "visibility": Visibility.PROVIDER},
    )
    assert response.status_code == 403
    assert runbook.revisions.count() == 1


# --- The alert filter ---------------------------------------------------------------------------


def test_the_runbook_filter_does_not_tell_whether_a_private_runbook_exists(
    alice, carol, provider_a, make_runbook
):
    private = make_runbook(alice, provider=provider_a, visibility=Visibility.PROVIDER)
    Alert.objects.create(
        provider=provider_a,
        source="alertmanager",
        fingerprint="f1",
        alertname="DiskFull",
        status="firing",
        runbook=private,
        starts_at="2026-11-29T00:00:00Z",
        last_seen="2026-11-29T00:00:00Z",
    )
    staff = api(carol)
    hidden = staff.get(f"/api/v1/alerts/?runbook={private.slug}").json()["count"]
    missing = staff.get("/api/v1/alerts/?runbook=no-such-runbook").json()["count"]
    assert hidden == missing == 0
    assert api(alice).get(f"/api/v1/alerts/?runbook={private.slug}").json()["count"] == 1
    page = client_for(carol).get(f"/alerts/?runbook={private.slug}").content.decode()
    assert "DiskFull" not in page


# --- The admin saves through the services -------------------------------------------------------


@pytest.fixture
def operator(db):
    return people.ensure_user("root", "pw", actor=SYSTEM, is_staff=True, is_superuser=True)


@pytest.fixture
def disk_route(alice, make_runbook):
    runbook = make_runbook(alice, title="Disk full")
    return routes.save_route(actor=SYSTEM, alertname="DiskFull", runbook=runbook)


def _admin_post(operator, route, **changes):
    data = {
        "alertname": route.alertname,
        "runbook": route.runbook_id,
        "provider": "",
        "priority": route.priority,
        "matchers_text": "",
        **changes,
    }
    return client_for(operator).post(f"/admin/runbooks/alertroute/{route.pk}/change/", data)


def test_renaming_a_route_in_the_admin_keeps_it_resolving(operator, disk_route):
    assert _admin_post(operator, disk_route, alertname="DiskAlmostFull").status_code == 302
    disk_route.refresh_from_db()
    assert disk_route.alertname_key == "diskalmostfull"
    assert Client().get("/r/DiskAlmostFull").status_code == 302


def test_a_bad_matcher_never_reaches_the_database_from_the_admin(operator, disk_route):
    response = _admin_post(operator, disk_route, matchers_text='instance=~"("')
    assert response.status_code == 200 and "errornote" in response.content.decode()
    disk_route.refresh_from_db()
    assert disk_route.matchers == []
    assert Client().get("/r/DiskFull").status_code == 302


def test_documents_cannot_be_changed_in_the_admin(operator, alice, make_runbook):
    runbook = make_runbook(alice)
    client = client_for(operator)
    url = f"/admin/runbooks/document/{runbook.pk}/change/"
    assert client.post(url, {"slug": "renamed", "status": "draft"}).status_code == 403
    runbook.refresh_from_db()
    assert (runbook.slug, runbook.status) == ("ceph-osd-down", "published")


# --- Diff defaults ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,expected", [("", (2, 3)), ("?to=2", (1, 2)), ("?from=1", (1, 3)), ("?to=1", (1, 1))]
)
def test_diff_defaults_are_the_same_on_the_page_and_in_the_api(
    alice, make_runbook, query, expected
):
    runbook = make_runbook(alice)
    for number in (2, 3):
        documents.add_revision(
            runbook, actor=alice, title=runbook.title, body=f"v{number}", base_revision=number - 1
        )
    answer = api(alice).get(f"/api/v1/runbooks/{runbook.slug}/diff/{query}").json()
    page = client_for(alice).get(f"/runbooks/{runbook.slug}/diff/{query}")
    assert (answer["from"], answer["to"]) == expected
    assert (page.context["old"].number, page.context["new"].number) == expected


# --- Each kind's own fields in its own place ------------------------------------------------------


def test_runbook_fields_live_in_their_own_table(alice, make_runbook):
    runbook = make_runbook(alice, component="ceph")
    document_columns = {f.column for f in runbook._meta.get_parent_list()[0]._meta.local_fields}
    assert "component" not in document_columns and "review_due_at" not in document_columns
    postmortem = make_runbook(alice, kind=Kind.POSTMORTEM, title="Outage")
    assert not Runbook.objects.filter(pk=postmortem.pk).exists()
    with pytest.raises(Exception, match="component"):
        make_runbook(alice, kind=Kind.POSTMORTEM, title="Outage 2", component="ceph")


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_runbook_columns_and_loses_nothing():
    executor = MigrationExecutor(connection)
    before = [("runbooks", "0005_input_safety_and_shared_rate_limits")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    provider = old.get_model("runbooks", "Provider").objects.create(slug="p", name="P")
    Document = old.get_model("runbooks", "Document")
    runbook = Document.objects.create(
        kind="runbook",
        slug="disk-full",
        title="Disk full",
        provider=provider,
        component="ceph",
        review_interval_days=30,
        reviewed_at="2026-01-01T00:00:00Z",
        review_due_at="2026-01-31T00:00:00Z",
        source_name="DiskFull",
        front_matter="---\ntitle: Disk full\n---\n",
    )
    Document.objects.create(kind="postmortem", slug="outage", title="Outage")
    old.get_model("runbooks", "AlertRoute").objects.create(
        alertname="DiskFull", alertname_key="diskfull", runbook=runbook
    )
    old.get_model("runbooks", "Alert").objects.create(
        provider=provider,
        source="alertmanager",
        fingerprint="f",
        alertname="DiskFull",
        status="firing",
        runbook=runbook,
        starts_at="2026-01-01T00:00:00Z",
        last_seen="2026-01-01T00:00:00Z",
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    moved = Runbook.objects.get(slug="disk-full")
    assert (moved.pk, moved.component, moved.review_interval_days) == (runbook.pk, "ceph", 30)
    assert moved.source_name == "DiskFull" and moved.front_matter.startswith("---\ntitle")
    assert moved.review_due_at.isoformat().startswith("2026-01-31")
    assert Runbook.objects.count() == 1
    assert AlertRoute.objects.get().runbook == moved and Alert.objects.get().runbook == moved


def test_a_reader_cannot_change_anything_through_any_service(dave, provider_a, make_runbook, alice):
    """The services check the actor themselves, whoever calls them."""
    runbook = make_runbook(alice, provider=provider_a)
    for attempt in (
        lambda: documents.edit_document(runbook, actor=dave, base_revision=1, body="x"),
        lambda: documents.restore_revision(runbook, 1, actor=dave, base_revision=1),
        lambda: documents.set_status(runbook, "archived", actor=dave),
        lambda: documents.delete_document(runbook, actor=dave),
        lambda: mark_reviewed(runbook, actor=dave),
        lambda: routes.save_route(actor=dave, alertname="X", runbook=runbook, provider=provider_a),
        lambda: people.set_membership(provider_a, dave, Role.ADMIN, actor=dave),
        lambda: documents.create_document(actor=dave, kind=Kind.RUNBOOK, title="t", body="b"),
    ):
        with pytest.raises(NotAllowed):
            attempt()
    assert runbook.revisions.count() == 1
