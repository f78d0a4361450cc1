"""The permission harness: every URL pattern of the project, every persona, private content.

`test_access_harness.py` walks all named URL patterns. Each pattern must be described here:
- in OPEN, when it shows no document content (login, health checks);
- in PERSONAL_OBJECTS, when it acts on something of one user's rather than on a document (an
  API token): only its owner, alice, gets through; everyone else gets 404 or the login page, on
  GET and POST alike, and the thing stays as it was;
- otherwise by a builder that turns a private document (or its provider) into the pattern's
  URL arguments. Patterns named `<kind>-…` with a `slug` get one automatically.
A new page that is in none of these places makes the harness fail, naming the pattern: add it
here, and it is checked for every persona for free.
"""

from datetime import timedelta

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Status, Visibility
from runbooks.models import Alert, AlertRoute, Document, Scope
from runbooks.services import comments, documents, offline, routes, tokens

# Patterns that show no document content at all.
OPEN = {
    *("login", "logout", "healthz", "readyz", "csp-report", "schema", "api-docs", "api-root"),
    *("openid_connect_login", "openid_connect_callback"),  # sign-in through an issuer
}

# Kind pages and API routes (by action) that answer POST only; a GET is refused with 405.
POST_ONLY = {
    "restore",
    "review",
    "publish",
    "set-status",
    "route-add",
    "route-delete",
    "route-restore",
    "action-item-add",
    "action-item",
    "action-item-change",
    "runbooks-used",
    "status",
    "comment-add",
    "comment-delete",
    "comment-hide",
    "comment",  # API: PATCH, DELETE
}

# Extra URL arguments (those the pattern takes, or a function of the secret giving them) and
# query strings by action; `slug` is filled in for kind pages. API routes are named
# `api-<kind>-<action>`.
EXTRA_KWARGS = {
    "revision": {"number": 1},
    "restore": {"number": 1},
    "route-delete": {"route_id": 1},
    "route-restore": {"change_id": 1},
    "action-item": {"item_id": 1},
    "action-item-change": {"item_id": 1},
    # alice's comment on the secret itself (make_secrets)
    "comment-edit": lambda secret: {"comment_id": secret.comment.pk},
    "comment-delete": lambda secret: {"comment_id": secret.comment.pk},
    "comment-hide": lambda secret: {"comment_id": secret.comment.pk},
    "comment": lambda secret: {"comment_id": secret.comment.pk},
}
QUERY = {
    "diff": "?from=1&to=1",
    "diff-download": "?from=1&to=1",
}


def _route(secret):
    if not isinstance(secret, Document) or secret.kind != Kind.RUNBOOK:
        return None
    return AlertRoute.objects.filter(runbook_id=secret.pk).first()


def _link(secret, provider, form: str):
    """A /r/ link (or resolve/ query) for the secret's alert route, scoped to its provider."""
    route = _route(secret)
    if route is None:
        return None
    query = f"?provider={provider.slug}"
    if form == "query":
        return {"_query": f"{query}&alertname={route.alertname}"}
    if form == "component":
        return {"alertname": route.alertname, "component": "secret", "_query": query}
    return {"alertname": route.alertname, "_query": query}


# Patterns about something other than a document: how to aim them at a secret. A builder
# returns the URL arguments (and `_query`), or None when the pattern has nothing to do with
# that secret.
OTHER_OBJECTS = {
    "openid_connect_login": lambda secret, provider: {"provider_id": "local"},
    "openid_connect_callback": lambda secret, provider: {"provider_id": "local"},
    "provider-detail": lambda secret, provider: {"slug": provider.slug},
    "provider-chat": lambda secret, provider: {"slug": provider.slug},
    # POST only, for the provider's admins (tests/test_alarm_sources.py checks who may).
    "provider-status-page": lambda secret, provider: {"slug": provider.slug},
    "tag-detail": lambda secret, provider: {"slug": "secret-tag"},
    "api-provider-detail": lambda secret, provider: {"slug": provider.slug},
    "api-tag-detail": lambda secret, provider: {"slug": "secret-tag"},
    "search": lambda secret, provider: {"_query": "?q=SECRET"},
    "api-search": lambda secret, provider: {"_query": "?q=SECRET"},
    "feed-tag": lambda secret, provider: {"slug": "secret-tag"},
    "feed-provider": lambda secret, provider: {"slug": provider.slug},
    "notification-unsubscribe": lambda secret, provider: {"token": "not-a-token"},
    # One user's own subscription: tests/test_notifications.py checks nobody else reaches it.
    "api-subscription-detail": lambda secret, provider: {"pk": 1},
    "api-search-suggest": lambda secret, provider: {"_query": "?q=SECRET"},
    "api-alert-route-detail": lambda secret, provider: (
        {"pk": _route(secret).pk} if _route(secret) else None
    ),
    "api-alert-detail": lambda secret, provider: (
        {"pk": secret.pk} if isinstance(secret, Alert) else None
    ),
    "alert-detail": lambda secret, provider: (
        {"pk": secret.pk} if isinstance(secret, Alert) else None
    ),
    "alert-link": lambda secret, provider: _link(secret, provider, "path"),
    "alert-link-component": lambda secret, provider: _link(secret, provider, "component"),
    "alert-link-query": lambda secret, provider: _link(secret, provider, "query"),
    "api-resolve": lambda secret, provider: _link(secret, provider, "query"),
}
# Of those, the ones that lead to the secret itself: whoever may not see it is refused.
GUARDED = {
    "alert-detail",
    "api-alert-detail",
    "api-alert-route-detail",
    "alert-link",
    "alert-link-component",
    "alert-link-query",
    "api-resolve",
}

