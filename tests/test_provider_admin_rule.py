"""One rule, one place: who administers a provider (`visibility.administers`) is decided once;
the services ask it and refuse with NotAllowed, the pages call the services and answer 403.
For every persona the pages answer as the services do; and the API fetches documents through
`access.get_document` like the pages, keeping its answers (401 for a hidden document asked
anonymously, 404 for anyone else, 403 with the rule's reason)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from runbooks.actors import SYSTEM
from runbooks.choices import Visibility
from runbooks.models import ChatTarget, Provider, Role, Scope
from runbooks.services import chat, people, tokens
from runbooks.services.base import NotAllowed
from tests.api import ApiClient
from tests.conftest import PASSWORD, client_for

# Who administers provider A: its admin, and the site's operators; not moderators (staff).
ADMINISTERS = {
    "superuser": True,
    "staff": False,
    "admin": True,
    "editor": False,
    "other admin": False,
    "reader": False,
    "anonymous": False,
}


@pytest.fixture
def persona(request, alice, dave, erin, carol, provider_b):
    name = request.param
    if name == "superuser":
        return people.ensure_user("root", PASSWORD, is_superuser=True, actor=SYSTEM)
    if name == "other admin":
        frank = people.ensure_user("frank", PASSWORD, actor=SYSTEM)
        people.set_membership(provider_b, frank, Role.ADMIN, actor=SYSTEM)
        return frank
    users = {"staff": carol, "admin": erin, "editor": alice, "reader": dave}
    return users.get(name, AnonymousUser())


@pytest.fixture(autouse=True)
def chat_rooms_anywhere(settings):
    settings.OPENOPS_CHAT_ALLOW_PRIVATE = True  # no name lookups in this test


def _service_allows(call) -> bool:
    try:
        call()
    except NotAllowed:
        return False
    return True


def _client(user):
    return client_for(user if user.is_authenticated else None)


def _refused(response) -> bool:
    """403, or the sign-in page for an anonymous visitor."""
    if response.status_code == 302 and "/login/" in response["Location"]:
        return True
    return response.status_code == 403


@pytest.mark.parametrize("persona", list(ADMINISTERS), indirect=True)
def test_the_status_page_answers_as_its_service(persona, provider_a, request):
    expected = ADMINISTERS[request.node.callspec.params["persona"]]
    url = f"/providers/{provider_a.slug}/status-page/"
    response = _client(persona).post(url, {"status_page_url": "https://status.a.example/"})
    saved = Provider.objects.get(pk=provider_a.pk).status_page_url
    assert (not _refused(response), saved == "https://status.a.example/") == (expected, expected)
    allowed = _service_allows(
        lambda: people.set_status_page(provider_a, "https://s.example/", actor=persona)
    )
    assert allowed == expected
    page = _client(persona).get(f"/providers/{provider_a.slug}/").content.decode()
    assert ('name="status_page_url"' in page) == expected


@pytest.mark.parametrize("persona", list(ADMINISTERS), indirect=True)
def test_the_chat_page_answers_as_its_service(persona, provider_a, request):
    expected = ADMINISTERS[request.node.callspec.params["persona"]]
    url = f"/providers/{provider_a.slug}/chat/"
    page = _client(persona).get(f"/providers/{provider_a.slug}/").content.decode()
    assert ('href="chat/"' in page) == expected
    assert _refused(_client(persona).get(url)) is not expected
    room = {"kind": "webhook", "name": "ops", "url": "https://hooks.example/a"}
    response = _client(persona).post(url, {**room, "events": ["comment"]})
    assert _refused(response) is not expected
    assert ChatTarget.objects.filter(provider=provider_a).exists() == expected
    allowed = _service_allows(
        lambda: chat.add_target(provider_a, actor=persona, **room, events=["published"])
    )
    assert allowed == expected


@pytest.mark.parametrize("persona", list(ADMINISTERS), indirect=True)
def test_members_and_provider_tokens_follow_the_same_rule(persona, provider_a, dave, request):
    expected = ADMINISTERS[request.node.callspec.params["persona"]]
    role = _service_allows(
        lambda: people.set_membership(provider_a, dave, Role.EDITOR, actor=persona)
    )
    token = _service_allows(
        lambda: tokens.issue_token(
            name="alerts", scopes=[Scope.ALERTS_WRITE], provider=provider_a, actor=persona
        )
    )
    assert (role, token) == (expected, expected)


# --- The API fetches documents as the pages do ------------------------------------------------


@pytest.fixture
def private(alice, make_runbook, provider_a):
    return make_runbook(alice, title="Private", provider=provider_a, visibility="provider")


def api(user) -> ApiClient:
    scopes = [Scope.READ, Scope.WRITE]
    return ApiClient(token=tokens.issue_token(name="t", scopes=scopes, user=user, actor=SYSTEM)[1])


def test_the_api_keeps_its_answers_for_what_a_caller_may_not_see_or_do(
    private, alice, bob, dave, make_runbook
):
    url = f"/api/v1/runbooks/{private.slug}/"
    assert ApiClient().get(url).status_code == 401
    assert ApiClient().get("/api/v1/runbooks/no-such/").status_code == 401
    assert ApiClient(bob).get(url).status_code == 404
    assert ApiClient(dave).get(url).status_code == 200
    refused = api(dave).patch(url, {"title": "Mine now", "base_revision": 1})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You may read this document but not change it."}
    public = make_runbook(alice, title="Public", visibility=Visibility.PUBLIC)
    deleted = api(bob).delete(f"/api/v1/runbooks/{public.slug}/")
    assert deleted.status_code == 403
    assert deleted.json() == {"detail": "Only admins of the document's provider delete it."}
