"""Every write goes through here: pages, API, tasks and commands call these functions.

Services keep the domain's invariants (numbered immutable revisions, unique slugs, derived
fields); callers check permissions with `runbooks.visibility` before calling.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from runbooks import alerting, inputs, markdown, visibility
from runbooks.choices import KIND_DEFAULTS, Kind, Status, Visibility
from runbooks.models import (
    USER_SCOPES,
    AlertRoute,
    Document,
    Membership,
    Provider,
    Revision,
    Role,
    RunbookMiss,
    Scope,
    Tag,
    Token,
    hash_token,
)

MAX_SLUG = 200
MAX_TAGS = 20


class NotAllowed(PermissionDenied):
    """The acting user may not do this (403 in the API and the pages)."""


class EditConflict(Exception):
    """The edit started from a revision that is no longer current."""

    def __init__(self, document: Document, base: int | None):
        self.document = document
        self.base = base
        self.current = document.current_revision
        super().__init__(
            f"This document changed since revision {base}: "
            f"the current revision is {self.current.number if self.current else 0}."
        )


# --- Providers and people ---------------------------------------------------------------------


def create_provider(slug: str, name: str, website: str = "") -> tuple[Provider, bool]:
    """Create a provider, or update name and website of an existing one."""
    if slug != slugify(slug) or not slug:
        raise ValidationError(f"{slug!r} is not a valid slug: use lower-case letters, digits, -.")
    try:
        inputs.validate_http_url(website)
    except ValidationError:
        raise ValidationError({"website": f"{website[:80]!r} is not an http(s) URL."}) from None
    provider, created = Provider.objects.update_or_create(
        slug=slug, defaults={"name": name, "website": website}
    )
    return provider, created


def set_membership(provider: Provider, user, role: str) -> tuple[Membership, bool]:
    """Give `user` `role` at `provider`, updating the role of an existing membership."""
    if role not in Role.values:
        raise ValidationError(f"{role!r} is not a role: use one of {', '.join(Role.values)}.")
    membership, created = Membership.objects.update_or_create(
        user=user, provider=provider, defaults={"role": role}
    )
    return membership, created


def ensure_user(username: str, password: str | None = None, **fields):
    """Return the user called `username`, creating it if needed; set the password if given."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


# --- Tags -------------------------------------------------------------------------------------


def parse_tags(labels: Iterable[str]) -> list[tuple[str, str]]:
    """[(slug, label)] for user input, refusing labels with no letters or digits."""
    parsed: dict[str, str] = {}
    for raw in labels:
        label = " ".join(raw.split())
        if not label:
            continue
        slug = slugify(label)[:50]
        if not slug:
            raise ValidationError(f"Tag {label!r} needs at least one letter or digit.")
        if len(label) > 50:
            raise ValidationError(f"Tag {label[:20]!r}… is longer than 50 characters.")
        parsed.setdefault(slug, label)
    if len(parsed) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags per document.")
    return list(parsed.items())


def set_tags(document: Document, labels: Iterable[str]) -> None:
    """Replace the document's tags, creating tags on first use."""
    try:
        parsed = parse_tags(labels)
    except ValidationError as exc:
        raise ValidationError({"tags": exc.messages}) from None
    tags = []
    for slug, label in parsed:
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"label": label})
        tags.append(tag)
    document.tags.set(tags)


# --- Documents and revisions ------------------------------------------------------------------


def _unique_slug(kind: str, title: str) -> str:
    base = slugify(title)[:MAX_SLUG].strip("-") or kind
    slug, n = base, 1
    while Document.objects.filter(kind=kind, slug=slug).exists():
        n += 1
        suffix = f"-{n}"
        slug = base[: MAX_SLUG - len(suffix)] + suffix
    return slug


