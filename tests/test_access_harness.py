"""No page answers 200 with content its persona may not see (DESIGN §3). See tests/access.py."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from runbooks.choices import Kind
from tests import access
from tests.conftest import client_for

REFUSED = {401, 403, 404, 405}


def _patterns(resolver=None, namespace=""):
    """(name, pattern) for every named URL pattern outside the admin site."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def _kind_of(name: str) -> str | None:
    bare = name.split(":")[-1]
    return next((k for k in Kind.values if bare.startswith(f"{k}-")), None)


def _params(pattern) -> set[str]:
    return set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)


def _url_for(name, pattern, secret, provider):
    """The pattern's URL aimed at `secret`, or None when the pattern is not about it."""
    params = _params(pattern)
    kind = _kind_of(name)
    kwargs = {}
    if kind:
        if secret.kind != kind:
            return None
        action = access.action_of(name.split(":")[-1], kind)
        kwargs.update(access.EXTRA_KWARGS.get(action, {}))
        if "slug" in params:
            kwargs["slug"] = secret.slug
        query = access.QUERY.get(action, "")
    else:
        builder = access.OTHER_OBJECTS.get(name)
        if builder:
            kwargs.update(builder(secret, provider))
        query = ""
    missing = params - set(kwargs)
    assert not missing, f"URL pattern {name!r} needs {missing}: describe it in tests/access.py"
    return reverse(name, kwargs=kwargs) + query


def _refused(response) -> bool:
    if response.status_code in REFUSED:
        return True
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture
def secrets(provider_a, alice):
    return access.make_secrets(provider_a, alice)


def test_every_page_hides_private_content_from_those_who_may_not_see_it(
    personas, secrets, provider_a
):
    checked = 0
    for name, pattern in _patterns():
        if name in access.OPEN:
            continue
        for secret_name, secret in secrets.items():
            url = _url_for(name, pattern, secret, provider_a)
            if url is None:
                continue
            about_secret = _kind_of(name) is not None and "slug" in _params(pattern)
            for persona, user in personas.items():
                client = client_for(user)
                response = client.get(url)
                body = response.content.decode(errors="replace")
                may_see = persona in access.SEERS[secret_name]
                if not may_see:
                    assert secret.title not in body, f"{persona} sees {secret_name} at {url}"
                    assert "SECRET-BODY" not in body, f"{persona} sees a secret body at {url}"
                    if about_secret:
                        assert _refused(response), f"{persona} got {response.status_code} at {url}"
                        post = client.post(url, {"title": "x", "body": "y"})
                        assert _refused(post), f"{persona} POST got {post.status_code} at {url}"
                elif (
                    about_secret and access.action_of(name, _kind_of(name)) not in access.POST_ONLY
                ):
                    # The check could fail: those who may see it do get the page (alice, the
                    # author, may also change it; a reader may be refused a change with 403).
                    expected = {200} if persona == "alice" else {200, 403}
                    assert response.status_code in expected, (
                        f"{persona} got {response.status_code} at {url}"
                    )
                checked += 1
    assert checked > 0


def test_every_url_pattern_is_described(db):
    """A page the harness does not know about fails here, so nobody forgets to add it."""
    for name, pattern in _patterns():
        if name in access.OPEN or not _params(pattern):
            continue
        assert _kind_of(name) or name in access.OTHER_OBJECTS, (
            f"URL pattern {name!r} takes arguments the harness cannot fill: "
            "describe it in tests/access.py"
        )