# Patterns about one of alice's own things (see make_personal): how to aim them at it.
PERSONAL_OBJECTS = {
    "token-revoke": lambda mine: {"pk": mine["token"].pk},
    "offline-download": lambda mine: {"key": mine["offline_copy"].key},
}

# Who may see each private document (everyone else must get 404, 401 or a login redirect).
SEERS = {
    "a_private": {"alice", "dave"},
    "a_draft": {"alice", "dave"},
    "a_embargoed": {"alice", "dave"},
    "community_draft": {"alice", "carol"},
    "a_alert": {"alice", "dave", "carol"},  # received alerts: members and staff
}


def make_secrets(provider_a, alice) -> dict:
    """Private documents of every shape the rules of DESIGN §3 protect."""

    def doc(kind, title, **kwargs):
        return documents.create_document(
            kind=kind,
            title=title,
            body=f"## {title}\n\nSECRET-BODY {title}\n",
            actor=alice,
            tags=["secret-tag"],  # tag pages, tag counts and tag feeds are checked too
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
    documents.publish(
        secrets["a_embargoed"], embargo_until=timezone.now() + timedelta(days=3), actor=SYSTEM
    )
    for secret in secrets.values():  # a comment of alice's on each, as the readers see it
        secret.comment = comments.add_comment(
            secret, actor=alice, body=f"SECRET-COMMENT on {secret.title}"
        )
    secrets["a_alert"] = _received_alert(provider_a)
    for secret in list(secrets.values()):  # an alert route to every secret runbook
        if getattr(secret, "kind", None) == Kind.RUNBOOK:
            routes.save_route(
                alertname=f"Alert{secret.slug}",
                runbook=secret,
                provider=secret.provider,
                matchers=[{"label": "severity", "op": "!=", "value": "none"}],
                actor=alice,
            )
    return secrets


def _received_alert(provider):
    """An alert received by provider A; it reads as `title` like the documents do."""
    alert = Alert.objects.create(
        provider=provider,
        source="alertmanager",
        fingerprint="5ec7e7",
        alertname="SECRET received alert",
        status="firing",
        labels={"alertname": "SECRET received alert"},
        starts_at=timezone.now(),
        last_seen=timezone.now(),
    )
    alert.title, alert.kind = alert.alertname, None
    return alert


def make_personal(alice) -> dict:
    """Things that belong to alice alone; nobody else may see or change them."""
    token, _ = tokens.issue_token(
        name="SECRET alice token", scopes=[Scope.READ, Scope.WRITE], user=alice, actor=SYSTEM
    )
    copy = offline.request_copy(alice)  # built here: a test's on_commit never comes
    offline.build_copy(copy.pk, copy.key)
    copy.refresh_from_db()
    return {"token": token, "offline_copy": copy}


def action_of(name: str, kind: str) -> str:
    """'runbook-revision' -> 'revision'; 'api-runbook-set-status' -> 'set-status'."""
    return name.removeprefix("api-")[len(kind) + 1 :]


# --- Walking the URL patterns (test_access_harness.py, test_csp.py) -------------------------


def patterns(resolver=None, namespace=""):
    """(name, pattern) for every named URL pattern outside the admin site."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def kind_of(name: str) -> str | None:
    bare = name.split(":")[-1].removeprefix("api-")
    return next((k for k in Kind.values if bare.startswith(f"{k}-")), None)


def params(pattern) -> set[str]:
    return set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)


def url_for(name, pattern, secret, provider):
    """The pattern's URL aimed at `secret`, or None when the pattern is not about it."""
    taken = params(pattern)
    kind = kind_of(name)
    kwargs = {}
    if kind:
        if getattr(secret, "kind", None) != kind:
            return None
        action = action_of(name.split(":")[-1], kind)
        extra = EXTRA_KWARGS.get(action, {})
        extra = extra(secret) if callable(extra) else extra
        kwargs.update({k: v for k, v in extra.items() if k in taken})
        if "slug" in taken:
            kwargs["slug"] = secret.slug
        query = QUERY.get(action, "")
    else:
        builder = OTHER_OBJECTS.get(name)
        built = builder(secret, provider) if builder else {}
        if built is None:
            return None
        query = built.pop("_query", "")
        kwargs.update(built)
    missing = taken - set(kwargs)
    assert not missing, f"URL pattern {name!r} needs {missing}: describe it in tests/access.py"
    return reverse(name, kwargs=kwargs) + query
