"""No page answers 200 with content its persona may not see (DESIGN §3). See tests/access.py."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from runbooks.models import Tag
from runbooks.services import events
from tests import access
from tests.conftest import client_for

REFUSED = {401, 403, 404, 405}


def _to_login(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


def _refused(response) -> bool:
    return response.status_code in REFUSED or _to_login(response)


@pytest.fixture
def secrets(provider_a, alice, personas):
    made = access.make_secrets(provider_a, alice)
    secret_tag = Tag.objects.get(slug="secret-tag")
    for user in filter(None, personas.values()):  # the home page lists changes to what one watches
        events.watch(user, provider=provider_a)
        events.watch(user, tag=secret_tag)
    return made


@pytest.fixture
def clients(personas):
    """One client per persona, signed in once and reused for every URL of a test."""
    return {persona: client_for(user) for persona, user in personas.items()}


# Every pattern that shows document content, checked one pattern per test.
CHECKED = [
    (name, pattern)
    for name, pattern in access.patterns()
    if name not in access.OPEN and name not in access.PERSONAL_OBJECTS
]


@pytest.mark.parametrize("name,pattern", CHECKED, ids=[name for name, _ in CHECKED])
def test_every_page_hides_private_content_from_those_who_may_not_see_it(
    clients, secrets, provider_a, name, pattern
):
    for secret_name, secret in secrets.items():
        url = access.url_for(name, pattern, secret, provider_a)
        if url is None:
            continue
        about_secret = (
            access.kind_of(name) is not None and "slug" in access.params(pattern)
        ) or name in access.GUARDED
        for persona, client in clients.items():
            response = client.get(url)
            body = response.content.decode(errors="replace")
            may_see = persona in access.SEERS[secret_name]
            if not may_see:
                assert secret.title not in body, f"{persona} sees {secret_name} at {url}"
                assert f"SECRET-BODY {secret.title}" not in body, (
                    f"{persona} sees a secret body at {url}"
                )
                assert f"SECRET-COMMENT on {secret.title}" not in body, (
                    f"{persona} sees a comment on a secret at {url}"
                )
                if about_secret:
                    assert _refused(response), f"{persona} got {response.status_code} at {url}"
                    post = client.post(url, {"title": "x", "body": "y"})
                    assert _refused(post), f"{persona} POST got {post.status_code} at {url}"
            elif (
                about_secret
                and access.kind_of(name)
                and access.action_of(name, access.kind_of(name)) not in access.POST_ONLY
            ):
                # The check could fail: those who may see it do get the page (alice, the
                # author, may also change it; a reader may be refused a change with 403).
                expected = {200} if persona == "alice" else {200, 403}
                assert response.status_code in expected, (
                    f"{persona} got {response.status_code} at {url}"
                )


def test_the_harness_checks_every_kind_of_page():
    """The check could fail: the parametrized list above covers pages, API routes and links."""
    names = {name for name, _ in CHECKED}
    assert {"runbook-detail", "api-runbook-detail", "alert-link", "alert-detail"} <= names


def test_nobody_but_the_owner_reaches_what_is_personal(personas):
    """alice's own things (her API tokens): everyone else gets 404 or the login page."""
    alice = personas["alice"]
    for name, builder in access.PERSONAL_OBJECTS.items():
        mine = access.make_personal(alice)
        url = reverse(name, kwargs=builder(mine))
        before = {key: model_to_dict(thing) for key, thing in mine.items()}
        for persona, user in personas.items():
            if persona == "alice":
                continue
            client = client_for(user)
            response = client.get(url)
            assert _refused(response), f"{persona} got {response.status_code} at {url}"
            post = client.post(url)
            hidden = post.status_code == 404 or _to_login(post)
            assert hidden, f"{persona} POST got {post.status_code} at {url}"
            for answer in (response, post):
                assert "SECRET" not in answer.content.decode(errors="replace")
        for thing in mine.values():
            thing.refresh_from_db()
        after = {key: model_to_dict(thing) for key, thing in mine.items()}
        assert after == before, f"someone else changed alice's things at {url}"
        # The check could fail: alice herself does get through.
        assert not _refused(client_for(alice).post(url)), f"alice is refused at {url}"


def test_every_url_pattern_is_described(db):
    """A page the harness does not know about fails here, so nobody forgets to add it."""
    for name, pattern in access.patterns():
        if name in access.OPEN or not access.params(pattern):
            continue
        described = access.OTHER_OBJECTS.keys() | access.PERSONAL_OBJECTS.keys()
        assert access.kind_of(name) or name in described, (
            f"URL pattern {name!r} takes arguments the harness cannot fill: "
            "describe it in tests/access.py"
        )
