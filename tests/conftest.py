"""Shared fixtures: the personas of every access test, and a few documents to look at.

alice — editor at provider A       bob   — editor at provider B
dave  — reader at provider A       carol — community moderator (staff)
anonymous — nobody signed in
"""

import os
import time

import pytest
import time_machine
from django.test import Client

from runbooks.actors import SYSTEM
from runbooks.choices import Kind
from runbooks.models import Role
from runbooks.services import documents, people

PASSWORD = "persona-password-1"


@pytest.fixture(autouse=True, scope="session")
def static_files_looked_up_on_demand():
    """Every test Client builds its own middleware, and whitenoise would scan every static
    file (the admin's and the API docs' included) each time; look them up on demand instead."""
    from django.conf import settings

    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def base_url(settings):
    """Absolute links as a site with OPENOPS_BASE_URL set writes them (tests of the unset
    case, where the request's address is used, override this)."""
    settings.BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Personas are made for every test; PBKDF2's million rounds would dominate the run."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    """Worker tests need a real broker: they run only when CELERY_BROKER_URL is set."""
    if os.environ.get("CELERY_BROKER_URL"):
        return
    skip = pytest.mark.skip(reason="worker test: set CELERY_BROKER_URL to run it")
    for item in items:
        if item.get_closest_marker("worker"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Everything but the worker tests runs Celery tasks inline, broker or not (DESIGN §2)."""
    from openops.celery import app

    if request.node.get_closest_marker("worker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def provider_a(db):
    return people.create_provider("provider-a", "Provider A", "https://a.example", actor=SYSTEM)[0]


@pytest.fixture
def provider_b(db):
    return people.create_provider("provider-b", "Provider B", actor=SYSTEM)[0]


def _member(username, provider, role):
    user = people.ensure_user(username, PASSWORD, actor=SYSTEM)
    people.set_membership(provider, user, role, actor=SYSTEM)
    return user


@pytest.fixture
def alice(provider_a):
    return _member("alice", provider_a, Role.EDITOR)


@pytest.fixture
def bob(provider_b):
    return _member("bob", provider_b, Role.EDITOR)


@pytest.fixture
def dave(provider_a):
    return _member("dave", provider_a, Role.READER)


@pytest.fixture
def erin(provider_a):
    """Admin at provider A."""
    return _member("erin", provider_a, Role.ADMIN)


@pytest.fixture
def carol(db):
    return people.ensure_user("carol", PASSWORD, is_staff=True, actor=SYSTEM)


@pytest.fixture
def personas(alice, bob, dave, carol):
    """{name: user or None} for table-driven tests; None is the anonymous visitor."""
    return {"alice": alice, "bob": bob, "dave": dave, "carol": carol, "anonymous": None}


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def make_runbook(db):
    """Create a runbook through the service, with sensible defaults."""

    def make(author, title="Ceph OSD down", body="## Meaning\n\nAn OSD stopped.\n", **kwargs):
        return documents.create_document(
            kind=kwargs.pop("kind", Kind.RUNBOOK), title=title, body=body, actor=author, **kwargs
        )

    return make


@pytest.fixture
def stalling_markdown(monkeypatch):
    """A Markdown text that the renderer never finishes (tests/slow_markdown.py), run through
    the product's own renderer process and time-out: the bound is tested whatever the release
    of Python-Markdown. The time-out stays the product's, so ordinary texts in the same test
    are never refused because the machine is busy."""
    from runbooks import markdown
    from tests import slow_markdown

    monkeypatch.setattr(markdown, "RENDER_FUNCTION", slow_markdown.FUNCTION)
    return f"## Steps\n\n{slow_markdown.STALL}\n\nrun `this`\n"


@pytest.fixture
def within_one_minute():
    """The cached page's key and ETag, and the rate limits' windows, move on with the minute.
    A test that compares requests across them starts at the start of a minute: the clock is
    moved forward to the next minute's start and keeps ticking, so a whole minute passes before
    any key or window changes, however busy the machine. The function it returns moves the clock
    on to the next minute's start when fewer than `seconds_needed` are left (never waits)."""
    start = (int(time.time()) // 60 + 1) * 60
    with time_machine.travel(start, tick=True) as traveller:

        def wait(seconds_needed: float = 5) -> None:
            left = 60 - time.time() % 60
            if left < seconds_needed:
                traveller.move_to(time.time() + left)

        yield wait
