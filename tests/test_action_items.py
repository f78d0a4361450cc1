"""Action items of post-mortems (issue 13, second part): outside the revision history, owned
by members, overdue ones marked, listed at /action-items/; bad input refused by field."""

from datetime import date, timedelta

import pytest

from runbooks.actors import SYSTEM
from runbooks.choices import Kind
from runbooks.models import ActionItem, Scope
from runbooks.services import tokens
from tests.api import ApiClient, validate
from tests.conftest import client_for


def api(user) -> ApiClient:
    secret = tokens.issue_token(actor=SYSTEM, name="t", scopes=[Scope.READ, Scope.WRITE], user=user)
    return ApiClient(token=secret[1])


@pytest.fixture
def postmortem(alice, provider_a, make_runbook):
    return make_runbook(alice, title="Scheduler outage", kind=Kind.POSTMORTEM, provider=provider_a)


def _url(postmortem) -> str:
    return f"/api/v1/postmortems/{postmortem.slug}/action-items/"


def test_an_editor_adds_and_closes_an_action_item_without_a_revision(alice, dave, postmortem):
    item = {"title": "Alert on scheduler queue depth", "owner": "dave", "due_date": "2026-12-15"}
    response = validate(api(alice).post(_url(postmortem), item))
    assert response.status_code == 201, response.json()
    assert response.json()["owner"] == "dave" and response.json()["status"] == "open"
    item_id = response.json()["id"]
    done = validate(api(alice).patch(f"{_url(postmortem)}{item_id}/", {"status": "done"}))
    assert done.status_code == 200 and done.json()["status"] == "done"
    read = validate(api(alice).get(f"/api/v1/postmortems/{postmortem.slug}/")).json()
    assert read["action_items"][0]["title"] == item["title"]
    assert postmortem.revisions.count() == 1


@pytest.mark.parametrize(
    "item,field",
    [
        ({"title": "x", "owner": "bob"}, "owner"),  # not a member of the provider
        ({"title": "x", "owner": "nobody"}, "owner"),
        ({"title": "x", "due_date": "9999-12-31"}, "due_date"),
        ({"title": "x", "tracker_url": "javascript:alert(1)"}, "tracker_url"),
        ({"title": "   "}, "title"),
        ({"title": "x", "status": "maybe"}, "status"),
    ],
)
def test_bad_action_items_are_a_400_naming_the_field(alice, bob, postmortem, item, field):
    response = api(alice).post(_url(postmortem), item)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not ActionItem.objects.exists()


def test_who_may_see_or_change_action_items(alice, bob, dave, postmortem):
    assert api(dave).get(_url(postmortem)).status_code == 200  # a reader reads them
    assert api(dave).post(_url(postmortem), {"title": "x"}).status_code == 403
    assert api(bob).get(_url(postmortem)).status_code == 404  # a draft of another provider
    assert ApiClient().get(_url(postmortem)).status_code == 401
    assert not ActionItem.objects.exists()


def test_the_page_adds_one_and_action_items_lists_the_open_ones(alice, bob, dave, postmortem):
    client = client_for(alice)
    added = client.post(
        f"{postmortem.get_absolute_url()}action-items/",
        {"title": "Rotate the CA", "owner": "alice", "due_date": date.today() - timedelta(days=2)},
    )
    assert added.status_code == 302
    client.post(
        f"{postmortem.get_absolute_url()}action-items/",
        {"title": "Write a runbook", "owner": "dave"},
    )
    page = client.get("/action-items/").content.decode()
    assert page.index("Rotate the CA") < page.index("Write a runbook")  # the owner's own first
    assert "overdue" in page
    assert "Rotate the CA" in client_for(dave).get("/action-items/").content.decode()
    assert "Rotate the CA" not in client_for(bob).get("/action-items/").content.decode()
    assert "Write a runbook" not in client.get("/action-items/?owner=alice").content.decode()
    detail = client.get(postmortem.get_absolute_url()).content.decode()
    assert "Rotate the CA" in detail and "overdue" in detail
