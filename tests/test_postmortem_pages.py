"""Post-mortems in the pages (issue 13, last part): asking colleagues to review, the runbooks
used and their verdicts, action-item status, linked alerts, starting from a runbook opened by
an alert link, and clearing a field (a form left empty, JSON null)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import ActionItem, Alert, Postmortem, Runbook, Scope
from runbooks.services import documents, tokens
from runbooks.services import postmortems as postmortem_services
from tests.api import ApiClient, validate
from tests.conftest import client_for


@pytest.fixture
def postmortem(alice, provider_a):
    return documents.create_document(
        actor=alice,
        kind=Kind.POSTMORTEM,
        title="Scheduler outage",
        body="## Summary\n",
        provider=provider_a,
        incident_start=timezone.now() - timedelta(hours=3),
        incident_end=timezone.now() - timedelta(hours=1),
    )


@pytest.fixture
def runbook(alice, make_runbook):
    runbook = make_runbook(alice, title="Ceph OSD down")  # community, public
    documents.add_revision(runbook, actor=alice, title=runbook.title, body="v2", base_revision=1)
    return runbook


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


# --- In review: a request to the colleagues of the same provider ------------------------------


def test_asking_for_review_shows_the_draft_to_colleagues_and_to_nobody_else(
    alice, dave, bob, erin, postmortem
):
    url = postmortem.get_absolute_url()
    page = client_for(alice).get(url).content.decode()
    assert "Ask for review" in page and 'action="status/"' in page
    response = client_for(alice).post(url + "status/", {"status": "in_review"}, follow=True)
    assert "Asked the colleagues" in _messages(response)
    assert Postmortem.objects.get().status == Status.IN_REVIEW
    assert "In review." in response.content.decode()

    for colleague in (dave, erin):  # a reader and an admin of the provider are asked
        home = client_for(colleague).get("/").content.decode()
        assert "Waiting for your review" in home and "Scheduler outage" in home
    assert "Waiting for your review" not in client_for(alice).get("/").content.decode()  # own
    assert "Scheduler outage" not in client_for(bob).get("/").content.decode()
    assert client_for(bob).get(url).status_code == 404
    assert client_for(bob).post(url + "status/", {"status": "draft"}).status_code == 404


def test_status_buttons_follow_the_rules(alice, dave, erin, bob, postmortem):
    url = postmortem.get_absolute_url()
    # A reader sees the draft but may not move it: 403, nothing changes.
    assert client_for(dave).post(url + "status/", {"status": "in_review"}).status_code == 403
    assert "Ask for review" not in client_for(dave).get(url).content.decode()
    # Publishing is its own page, never a status button.
    released = client_for(alice).post(url + "status/", {"status": "published"})
    assert released.status_code == 302 and released.url == url + "publish/"
    assert Postmortem.objects.get().status == Status.DRAFT
    assert client_for(alice).post(url + "status/", {"status": "bogus"}).status_code == 302
    assert Postmortem.objects.get().status == Status.DRAFT
    documents.publish(postmortem, actor=alice, visibility=Visibility.PUBLIC)
    assert "Archive" in client_for(erin).get(url).content.decode()
    response = client_for(erin).post(url + "status/", {"status": "archived"}, follow=True)
    assert "Archived" in _messages(response)
    assert Postmortem.objects.get().status == Status.ARCHIVED
    # Archived stays readable outside the provider.
    assert client_for(bob).get(url).status_code == 200
    client_for(alice).post(url + "status/", {"status": "published"})
    assert Postmortem.objects.get().status == Status.PUBLISHED


def test_an_editor_who_may_not_publish_cannot_take_a_colleagues_post_mortem_back(
    alice, provider_a, postmortem
):
    from tests.conftest import _member

    frank = _member("frank", provider_a, "editor")
    documents.publish(postmortem, actor=alice, visibility=Visibility.PUBLIC)
    documents.set_status(postmortem, Status.ARCHIVED, actor=alice)
    url = postmortem.get_absolute_url()
    # Between archived and published is an edit; back to draft takes it back: the author's.
    assert "Take out of the archive" in client_for(frank).get(url).content.decode()
    assert client_for(frank).post(url + "status/", {"status": "draft"}).status_code == 403
    assert Postmortem.objects.get().status == Status.ARCHIVED


# --- Runbooks used, in the page ---------------------------------------------------------------


def _uses_form(rows: list[dict]) -> dict:
    data = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": 0}
    for i, row in enumerate(rows):
        data |= {f"form-{i}-{name}": value for name, value in row.items()}
    return data


def test_the_page_names_the_runbooks_used_and_judges_them(alice, postmortem, runbook):
    url = postmortem.get_absolute_url()
    assert 'action="runbooks-used/"' in client_for(alice).get(url).content.decode()
    rows = [{"runbook": runbook.slug, "revision": "", "verdict": "outdated"}]
    response = client_for(alice).post(url + "runbooks-used/", _uses_form(rows), follow=True)
    assert "Runbooks used saved." in _messages(response)
    use = postmortem.runbook_uses.get()
    assert (use.revision.number, use.verdict) == (2, "outdated")  # current at the incident
    # A bad verdict on the current revision of a community runbook: it counts once every
    # signed-in user may read the post-mortem (issue 29), not while it is A's draft.
    assert not Runbook.objects.get(pk=runbook.pk).stale
    documents.publish(postmortem, actor=alice, visibility=Visibility.COMMUNITY)
    assert Runbook.objects.get(pk=runbook.pk).stale
    page = response.content.decode()
    assert "Ceph OSD down" in page and "verdict-outdated" in page

    rows = [{"runbook": runbook.slug, "revision": "1", "verdict": "helped"}, {"runbook": ""}]
    client_for(alice).post(url + "runbooks-used/", _uses_form(rows))
    use = postmortem.runbook_uses.get()
    assert (use.revision.number, use.verdict) == (1, "helped")

    rows = [{"runbook": runbook.slug, "revision": "1", "verdict": "helped", "DELETE": "on"}]
    client_for(alice).post(url + "runbooks-used/", _uses_form(rows))
    assert not postmortem.runbook_uses.exists()


@pytest.mark.parametrize(
    "row,problem",
    [
        ({"runbook": "no-such-runbook", "verdict": "helped"}, "There is no runbook"),
        ({"revision": "9", "verdict": "wrong"}, "has no revision 9"),
        ({"verdict": "splendid"}, "verdict"),
        ({"revision": "99999999999", "verdict": ""}, "revision"),
        ({"runbook": "not a slug!", "verdict": ""}, "runbook"),
    ],
)
def test_a_bad_row_changes_nothing_and_says_why(alice, postmortem, runbook, row, problem):
    postmortem_services.set_runbooks_used(
        postmortem, [{"runbook": runbook.slug, "verdict": "helped"}], actor=alice
    )
    url = postmortem.get_absolute_url() + "runbooks-used/"
    rows = _uses_form([{"runbook": runbook.slug, **row}])
    said = _messages(client_for(alice).post(url, rows, follow=True))
    assert "not saved" in said and problem in said, said
    assert postmortem.runbook_uses.get().verdict == "helped"


def test_a_runbook_of_another_provider_cannot_be_named_and_one_hidden_later_stays_hidden(
    alice, bob, provider_a, provider_b, postmortem, make_runbook
):
    theirs = make_runbook(bob, title="Bob's secret", provider=provider_b, visibility="provider")
    rows = [{"runbook": theirs.slug, "verdict": "helped"}]
    url = postmortem.get_absolute_url()
    response = client_for(alice).post(url + "runbooks-used/", _uses_form(rows), follow=True)
    assert "There is no runbook" in _messages(response)
    assert not postmortem.runbook_uses.exists()

    ours = make_runbook(alice, title="Our private one", provider=provider_a, visibility="public")
    postmortem_services.set_runbooks_used(
        postmortem, [{"runbook": ours.slug, "verdict": "helped"}], actor=alice
    )
    documents.publish(postmortem, actor=alice, visibility=Visibility.PUBLIC)
    Runbook.objects.filter(pk=ours.pk).update(visibility=Visibility.PROVIDER)
    page = client_for(bob).get(url).content.decode()
    assert "Our private one" not in page and "1 runbook you may not read" in page
    assert 'action="runbooks-used/"' not in page


# --- Action items and linked alerts -----------------------------------------------------------


def test_action_item_status_is_set_in_the_page_by_editors_only(alice, dave, postmortem):
    item = postmortem_services.add_action_item(postmortem, actor=alice, title="Add disk alert")
    url = f"{postmortem.get_absolute_url()}action-items/{item.pk}/"
    assert client_for(dave).post(url, {"status": "done"}).status_code == 403
    assert client_for(alice).post(url, {"status": "nonsense"}).status_code == 302
    assert ActionItem.objects.get().status == "open"
    assert "Add disk alert" in client_for(alice).get("/action-items/").content.decode()
    response = client_for(alice).post(url, {"status": "done"}, follow=True)
    assert "is now done" in _messages(response)
    assert ActionItem.objects.get().status == "done"
    assert "Add disk alert" not in client_for(alice).get("/action-items/").content.decode()
    other = f"{postmortem.get_absolute_url()}action-items/{item.pk + 1}/"
    assert client_for(alice).post(other, {"status": "done"}).status_code == 404


def test_linked_alerts_show_to_members_and_only_a_count_to_others(
    alice, bob, provider_a, postmortem
):
    alert = Alert.objects.create(
        provider=provider_a,
        source="alertmanager",
        fingerprint="f1",
        alertname="SchedulerQueueStuck",
        status="firing",
        starts_at=timezone.now() - timedelta(hours=2),
        last_seen=timezone.now(),
    )
    postmortem_services.set_linked_alerts(postmortem, [alert.pk], actor=alice)
    documents.publish(postmortem, actor=alice, visibility=Visibility.PUBLIC)
    url = postmortem.get_absolute_url()
    assert f'href="/alerts/{alert.pk}/"' in client_for(alice).get(url).content.decode()
    page = client_for(bob).get(url).content.decode()
    assert "SchedulerQueueStuck" not in page and "1 alert received by" in page


# --- Start a post-mortem from a runbook opened by an alert link -------------------------------


def test_a_runbook_opened_from_a_received_alert_starts_a_post_mortem_from_that_alert(
    alice, bob, provider_a, runbook
):
    from runbooks.services import routes

    routes.save_route(actor=alice, runbook=runbook, alertname="CephOSDDown", provider=None)
    received = Alert.objects.create(
        provider=provider_a,
        source="alertmanager",
        fingerprint="f7",
        alertname="CephOSDDown",
        labels={"alertname": "CephOSDDown", "hostname": "stor07"},
        status="firing",
        starts_at=timezone.now() - timedelta(minutes=30),
        last_seen=timezone.now(),
        runbook=runbook,
    )
    opened = client_for(alice).get("/r/CephOSDDown?hostname=stor07", follow=True)
    assert f"/postmortems/new/?from_alert={received.pk}" in opened.content.decode()
    # bob's provider did not receive it: he may start one from the runbook itself.
    page = client_for(bob).get("/r/CephOSDDown?hostname=stor07", follow=True).content.decode()
    assert f"/postmortems/new/?from_runbook={runbook.slug}" in page
    # Readers who may write nothing are not offered it.
    assert (
        "Start a post-mortem"
        not in client_for(None).get("/r/CephOSDDown", follow=True).content.decode()
    )


def test_a_post_mortem_started_from_a_runbook_pins_its_current_revision(
    bob, provider_b, runbook, make_runbook, alice, provider_a
):
    form = client_for(bob).get(
        f"/postmortems/new/?from_runbook={runbook.slug}&title=Incident:+CephOSDDown"
    )
    html = form.content.decode()
    assert 'value="Incident: CephOSDDown"' in html and f'value="{runbook.slug}"' in html
    saved = client_for(bob).post(
        "/postmortems/new/",
        {
            "title": "Incident: CephOSDDown",
            "provider": provider_b.pk,
            "visibility": "community",
            "body": "## Summary\n",
            "from_runbook": runbook.slug,
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:400]
    use = Postmortem.objects.get().runbook_uses.get()
    assert (use.runbook_id, use.revision.number, use.verdict) == (runbook.pk, 2, "")
    hidden = make_runbook(alice, title="Private", provider=provider_a, visibility="provider")
    assert client_for(bob).get(f"/postmortems/new/?from_runbook={hidden.slug}").status_code == 404


# --- Clearing a field -------------------------------------------------------------------------


def test_json_null_and_an_emptied_form_field_clear_a_field(alice, postmortem):
    secret = tokens.issue_token(actor=SYSTEM, name="t", scopes=[Scope.WRITE], user=alice)[1]
    url = f"/api/v1/postmortems/{postmortem.slug}/"
    response = ApiClient(token=secret).patch(url, {"base_revision": 1, "incident_end": None})
    assert validate(response).status_code == 200 and response.json()["incident_end"] is None
    assert Postmortem.objects.get().incident_end is None
    untouched = ApiClient(token=secret).patch(url, {"base_revision": 1, "severity": "minor"})
    assert untouched.json()["incident_start"] is not None  # left out: unchanged

    edit = client_for(alice).get(url.replace("/api/v1", "")[:-1] + "/edit/").context["form"]
    data = {k: v for k, v in edit.initial.items() if v is not None}
    data |= {"incident_start": "", "severity": ""}
    data["affected_services"] = ""
    response = client_for(alice).post(f"/postmortems/{postmortem.slug}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:400]
    cleared = Postmortem.objects.get()
    assert cleared.incident_start is None and cleared.severity == ""


def test_a_field_that_needs_a_value_refuses_null(alice, runbook):
    secret = tokens.issue_token(actor=SYSTEM, name="t", scopes=[Scope.WRITE], user=alice)[1]
    url = f"/api/v1/runbooks/{runbook.slug}/"
    response = ApiClient(token=secret).patch(
        url, {"base_revision": 2, "review_interval_days": None}
    )
    assert validate(response).status_code == 400 and "review_interval_days" in response.json()