def _check_slug(kind: str, slug: str) -> str:
    if slug != slugify(slug) or len(slug) > MAX_SLUG:
        raise ValidationError(
            {"slug": "Use lower-case letters, digits and hyphens (at most 200 characters)."}
        )
    if Document.objects.filter(kind=kind, slug=slug).exists():
        raise ValidationError({"slug": f"A {kind} with the slug {slug!r} already exists."})
    return slug


def _check_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": "A title is needed."})
    if len(title) > 200:
        raise ValidationError({"title": "The title is longer than 200 characters."})
    return title


def _write_revision(
    document, number, *, title, body, rendered, author, message, parent
) -> Revision:
    revision = Revision.objects.create(
        document=document,
        number=number,
        parent=parent,
        title=title,
        body=markdown.normalise(body),
        html=rendered.html,
        toc=rendered.toc,
        author=author,
        message=message[:300],
    )
    document.current_revision = revision
    document.title = title
    document.save(update_fields=["current_revision", "title", "updated_at"])
    return revision


def _check_visibility(provider: Provider | None, visibility: str) -> str:
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": f"{visibility!r} is not a visibility."})
    if provider is None and visibility == Visibility.PROVIDER:
        raise ValidationError(
            {"visibility": "A community document has no provider to keep it private to."}
        )
    return visibility


def _rendered(body: str) -> markdown.Rendered:
    """The body rendered, before anything is written: too long or too complex is a field
    error, and nothing is saved."""
    try:
        return markdown.render(body)
    except ValidationError as exc:
        raise ValidationError({"body": exc.messages}) from None


@transaction.atomic
def create_document(
    *,
    kind: str,
    title: str,
    body: str,
    author,
    provider: Provider | None = None,
    slug: str | None = None,
    visibility: str | None = None,
    status: str | None = None,
    tags: Iterable[str] = (),
    component: str = "",
    review_interval_days: int | None = None,
    message: str = "",
) -> Document:
    """Create a document with its first revision, using the kind's defaults (DESIGN §3)."""
    title = _check_title(title)
    rendered = _rendered(body)
    default_status, default_visibility = KIND_DEFAULTS[Kind(kind)]
    document = Document(
        kind=kind,
        slug=_check_slug(kind, slug) if slug else _unique_slug(kind, title),
        title=title,
        provider=provider,
        visibility=_check_visibility(provider, visibility or default_visibility),
        status=status or default_status,
        creator=author,
        component=component.strip(),
    )
    if kind == Kind.RUNBOOK:
        if review_interval_days:
            document.review_interval_days = review_interval_days
        document.reviewed_at = timezone.now()
        document.review_due_at = document.compute_review_due()
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        raise ValidationError({"slug": "That slug was taken a moment ago; try again."}) from None
    _write_revision(
        document,
        1,
        title=title,
        body=body,
        rendered=rendered,
        author=author,
        message=message,
        parent=None,
    )
    if tags:
        set_tags(document, tags)
    return document


def _lock(document: Document) -> Document:
    """Re-read the document under a row lock (PostgreSQL) with its current revision."""
    return (
        Document.objects.select_for_update(of=("self",))
        .select_related("current_revision")
        .get(pk=document.pk)
    )


def _current_number(document: Document) -> int:
    return document.current_revision.number if document.current_revision else 0


@transaction.atomic
def add_revision(
    document: Document,
    *,
    title: str,
    body: str,
    author,
    base_revision: int | None,
    message: str = "",
) -> Revision | None:
    """Add a revision if title or body changed; None when nothing changed.

    Refuses with EditConflict when `base_revision` is not the current one: nothing is ever
    overwritten silently. Two concurrent edits from the same base cannot both win: the row lock
    serialises them, and the unique (document, number) constraint catches any that slip past.
    """
    title = _check_title(title)
    body = markdown.normalise(body)
    rendered = _rendered(body)  # before the row lock: rendering may take a moment
    locked = _lock(document)
    current = locked.current_revision
    if base_revision != _current_number(locked):
        raise EditConflict(locked, base_revision)
    if current and current.title == title and current.body == body:
        return None
    try:
        with transaction.atomic():
            revision = _write_revision(
                locked,
                _current_number(locked) + 1,
                title=title,
                body=body,
                rendered=rendered,
                author=author,
                message=message,
                parent=base_revision,
            )
    except IntegrityError:
        raise EditConflict(
            Document.objects.select_related("current_revision").get(pk=document.pk), base_revision
        ) from None
    _refresh(document, locked)
    return revision


