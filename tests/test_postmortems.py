"""Post-mortems (issue 13, first part): the guided text, the incident's own fields in the pages
and the API, and bad input refused with a field error and nothing saved."""

import re

import pytest

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import Document, Postmortem, Revision, Scope
from runbooks.services import tokens
from tests.api import ApiClient, validate
from tests.conftest import client_for


def api(user) -> ApiClient:
    secret = tokens.issue_token(actor=SYSTEM, name="t", scopes=[Scope.READ, Scope.WRITE], user=user)
    return ApiClient(token=secret[1])


FIELDS = {
    "title": "Ceph OSDs flapping",
    "body": "## Summary\n\nOSDs flapped.\n",
    "provider": "provider-a",
    "incident_start": "2026-11-20T02:10:00Z",
    "incident_end": "2026-11-20T04:40:00Z",
    "severity": "major",
    "affected_services": ["block storage", "compute API"],
}


def test_a_new_post_mortem_starts_from_the_sections_of_a_blameless_one(alice):
    page = client_for(alice).get("/postmortems/new/").content.decode()
    for section in ("## Summary", "## Impact", "## Timeline", "## Root cause", "## Trigger"):
        assert section in page
    assert "### Where we got lucky" in page and 'type="datetime-local"' in page


def test_the_page_form_stores_the_incident_and_the_page_shows_it(alice, provider_a):
    response = client_for(alice).post(
        "/postmortems/new/",
        {
            "title": "Nova scheduler outage",
            "provider": provider_a.pk,
            "visibility": Visibility.COMMUNITY,
            "incident_start": "2026-11-21T10:00",
            "incident_end": "2026-11-21T12:30",
            "severity": "critical",
            "affected_services": "compute API, scheduler, compute API",
            "body": "## Summary\n",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    postmortem = Postmortem.objects.get()
    assert postmortem.status == "draft" and postmortem.severity == "critical"
    assert postmortem.affected_services == ["compute API", "scheduler"]
    page = client_for(alice).get(postmortem.get_absolute_url()).content.decode()
    assert "Critical" in page and "2 h 30 min" in page and "scheduler" in page


def test_the_api_creates_and_reads_the_incident_fields(alice):
    response = validate(api(alice).post("/api/v1/postmortems/", FIELDS))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["severity"] == "major" and data["status"] == "draft"
    assert data["affected_services"] == ["block storage", "compute API"]
    assert data["incident_start"] == "2026-11-20T02:10:00Z"
    patch = api(alice).patch(
        f"/api/v1/postmortems/{data['slug']}/", {"base_revision": 1, "severity": "minor"}
    )
    assert validate(patch).status_code == 200 and patch.json()["severity"] == "minor"
    assert Revision.objects.count() == 1  # a field change adds no revision


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"incident_end": "2026-11-20T01:00:00Z"}, "incident_end"),
        ({"incident_start": "2099-01-01T00:00:00Z", "incident_end": None}, "incident_start"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"affected_services": [f"s{i}" for i in range(30)]}, "affected_services"),
    ],
)
def test_bad_incident_fields_are_a_400_naming_the_field_and_nothing_is_saved(alice, changes, field):
    response = api(alice).post("/api/v1/postmortems/", {**FIELDS, **changes})
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Document.objects.exists() and not Revision.objects.exists()


def test_a_bad_window_in_an_edit_saves_nothing(alice):
    slug = api(alice).post("/api/v1/postmortems/", FIELDS).json()["slug"]
    response = api(alice).patch(
        f"/api/v1/postmortems/{slug}/",
        {"base_revision": 1, "body": "changed", "incident_end": "2026-11-19T00:00:00Z"},
    )
    assert response.status_code == 400 and "incident_end" in response.json()
    postmortem = Postmortem.objects.get()
    assert postmortem.revisions.count() == 1
    assert postmortem.incident_end.isoformat().startswith("2026-11-20T04:40")


def test_the_page_form_names_a_bad_window_beside_its_field(alice, provider_a):
    response = client_for(alice).post(
        "/postmortems/new/",
        {
            "title": "Backwards",
            "provider": provider_a.pk,
            "visibility": Visibility.COMMUNITY,
            "incident_start": "2026-11-21T10:00",
            "incident_end": "2026-11-21T09:00",
            "body": "x",
        },
    )
    assert response.status_code == 200
    assert "The incident ends before it starts." in response.content.decode()
    assert not Document.objects.filter(kind=Kind.POSTMORTEM).exists()


