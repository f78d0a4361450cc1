"""Experience reports (issue 14): environment, outcome, the runbook and revision they concern;
drafts until published; a runbook's compatibility table in its page and the API; bad input
refused by field with nothing saved."""

import pytest

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Document, Report, Revision, Scope
from runbooks.services import documents, tokens
from tests.api import ApiClient, validate
from tests.conftest import client_for


def api(user) -> ApiClient:
    secret = tokens.issue_token(actor=SYSTEM, name="t", scopes=[Scope.READ, Scope.WRITE], user=user)
    return ApiClient(token=secret[1])


@pytest.fixture
def runbook(alice, make_runbook):
    runbook = make_runbook(alice, title="Ceph OSD down")  # community, public, revision 1
    documents.add_revision(runbook, actor=alice, title=runbook.title, body="v2", base_revision=1)
    return runbook  # now at revision 2


def report(author, provider, runbook, outcome, environment, revision=None, publish=True, **kw):
    made = documents.create_document(
        actor=author,
        kind=Kind.REPORT,
        title=kw.pop("title", f"{outcome} on {environment}"),
        body="## What we did\n",
        provider=provider,
        outcome=outcome,
        environment=environment,
        runbook=runbook.slug,
        **({"runbook_revision": revision} if revision else {}),
        **kw,
    )
    if publish:
        documents.publish(made, actor=author, visibility=Visibility.COMMUNITY)
    return made


def test_the_api_writes_and_reads_a_report(alice, runbook):
    body = {
        "title": "Ran it on R7",
        "body": "## What we did\n\nAll steps.\n",
        "provider": "provider-a",
        "environment": {"scs_release": "R7", "Ceph": " 18.2 "},
        "outcome": "partly",
        "runbook": runbook.slug,
        "runbook_revision": 1,
    }
    response = validate(api(alice).post("/api/v1/reports/", body))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == Status.DRAFT and data["visibility"] == Visibility.COMMUNITY
    assert data["environment"] == {"scs_release": "R7", "ceph": "18.2"}
    assert (data["outcome"], data["runbook"], data["runbook_revision"]) == (
        "partly",
        runbook.slug,
        1,
    )
    patch = api(alice).patch(
        f"/api/v1/reports/{data['slug']}/", {"base_revision": 1, "runbook": runbook.slug}
    )
    assert validate(patch).status_code == 200
    assert patch.json()["runbook_revision"] == 2  # naming the runbook again: its current one
    assert Revision.objects.filter(document__kind=Kind.REPORT).count() == 1


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"environment": {f"k{i}": "v" for i in range(200)}}, "environment"),
        ({"environment": {"ceph": "x" * 10_000}}, "environment"),
        ({"environment": {"bad key!": "v"}}, "environment"),
        ({"environment": ["not", "pairs"]}, "environment"),
        ({"outcome": "meh"}, "outcome"),
        ({"runbook": "no-such-runbook"}, "runbook"),
        ({"runbook_revision": 9}, "runbook_revision"),
        ({"runbook_revision": 0}, "runbook_revision"),
    ],
)
def test_bad_reports_are_a_400_naming_the_field_and_nothing_is_saved(
    alice, runbook, changes, field
):
    body = {"title": "R", "provider": "provider-a", "runbook": runbook.slug, **changes}
    response = validate(api(alice).post("/api/v1/reports/", body))
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Document.objects.filter(kind=Kind.REPORT).exists()


def test_a_report_on_a_runbook_the_author_cannot_see_is_refused(bob, provider_a, make_runbook):
    from tests.conftest import _member

    alice = _member("alice2", provider_a, "editor")
    hidden = make_runbook(alice, title="Private", provider=provider_a, visibility="provider")
    body = {"title": "R", "provider": "provider-b", "runbook": hidden.slug, "outcome": "worked"}
    response = validate(api(bob).post("/api/v1/reports/", body))
    assert response.status_code == 400 and "runbook" in response.json()
    assert "Private" not in response.content.decode()
    assert not Report.objects.exists()