def restore_revision(document: Document, number: int, *, author, base_revision: int) -> Revision:
    """Add a revision with revision `number`'s content; the history keeps everything."""
    try:
        old = document.revisions.get(number=number)
    except Revision.DoesNotExist:
        raise ValidationError({"revision": f"Revision {number} does not exist."}) from None
    revision = add_revision(
        document,
        title=old.title,
        body=old.body,
        author=author,
        base_revision=base_revision,
        message=f"Restored revision {number}",
    )
    if revision is None:
        raise ValidationError({"revision": f"Revision {number} is the same as the current one."})
    return revision


def _refresh(target: Document, source: Document) -> None:
    for name in ("current_revision", "title", "updated_at", "status", "visibility"):
        setattr(target, name, getattr(source, name))


def update_details(
    document: Document,
    *,
    tags: Iterable[str] | None = None,
    component: str | None = None,
    review_interval_days: int | None = None,
) -> Document:
    """Change what lives outside the revision history: tags and runbook fields."""
    with transaction.atomic():
        fields = ["updated_at"]
        if component is not None:
            document.component = component.strip()
            fields.append("component")
        if review_interval_days is not None:
            document.review_interval_days = review_interval_days
            document.review_due_at = document.compute_review_due()
            fields += ["review_interval_days", "review_due_at"]
        document.save(update_fields=fields)
        if tags is not None:
            set_tags(document, tags)
    return document


def mark_reviewed(document: Document, *, reviewer, when: datetime | None = None) -> Document:
    """Record that someone checked the runbook is still right."""
    if document.kind != Kind.RUNBOOK:
        raise ValidationError("Only runbooks are reviewed.")
    document.reviewed_at = when or timezone.now()
    document.review_due_at = document.compute_review_due()
    document.save(update_fields=["reviewed_at", "review_due_at", "updated_at"])
    return document


def set_status(document: Document, status: str, *, actor) -> Document:
    """Move the document to `status`; releasing it, or taking it back, needs publish rights."""
    if status not in Status.values:
        raise ValidationError({"status": f"{status!r} is not a status."})
    if not visibility.can_set_status(actor, document, status):
        raise NotAllowed(
            "Only the creator or an admin of its provider releases a document or takes it back."
        )
    document.status = status
    document.save(update_fields=["status", "updated_at"])
    return document


def publish(
    document: Document, *, visibility: str | None = None, embargo_until: datetime | None = None
) -> Document:
    """Release a document to its audience, optionally after an embargo."""
    if visibility:
        document.visibility = _check_visibility(document.provider, visibility)
    document.status = Status.PUBLISHED
    document.embargo_until = embargo_until
    document.save(update_fields=["status", "visibility", "embargo_until", "updated_at"])
    return document


def set_visibility(document: Document, visibility: str) -> Document:
    document.visibility = _check_visibility(document.provider, visibility)
    document.save(update_fields=["visibility", "updated_at"])
    return document


def delete_document(document: Document) -> None:
    with transaction.atomic():
        Document.objects.filter(pk=document.pk).update(current_revision=None)
        document.delete()