def test_services_take_text_times_and_refuse_impossible_ones(alice, provider_a):
    from runbooks.services import documents

    postmortem = documents.create_document(
        actor=alice,
        kind=Kind.POSTMORTEM,
        title="From a script",
        body="x",
        provider=provider_a,
        incident_start="2026-11-20T02:10:00Z",
        incident_end="2026-11-20T02:40:00",
    )
    assert postmortem.duration_text == "30 min"
    with pytest.raises(Exception, match="incident_start"):
        documents.create_document(
            actor=alice,
            kind=Kind.POSTMORTEM,
            title="Impossible",
            body="x",
            incident_start="2026-13-45T02:10:00Z",
        )


def test_publishing_previews_the_audience_and_marks_what_looks_sensitive(alice, provider_a):
    from runbooks.services import documents

    postmortem = documents.create_document(
        actor=alice,
        kind=Kind.POSTMORTEM,
        title="Edge router reload",
        body="We reloaded 10.20.30.40 and edge1.a.example; ask ops@a.example.\n",
        provider=provider_a,
    )
    client = client_for(alice)
    page = client.get(f"{postmortem.get_absolute_url()}publish/").content.decode()
    assert "Provider A only" in page and "Public — anyone on the internet" in page
    assert 'class="sensitive sensitive-ip"' in page and "10.20.30.40" in page
    assert 'class="sensitive sensitive-email"' in page
    radios = re.findall(r'<input type="radio" name="visibility"[^>]*>', page)
    assert radios and not any("checked" in radio for radio in radios)
    past = client.post(
        f"{postmortem.get_absolute_url()}publish/",
        {"visibility": "community", "embargo_until": "2020-01-01T00:00"},
    )
    assert past.status_code == 200 and "An embargo ends in the future." in past.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.status == "draft"
    done = client.post(f"{postmortem.get_absolute_url()}publish/", {"visibility": "community"})
    assert done.status_code == 302
    postmortem.refresh_from_db()
    assert (postmortem.status, postmortem.visibility) == ("published", "community")


def test_only_publishers_open_the_publish_page(alice, dave, bob, provider_a, make_runbook):
    draft = make_runbook(alice, kind=Kind.POSTMORTEM, provider=provider_a)
    assert client_for(dave).get(f"{draft.get_absolute_url()}publish/").status_code == 403
    assert client_for(bob).get(f"{draft.get_absolute_url()}publish/").status_code == 404
    response = api(alice).post(
        f"/api/v1/postmortems/{draft.slug}/publish/", {"embargo_until": "2020-01-01T00:00:00Z"}
    )
    assert response.status_code == 400 and "embargo_until" in response.json()


# --- Runbooks used, verdicts and the feedback on runbook pages --------------------------------


@pytest.fixture
def osd_runbook(alice, make_runbook):
    from runbooks.services import documents

    runbook = make_runbook(alice, title="Ceph OSD down")  # community, revision 1
    documents.add_revision(runbook, actor=alice, title=runbook.title, body="v2", base_revision=1)
    return runbook


def test_runbooks_used_are_pinned_and_judged_and_feed_back_to_the_runbook(alice, bob, osd_runbook):
    used = [{"runbook": osd_runbook.slug, "revision": 1, "verdict": "outdated"}]
    response = api(alice).post("/api/v1/postmortems/", {**FIELDS, "runbooks_used": used})
    assert validate(response).status_code == 201, response.json()
    assert response.json()["runbooks_used"] == [
        {"runbook": osd_runbook.slug, "revision": 1, "verdict": "outdated"}
    ]
    slug = response.json()["slug"]
    page = client_for(alice).get(osd_runbook.get_absolute_url()).content.decode()
    assert "Used in 1 incident" in page and "outdated 1" in page and FIELDS["title"] in page
    # A draft of provider A counts nowhere for bob; published to the community, it does.
    assert "Used in" not in client_for(bob).get(osd_runbook.get_absolute_url()).content.decode()
    api(alice).post(f"/api/v1/postmortems/{slug}/publish/", {"visibility": "community"})
    assert (
        "Used in 1 incident" in client_for(bob).get(osd_runbook.get_absolute_url()).content.decode()
    )


def test_a_bad_verdict_on_the_current_revision_marks_the_runbook_for_review(alice, osd_runbook):
    used = [{"runbook": osd_runbook.slug, "verdict": "wrong"}]  # no revision: the current one
    created = api(alice).post("/api/v1/postmortems/", {**FIELDS, "runbooks_used": used})
    assert created.status_code == 201
    osd_runbook.refresh_from_db()
    # A community runbook: the verdict counts once every signed-in user may read it (issue 29).
    assert not osd_runbook.stale
    published = api(alice).post(f"/api/v1/postmortems/{created.json()['slug']}/publish/", {})
    assert published.status_code == 200
    osd_runbook.refresh_from_db()
    assert osd_runbook.stale  # review due now: on the review list