def test_the_page_form_writes_a_report_from_the_runbook_page(alice, provider_a, runbook):
    page = client_for(alice).get(runbook.get_absolute_url()).content.decode()
    assert f"/reports/new/?runbook={runbook.slug}" in page
    form = client_for(alice).get(f"/reports/new/?runbook={runbook.slug}").content.decode()
    assert f'value="{runbook.slug}"' in form and "scs_release" in form  # keys suggested
    response = client_for(alice).post(
        "/reports/new/",
        {
            "title": "OSD replaced on R7",
            "provider": provider_a.pk,
            "visibility": "community",
            "runbook": runbook.slug,
            "runbook_revision": "1",
            "outcome": "failed",
            "environment": "scs_release: R7\nceph: 18.2.1\n",
            "body": "## What we did\n\nStep 3 failed.\n",
        },
    )
    assert response.status_code == 302, response.content.decode()[:600]
    made = Report.objects.get()
    assert made.environment == {"scs_release": "R7", "ceph": "18.2.1"}
    assert (made.subject_id, made.subject_revision.number) == (runbook.pk, 1)
    page = client_for(alice).get(made.get_absolute_url()).content.decode()
    assert "outcome-failed" in page and "18.2.1" in page and "revision 1" in page
    edit = client_for(alice).get(made.get_absolute_url() + "edit/").content.decode()
    assert "scs_release: R7" in edit


def test_a_bad_environment_line_is_a_field_error_in_the_page(alice, provider_a, runbook):
    response = client_for(alice).post(
        "/reports/new/",
        {
            "title": "R",
            "provider": provider_a.pk,
            "visibility": "community",
            "runbook": runbook.slug,
            "outcome": "worked",
            "environment": "just words",
            "body": "x",
        },
    )
    assert response.status_code == 200 and "key: value" in response.content.decode()
    assert not Report.objects.exists()


def test_the_compatibility_table_shows_outcomes_by_environment_and_revision(
    alice, bob, dave, provider_a, provider_b, runbook
):
    r7 = {"scs_release": "R7", "ceph": "18.2"}
    report(alice, provider_a, runbook, "worked", r7, revision=1)
    report(bob, provider_b, runbook, "failed", r7)  # on the current revision, 2
    report(bob, provider_b, runbook, "partly", {"scs_release": "R6"}, revision=1)
    report(bob, provider_b, runbook, "failed", {"scs_release": "R5"}, publish=False)  # draft

    data = validate(client_for(dave).get(f"/api/v1/runbooks/{runbook.slug}/compatibility/"))
    data = data.json()
    assert data["current_revision"] == 2 and data["revisions"] == [2, 1]
    assert data["failed_on_current"] == 1
    environments = [row["environment"] for row in data["rows"]]
    assert environments == [{"scs_release": "R6"}, r7]  # newest report first
    outcomes = {(r["revision"], r["outcome"]) for r in data["rows"][1]["results"]}
    assert outcomes == {(2, "failed"), (1, "worked")}

    page = client_for(dave).get(runbook.get_absolute_url()).content.decode()
    assert "Failed on this revision in 1 environment" in page
    assert page.count("outcome-failed") == 1 and "R5" not in page  # bob's draft stays his
    assert "R5" in client_for(bob).get(runbook.get_absolute_url()).content.decode()
    assert (
        "No experience report" in client_for(None).get(runbook.get_absolute_url()).content.decode()
    )


def test_a_report_does_not_name_a_runbook_its_reader_may_not_see(
    alice, bob, provider_a, make_runbook
):
    ours = make_runbook(alice, title="Our secret runbook", provider=provider_a)
    made = report(alice, provider_a, ours, "worked", {"ceph": "18"})
    from runbooks.models import Runbook

    Runbook.objects.filter(pk=ours.pk).update(visibility=Visibility.PROVIDER)
    page = client_for(bob).get(made.get_absolute_url()).content.decode()
    assert "Our secret runbook" not in page
    data = validate(api(bob).get(f"/api/v1/reports/{made.slug}/")).json()
    assert data["runbook"] is None and data["runbook_revision"] is None
    assert validate(api(alice).get(f"/api/v1/reports/{made.slug}/")).json()["runbook"] == ours.slug


def test_hostile_environment_text_is_escaped_everywhere(alice, dave, provider_a, runbook):
    made = report(alice, provider_a, runbook, "failed", {"os": "<script>alert(1)</script>"})
    for url in (made.get_absolute_url(), runbook.get_absolute_url()):
        page = client_for(dave).get(url).content.decode()
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
