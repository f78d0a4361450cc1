"""Search ranks a bounded candidate set (issue 32, `runbooks/search/candidates.py`): past
CANDIDATES visible matches it says "more than" instead of counting and ranking every match;
below it the count is exact. The set is taken from what the visitor may see, so another
provider's private matches never change what anyone else is told; a title or an alert name
still comes first; pages of one search never overlap. CANDIDATES is made small here so that a
handful of runbooks crosses it; SQLite here, PostgreSQL when DATABASE_URL says so."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from runbooks.actors import SYSTEM
from runbooks.choices import Visibility
from runbooks.search import candidates
from runbooks.services import routes
from tests.conftest import client_for

LIMIT = 5


@pytest.fixture
def small_pool(monkeypatch):
    monkeypatch.setattr(candidates, "CANDIDATES", LIMIT)


def searched(user, query, **params) -> dict:
    response = client_for(user).get("/api/v1/search/", {"q": query, **params})
    assert response.status_code == 200, response.content[:300]
    return response.json()


def _without_ranks(found: dict) -> dict:
    return found | {"results": [{**r, "rank": None} for r in found["results"]]}


def numbats(author, make_runbook, count, start=0, **kwargs):
    return [
        make_runbook(author, title=f"Runbook {n:02}", body=f"The numbat step {n}.\n", **kwargs)
        for n in range(start, start + count)
    ]


def test_at_the_bound_the_count_is_exact(small_pool, alice, make_runbook):
    numbats(alice, make_runbook, LIMIT)
    found = searched(None, "numbat")
    assert (found["count"], found["more"], found["counts"]) == (LIMIT, False, {"runbook": LIMIT})
    page = client_for(None).get("/search/", {"q": "numbat"}).content.decode()
    assert f"{LIMIT} results for" in page and "More than" not in page


def test_one_match_past_the_bound_says_more_than(small_pool, alice, make_runbook):
    numbats(alice, make_runbook, LIMIT + 1)
    found = searched(None, "numbat")
    assert (found["count"], found["more"]) == (LIMIT, True)
    assert len(found["results"]) == LIMIT
    page = client_for(None).get("/search/", {"q": "numbat"}).content.decode()
    assert f"More than {LIMIT} results for" in page and f"All {LIMIT}+" in page


def test_another_providers_private_matches_change_nothing_anyone_else_is_told(
    small_pool, alice, bob, provider_b, make_runbook
):
    public = numbats(alice, make_runbook, 3)
    before = {who: searched(who, "numbat") for who in (None, alice)}
    # Newer than the public ones, so they would come first in the candidates' order.
    private = [
        make_runbook(
            bob,
            title=f"Numbat private {n}",
            body="numbat\n",
            provider=provider_b,
            visibility=Visibility.PROVIDER,
        )
        for n in range(2 * LIMIT)
    ]
    for who in (None, alice):
        found = searched(who, "numbat")
        assert (found["count"], found["more"], found["counts"]) == (3, False, {"runbook": 3})
        assert {r["slug"] for r in found["results"]} == {d.slug for d in public}
        # Ranks may move (the databases weigh words by the whole index), the answer may not.
        assert _without_ranks(found) == _without_ranks(before[who])
        page = client_for(who).get("/search/", {"q": "numbat"}).content.decode()
        assert "3 results for" in page and "More than" not in page and "private" not in page
    # The check could fail: bob, who may see them, is told there are more.
    assert searched(bob, "numbat")["more"] is True
    assert private


def test_a_title_or_an_alert_name_comes_first_past_the_bound(small_pool, alice, make_runbook):
    titled = make_runbook(alice, title="Numbat burrow", body="Dig.\n")
    routed = make_runbook(alice, title="Marsupials", body="Count them.\n")
    routes.save_route(actor=SYSTEM, alertname="QuollDown", runbook=routed)
    for n in range(3 * LIMIT):  # newer, and matching in their text only
        make_runbook(alice, title=f"Other {n}", body="numbat burrow, then QuollDown again.\n")
    assert searched(alice, "numbat burrow")["results"][0]["slug"] == titled.slug
    assert searched(alice, "QuollDown")["results"][0]["slug"] == routed.slug
    assert searched(alice, "numbat burrow")["more"] is True


def test_pages_of_the_bounded_set_neither_overlap_nor_leave_gaps(
    small_pool, monkeypatch, alice, make_runbook
):
    monkeypatch.setattr(candidates, "CANDIDATES", 7)
    numbats(alice, make_runbook, 10)
    seen = []
    for number in (1, 2, 3):
        found = searched(alice, "numbat", page=number, page_size=3)
        assert (found["count"], found["more"]) == (7, True)
        seen += [r["slug"] for r in found["results"]]
    assert len(seen) == len(set(seen)) == 7
    assert searched(alice, "numbat", page=2, page_size=3)["next"]
    last = searched(alice, "numbat", page=3, page_size=3)
    assert last["next"] is None and len(last["results"]) == 1
    beyond = searched(alice, "numbat", page=9, page_size=3)  # past the end: the last page
    assert [r["slug"] for r in beyond["results"]] == seen[6:]


def test_a_kind_past_the_bound_has_its_own_candidates(small_pool, alice, make_runbook):
    from runbooks.choices import Kind
    from runbooks.services import documents

    report = make_runbook(alice, title="Numbat report", body="numbat\n", kind=Kind.REPORT)
    documents.publish(report, actor=alice, visibility=Visibility.PUBLIC)
    numbats(alice, make_runbook, 2 * LIMIT)  # newer: the report is not among the first
    assert searched(alice, "numbat")["more"] is True
    only = searched(alice, "numbat", kind="report")
    assert (only["count"], only["more"]) == (1, False)
    assert [r["slug"] for r in only["results"]] == [report.slug]


def test_the_queries_do_not_grow_with_the_matches(small_pool, alice, make_runbook):
    def queries(query):
        client = client_for(alice)
        client.get("/api/v1/search/", {"q": query})  # the session, once
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/search/", {"q": query}).status_code == 200
        return len(captured)

    numbats(alice, make_runbook, 2)
    few = queries("numbat")
    numbats(alice, make_runbook, 4 * LIMIT, start=2)
    assert queries("numbat") == few
