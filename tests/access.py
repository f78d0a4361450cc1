"""The permission harness: every URL pattern of the project, every persona, private content.

`test_access_harness.py` walks all named URL patterns. Each pattern must be described here:
- in OPEN, when it shows no document content (login, health checks);
- otherwise by a builder that turns a private document (or its provider) into the pattern's
  URL arguments. Patterns named `<kind>-…` with a `slug` get one automatically.
A new page that is in neither place makes the harness fail, naming the pattern: add it here,
and it is checked for every persona for free.
"""

from datetime import timedelta

from django.utils import timezone

from runbooks import services
from runbooks.choices import Kind, Status, Visibility

# Patterns that show no document content at all.
OPEN = {"login", "logout", "healthz", "readyz"}

# Kind pages (by action) that answer POST only; a GET is refused with 405.
POST_ONLY = {"restore", "review"}

# Extra URL arguments and query strings by action; `slug` is filled in for kind pages.
EXTRA_KWARGS = {
    "revision": {"number": 1},
    "restore": {"number": 1},
}
QUERY = {
    "diff": "?from=1&to=1",
}

# Patterns about something other than a document: how to aim them at a secret.
OTHER_OBJECTS = {
    "provider-detail": lambda secret, provider: {"slug": provider.slug},
    "tag-detail": lambda secret, provider: {"slug": "secret-tag"},
}

# Who may see each private document (everyone else must get 404, 401 or a login redirect).
SEERS = {
    "a_private": {"alice", "dave"},
    "a_draft": {"alice", "dave"},
    "a_embargoed": {"alice", "dave"},
    "community_draft": {"alice", "carol"},
}


def make_secrets(provider_a, alice) -> dict:
    """Private documents of every shape the rules of DESIGN §3 protect."""

    def doc(kind, title, **kwargs):
        return services.create_document(
            kind=kind,
            title=title,
            body=f"## {title}\n\nSECRET-BODY {title}\n",
            author=alice,
            **kwargs,
        )

    secrets = {
        "a_private": doc(
            Kind.RUNBOOK,
            "SECRET private runbook",
            provider=provider_a,
            visibility=Visibility.PROVIDER,
        ),
        "a_draft": doc(Kind.POSTMORTEM, "SECRET draft postmortem", provider=provider_a),
        "a_embargoed": doc(
            Kind.RUNBOOK,
            "SECRET embargoed runbook",
            provider=provider_a,
            visibility=Visibility.COMMUNITY,
        ),
        "community_draft": doc(Kind.RUNBOOK, "SECRET community draft", status=Status.DRAFT),
    }
    services.publish(secrets["a_embargoed"], embargo_until=timezone.now() + timedelta(days=3))
    return secrets


def action_of(name: str, kind: str) -> str:
    """'runbook-revision' -> 'revision'."""
    return name[len(kind) + 1 :]