@pytest.mark.parametrize(
    "used",
    [
        [{"runbook": "no-such-runbook", "verdict": "helped"}],
        [{"runbook": "RUNBOOK", "revision": 99, "verdict": "helped"}],
        [{"runbook": "RUNBOOK", "verdict": "meh"}],
        [{"runbook": "PRIVATE", "verdict": "helped"}],  # a runbook alice may not see
    ],
)
def test_bad_runbooks_used_are_a_400_and_nothing_is_saved(
    alice, bob, provider_b, osd_runbook, make_runbook, used
):
    private = make_runbook(bob, title="B only", provider=provider_b, visibility=Visibility.PROVIDER)
    names = {"RUNBOOK": osd_runbook.slug, "PRIVATE": private.slug}
    used = [{**u, "runbook": names.get(u["runbook"], u["runbook"])} for u in used]
    response = api(alice).post("/api/v1/postmortems/", {**FIELDS, "runbooks_used": used})
    assert response.status_code == 400 and "runbooks_used" in response.json(), response.json()
    assert not Postmortem.objects.exists()


def test_only_alerts_the_provider_received_can_be_linked(alice, provider_a, provider_b):
    from runbooks.models import Alert

    def alert(provider, n):
        return Alert.objects.create(
            provider=provider,
            source="alertmanager",
            fingerprint=f"f{n}",
            alertname="X",
            status="firing",
            starts_at="2026-11-20T02:00:00Z",
            last_seen="2026-11-20T02:00:00Z",
        )

    own, other = alert(provider_a, 1), alert(provider_b, 2)
    ok = api(alice).post("/api/v1/postmortems/", {**FIELDS, "alerts": [own.pk]})
    assert ok.status_code == 201 and ok.json()["alerts"] == [own.pk]
    bad = api(alice).post(
        "/api/v1/postmortems/", {**FIELDS, "title": "Other", "alerts": [other.pk]}
    )
    assert bad.status_code == 400 and "alerts" in bad.json()
    assert Postmortem.objects.count() == 1


def test_the_demo_post_mortems_are_there_and_the_embargoed_one_stays_with_its_provider(db):
    from django.core.management import call_command

    from runbooks.models import ActionItem, RunbookUse
    from runbooks.services.people import ensure_user

    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    assert Postmortem.objects.count() == 3
    assert ActionItem.objects.count() == 4 and RunbookUse.objects.count() == 4
    bob = ensure_user("bob", actor=SYSTEM)
    seen = set(Postmortem.objects.visible_to(bob).values_list("title", flat=True))
    assert "Kubelets cut off by an expired intermediate certificate" not in seen
    assert "Ceph OSDs flapping after a switch firmware update" in seen


def test_a_post_mortem_started_from_an_alert_takes_its_window_links_and_timeline(
    alice, bob, provider_a, osd_runbook
):
    from runbooks.models import Alert

    def alert(name, n, start, end=None, runbook=None):
        return Alert.objects.create(
            provider=provider_a,
            source="alertmanager",
            fingerprint=f"f{n}",
            alertname=name,
            status="resolved" if end else "firing",
            starts_at=start,
            ends_at=end,
            last_seen=end or start,
            runbook=runbook,
        )

    first = alert("CephOSDDown", 1, "2026-11-20T02:10:00Z", "2026-11-20T04:40:00Z", osd_runbook)
    alert("CephSlowOps", 2, "2026-11-20T02:30:00Z", "2026-11-20T03:00:00Z")
    page = client_for(alice).get(f"/alerts/{first.pk}/").content.decode()
    assert f"/postmortems/new/?from_alert={first.pk}" in page
    form = client_for(alice).get(f"/postmortems/new/?from_alert={first.pk}").content.decode()
    assert "Incident: CephOSDDown" in form and 'value="2026-11-20T02:10"' in form
    assert "- 2026-11-20 02:10 — CephOSDDown fired — opened “Ceph OSD down”" in form
    assert "- 2026-11-20 02:30 — CephSlowOps fired" in form
    assert "- 2026-11-20 03:00 — CephSlowOps resolved" in form
    saved = client_for(alice).post(
        "/postmortems/new/",
        {
            "title": "OSDs down",
            "provider": provider_a.pk,
            "visibility": "community",
            "incident_start": "2026-11-20T02:10",
            "incident_end": "2026-11-20T04:40",
            "body": "## Summary\n",
            "from_alert": first.pk,
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:300]
    postmortem = Postmortem.objects.get()
    assert list(postmortem.alerts.all()) == [first]
    use = postmortem.runbook_uses.get()
    assert (use.runbook_id, use.revision.number, use.verdict) == (osd_runbook.pk, 2, "")
    # Someone who may not see the alert cannot start from it.
    assert client_for(bob).get(f"/postmortems/new/?from_alert={first.pk}").status_code == 404
