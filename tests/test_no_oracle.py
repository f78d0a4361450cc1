"""No existence oracle at alert links (issue 31, DESIGN §4): signed out, every `/r/` and resolve
answer that is not a public runbook is the same — status, page and number of queries —
whether a private runbook, a draft, a community runbook or nothing stands behind the link.
Signed in, nothing changes: members open their runbook, others get the miss page."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from runbooks.actors import SYSTEM
from runbooks.choices import Status, Visibility
from runbooks.models import RunbookMiss
from runbooks.services import routes
from tests.api import ApiClient
from tests.conftest import client_for

# Twenty alert names of one length (so that a page naming one has the bytes of any other).
PRIVATE_A = [f"PrivA{i}" for i in range(3)]  # provider A's members-only runbooks
PRIVATE_B = [f"PrivB{i}" for i in range(2)]  # provider B's: mixed providers
DRAFTS = [f"Draft{i}" for i in range(5)]  # provider A's public runbooks, not yet published
COMMUNITY = [f"Commu{i}" for i in range(5)]  # for signed-in users, community routes
NOTHING = [f"Nones{i}" for i in range(5)]  # no route at all
NAMES = PRIVATE_A + PRIVATE_B + DRAFTS + COMMUNITY + NOTHING

# Every form of link, with and without a component and a provider, and with labels.
FORMS = [
    "/r/{name}",
    "/r/{name}/",
    "/r/{name}?provider=provider-a",
    "/r/{name}?provider=provider-b&hostname=stor07",
    "/r/ceph/{name}?provider=provider-a&ceph_daemon=osd.7",
    "/r/ceph/{name}",
    "/r/?alertname={name}&provider=provider-a",
    "/r/?alertname={name}&component=ceph&severity=critical",
]


@pytest.fixture
def behind(alice, bob, carol, provider_a, provider_b, make_runbook):
    """A runbook behind every name but the last five, each routed for its provider."""

    def routed(names, author, **fields):
        runbook = make_runbook(author, title=f"Behind {names[0]}", component="ceph", **fields)
        for name in names:
            routes.save_route(
                alertname=name, runbook=runbook, provider=fields.get("provider"), actor=SYSTEM
            )
        return runbook

    private = {"visibility": Visibility.PROVIDER}
    routed(PRIVATE_A, alice, provider=provider_a, **private)
    routed(PRIVATE_B, bob, provider=provider_b, **private)
    routed(DRAFTS, alice, provider=provider_a, status=Status.DRAFT)
    routed(COMMUNITY, carol, visibility=Visibility.COMMUNITY)


def _answer(client, url: str, name: str):
    """Status, the body with the alert's name taken out, and the number of queries."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url.format(name=name))
    body = response.content.decode().replace(name, "NAME")
    body = re.sub(r'(csrfmiddlewaretoken" value=|nonce=)"[^"]*"', r'\1""', body)
    return response.status_code, body, len(queries)


@pytest.mark.parametrize("form", FORMS)
def test_signed_out_twenty_names_get_one_answer(behind, form):
    answers = {name: _answer(Client(), form, name) for name in NAMES}
    distinct = set(answers.values())
    assert len(distinct) == 1, {name: answer[::2] for name, answer in answers.items()}
    status, page, _ = distinct.pop()
    assert status == 404
    assert "No public runbook answers this alert. Sign in to look for your provider" in page
    assert "opens your provider's runbook" not in page
    assert not RunbookMiss.objects.exists()  # nobody's miss list grows from outside


def test_the_sign_in_link_comes_back_to_the_same_link(behind):
    page = Client().get("/r/PrivA0?provider=provider-a&hostname=stor07").content.decode()
    login = re.search(r'href="(/accounts/login/\?next=[^"]+)"', page).group(1)
    assert parse_qs(urlsplit(login.replace("&amp;", "&")).query)["next"] == [
        "/r/PrivA0?provider=provider-a&hostname=stor07"
    ]


def test_signed_out_the_resolve_api_answers_alike(behind):
    answers = set()
    for name in NAMES:
        with CaptureQueriesContext(connection) as queries:
            response = ApiClient().get(f"/api/v1/resolve/?alertname={name}&provider=provider-a")
        answers.add(
            (response.status_code, response.content.replace(name.encode(), b"N"), len(queries))
        )
    assert len(answers) == 1, answers
    assert answers.pop()[0] == 401


def test_signed_in_nothing_changes(behind, alice, bob):
    member = client_for(alice).get("/r/PrivA0?hostname=stor07")
    assert member.status_code == 302 and "label.hostname=stor07" in member["Location"]
    assert client_for(alice).get("/r/Draft0").status_code == 302
    assert client_for(bob).get("/r/Commu0").status_code == 302  # community: any signed-in user
    other = client_for(bob).get("/r/PrivA0?provider=provider-a")  # not his: the miss page
    nothing = client_for(bob).get("/r/Nones0?provider=provider-a")
    assert other.status_code == nothing.status_code == 404
    assert "No runbook for <code>PrivA0</code> yet" in other.content.decode()
    assert not RunbookMiss.objects.exists()  # provider A's misses are not bob's to count
    client_for(alice).get("/r/Nones0")
    assert RunbookMiss.objects.get().provider.slug == "provider-a"
