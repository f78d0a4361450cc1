"""Who sees and may do what with a post-mortem (issue 13): every persona against every status,
visibility and embargo, over HTTP — read, list (page and API), edit, publish — and nowhere else
either: a draft or embargoed post-mortem of another provider shows in no tag count, no
feedback count on a runbook page and no search result."""

import itertools
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Postmortem
from runbooks.services import documents
from tests.conftest import client_for

STATUSES = [Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED, Status.ARCHIVED]
VISIBILITIES = [Visibility.PUBLIC, Visibility.COMMUNITY, Visibility.PROVIDER]
EMBARGOES = ["none", "future", "past"]  # only released post-mortems carry one

MEMBERS_OF_A = {"alice", "dave", "erin"}  # editor (the author), reader, admin
EDITORS_OF_A = {"alice", "erin"}
PUBLISHERS = {"alice", "erin"}  # the author, an admin of the provider
PERSONAS = ["alice", "dave", "erin", "bob", "carol", "anonymous"]


def cases():
    for status, visibility in itertools.product(STATUSES, VISIBILITIES):
        released = status in (Status.PUBLISHED, Status.ARCHIVED)
        for embargo in EMBARGOES if released else ["none"]:
            yield status, visibility, embargo


def sees(persona, status, visibility, embargo) -> bool:
    """DESIGN §3, written out again on purpose: the test must not ask the code it checks."""
    if persona in MEMBERS_OF_A:
        return True
    released = status in (Status.PUBLISHED, Status.ARCHIVED)
    if not released or embargo == "future":
        return False
    return visibility == Visibility.PUBLIC or (
        visibility == Visibility.COMMUNITY and persona != "anonymous"
    )


@pytest.fixture
def world(alice, dave, erin, bob, carol, provider_a, make_runbook):
    """One post-mortem of provider A per case, each tagged, searchable and judging one public
    community runbook."""
    runbook = make_runbook(bob, title="Matrix runbook")
    now = timezone.now()
    made = {}
    for status, visibility, embargo in cases():
        postmortem = documents.create_document(
            actor=alice,
            kind=Kind.POSTMORTEM,
            title=f"Matrixcase {status} {visibility} {embargo}",
            body="## Summary\n\nmatrixword\n",
            provider=provider_a,
            visibility=visibility,
            tags=["matrix"],
            runbooks_used=[{"runbook": runbook.slug, "verdict": "helped"}],
        )
        if status in (Status.PUBLISHED, Status.ARCHIVED):
            until = now + timedelta(days=3) if embargo == "future" else None
            documents.publish(postmortem, actor=alice, embargo_until=until)
            if embargo == "past":  # an embargo that has run out since it was set
                Postmortem.objects.filter(pk=postmortem.pk).update(
                    embargo_until=now - timedelta(minutes=1)
                )
        if status in (Status.IN_REVIEW, Status.ARCHIVED):
            documents.set_status(postmortem, status, actor=alice)
        made[(status, visibility, embargo)] = postmortem
    users = {"alice": alice, "dave": dave, "erin": erin, "bob": bob, "carol": carol}
    return made, runbook, users


def _titles(html: str) -> set[str]:
    return set(re.findall(r"Matrixcase [a-z_]+ [a-z]+ [a-z]+", html))


@pytest.mark.parametrize("persona", PERSONAS)
def test_read_edit_and_publish_follow_the_rules_for_every_case(world, persona):
    made, _, users = world
    client = client_for(users.get(persona))
    for case, postmortem in made.items():
        visible = sees(persona, *case)
        url = postmortem.get_absolute_url()
        read = client.get(url).status_code
        assert read == (200 if visible else 404), (persona, case, read)
        for page, allowed in (("edit/", EDITORS_OF_A), ("publish/", PUBLISHERS)):
            code = client.get(url + page).status_code
            if persona == "anonymous":
                expected = 302  # signing in might help
            elif not visible:
                expected = 404
            else:
                expected = 200 if persona in allowed else 403
            assert code == expected, (persona, case, page, code)


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_counts_tags_feedback_and_search_show_exactly_what_may_be_seen(world, persona):
    made, runbook, users = world
    client = client_for(users.get(persona))
    expected = {p.title for case, p in made.items() if sees(persona, *case)}

    assert _titles(client.get("/postmortems/?page=1").content.decode()) == expected
    api = client.get("/api/v1/postmortems/", {"page_size": 200})
    if persona == "anonymous" and not expected:
        assert api.status_code in (200, 401)
    else:
        assert {d["title"] for d in api.json()["results"]} == expected
    assert _titles(client.get("/tags/matrix/").content.decode()) == expected
    tags = client.get("/tags/").content.decode()
    assert re.search(rf'#matrix <span class="muted">{len(expected)}</span>', tags), tags
    found = client.get("/api/v1/search/", {"q": "matrixword", "page_size": 200}).json()
    assert {hit["title"] for hit in found["results"]} == expected
    assert found["counts"].get("postmortem", 0) == len(expected)
    first_page = client.get("/search/", {"q": "matrixword"}).content.decode()
    assert _titles(first_page) <= expected

    page = client.get(runbook.get_absolute_url()).content.decode()
    assert _titles(page) == expected
    count = re.search(r"Used in (\d+) incident", page)
    assert (int(count.group(1)) if count else 0) == len(expected)


def test_the_matrix_covers_every_status_visibility_and_embargo():
    """The check could fail: the cases above are the product of all three."""
    assert len(list(cases())) == 2 * 3 + 2 * 3 * 3
    assert sum(sees(p, *c) for p in PERSONAS for c in cases()) < len(PERSONAS) * 24