def rerender_all(progress=None, batch: int = 200) -> tuple[int, int]:
    """Render every revision again with the current renderer and allow-list.

    Revision text never changes; only the stored HTML and table of contents, which are derived
    from it, are refreshed. Returns (changed, total).
    """
    changed = total = 0
    queryset = Revision.objects.order_by("pk").only("pk", "body", "html", "toc")
    for revision in queryset.iterator(chunk_size=batch):
        total += 1
        try:
            rendered = markdown.render(revision.body)
        except ValidationError:  # too complex for today's renderer: keep what was stored
            continue
        if (rendered.html, rendered.toc) != (revision.html, revision.toc):
            Revision.objects.filter(pk=revision.pk).update(html=rendered.html, toc=rendered.toc)
            changed += 1
        if progress and total % 1000 == 0:
            progress(f"… {total} revisions")
    return changed, total


# --- API tokens -------------------------------------------------------------------------------

TOKEN_PREFIX = "oo_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def issue_token(
    *, name: str, scopes: Iterable[str], user=None, provider: Provider | None = None
) -> tuple[Token, str]:
    """Create a token and return it with its secret, which is shown once and never stored."""
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(Scope.values)
    if not scopes or unknown:
        raise ValidationError(
            {"scopes": f"Unknown or missing scope; use {', '.join(Scope.values)}."}
        )
    if USER_SCOPES & set(scopes) and user is None:
        raise ValidationError({"user": "read and write tokens act as a user: name one."})
    if Scope.ALERTS_WRITE in scopes and provider is None:
        raise ValidationError({"provider": "alerts:write tokens send alerts for a provider."})
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise ValidationError({"name": "Give the token a name of at most 100 characters."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = Token.objects.create(
        name=name,
        user=user,
        provider=provider,
        prefix=secret[:10],
        digest=hash_token(secret),
        scopes=scopes,
    )
    return token, secret


def revoke_token(token: Token) -> None:
    Token.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def touch_token(token: Token) -> None:
    """Record use, at most about once a minute, so reads do not turn into writes."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    Token.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


# --- Alert routes and misses ------------------------------------------------------------------


def _route_errors(alertname: str, runbook: Document, provider: Provider | None) -> str:
    alertname = alertname.strip()
    if not alertname or len(alertname) > 200:
        raise ValidationError({"alertname": "An alert name of 1 to 200 characters is needed."})
    if runbook.kind != Kind.RUNBOOK:
        raise ValidationError({"runbook": "Routes lead to runbooks."})
    if provider is None and runbook.provider_id is not None:
        raise ValidationError(
            {"provider": "A community route leads to a community runbook only; scope it."}
        )
    if provider is not None and runbook.provider_id not in (None, provider.pk):
        raise ValidationError(
            {"runbook": "A route leads to its provider's or a community runbook."}
        )
    return alertname


def _matcher_dicts(matchers) -> list[dict]:
    try:
        parsed = alerting.matchers_from_dicts(matchers)
    except alerting.MatcherError as exc:
        raise ValidationError({"matchers": str(exc)}) from None
    return [m.as_dict() for m in parsed]


def save_route(
    *,
    alertname: str,
    runbook: Document,
    provider: Provider | None = None,
    matchers: Iterable[dict] = (),
    priority: int = 0,
    author=None,
    route: AlertRoute | None = None,
) -> AlertRoute:
    """Create a route, or change `route`. Matchers are validated (regexes compiled) first."""
    alertname = _route_errors(alertname, runbook, provider)
    route = route or AlertRoute(created_by=author)
    route.alertname = alertname
    route.alertname_key = alertname.casefold()
    route.runbook = runbook
    route.provider = provider
    route.matchers = _matcher_dicts(matchers)
    route.priority = priority
    route.save()
    return route


def delete_route(route: AlertRoute) -> None:
    route.delete()


def record_miss(alertname: str, provider: Provider | None, times: int = 1) -> None:
    """Count alerts that found no runbook, for the missing-runbooks list."""
    alertname = alertname.strip()[:200]
    key = alertname.casefold()
    rows = RunbookMiss.objects.filter(alertname_key=key, provider=provider)
    with transaction.atomic():
        if rows.update(count=F("count") + times, last_seen=timezone.now()):
            return
        try:
            with transaction.atomic():
                RunbookMiss.objects.create(
                    alertname=alertname, alertname_key=key, provider=provider, count=times
                )
        except IntegrityError:  # someone else created it a moment ago
            rows.update(count=F("count") + times, last_seen=timezone.now())


# --- Runbooks from Git (import_runbooks / export_runbooks, DESIGN §8) --------------------------


@dataclass(frozen=True)
class ImportResult:
    """What importing one file did: `outcome` is "created", "updated" or "unchanged"."""

    document: Document
    outcome: str
    route_created: bool


def find_imported_runbook(
    provider: Provider | None, component: str, source_name: str
) -> Document | None:
    """The runbook of the file `<component>/<source_name>.md`, imported for `provider`.

    A runbook made in the pages and exported has no source name; its file is named after its
    slug, and importing that file again finds it rather than making a copy.
    """
    runbooks = Document.objects.of_kind(Kind.RUNBOOK).filter(provider=provider, component=component)
    runbooks = runbooks.select_related("current_revision")
    return (
        runbooks.filter(source_name=source_name).first()
        or runbooks.filter(source_name="", slug=source_name).first()
    )


def _check_import_names(component: str, source_name: str) -> None:
    # The model's limits; SQLite would not enforce them, PostgreSQL would fail mid-import.
    if len(component) > 100:
        raise ValidationError({"component": "The folder name is longer than 100 characters."})
    if not source_name or len(source_name) > 200:
        raise ValidationError({"source_name": "The file name needs 1 to 200 characters."})


@transaction.atomic
def import_runbook(
    *,
    provider: Provider | None,
    component: str,
    source_name: str,
    title: str | None,
    body: str,
    front_matter: str,
    slug: str,
    message: str,
) -> ImportResult:
    """Create or update the runbook of one imported file, and route its alert name to it.

    A new runbook gets `slug` (suffixed on collision) and the runbook defaults; an existing one
    gets a revision only when title or body changed. Without a title the file name is used
    for a new runbook and an existing runbook keeps its own. The author is None: a system import.
    """
    _check_import_names(component, source_name)
    document = find_imported_runbook(provider, component, source_name)
    if document is None:
        document = _create_imported(provider, component, source_name, title, body, slug, message)
        outcome = "created"
    else:
        revised = add_revision(
            document,
            title=title or document.title,
            body=body,
            author=None,
            base_revision=_current_number(document),
            message=message,
        )
        outcome = "updated" if revised else "unchanged"
    moved = set_import_source(document, source_name=source_name, front_matter=front_matter)
    if moved and outcome == "unchanged":
        outcome = "updated"
    route_created = ensure_import_route(document, alertname=source_name, provider=provider)
    return ImportResult(document, outcome, route_created)


def _create_imported(provider, component, source_name, title, body, slug, message) -> Document:
    return create_document(
        kind=Kind.RUNBOOK,
        title=title or source_name,
        body=body,
        author=None,
        provider=provider,
        slug=_unique_slug(Kind.RUNBOOK, slug),
        component=component,
        message=message,
    )


def set_import_source(document: Document, *, source_name: str, front_matter: str) -> bool:
    """Record the file a runbook came from and its front matter (verbatim); True if changed."""
    front_matter = markdown.normalise(front_matter)
    if (document.source_name, document.front_matter) == (source_name, front_matter):
        return False
    document.source_name = source_name
    document.front_matter = front_matter
    document.save(update_fields=["source_name", "front_matter", "updated_at"])
    return True


def ensure_import_route(document: Document, *, alertname: str, provider: Provider | None) -> bool:
    """Route `alertname` to the runbook unless the same plain route exists; True if created."""
    routes = AlertRoute.objects.filter(
        alertname_key=alertname.strip().casefold(), provider=provider, runbook=document
    )
    if any(not route.matchers for route in routes):
        return False
    save_route(alertname=alertname, runbook=document, provider=provider)
    return True
