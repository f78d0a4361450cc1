"""Documents of every kind: create, edit (a new revision plus details), restore, change status,
publish, delete. Each kind's own fields are the kind's (`runbooks.kinds`); nothing here tests
which kind a document is."""

from collections.abc import Iterable
from contextlib import nullcontext
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from runbooks import audit, inputs, markdown, pagecache
from runbooks.choices import Status, Visibility
from runbooks.kinds.registry import KINDS
from runbooks.models import Document, Event, Provider, Revision
from runbooks.search import entries
from runbooks.visibility import (
    can_delete,
    can_edit,
    can_publish,
    can_set_status,
    can_write_in,
)

from . import events
from .base import EditConflict, changes_pages, require, user_or_none
from .kinds import AUDIENCE_CHANGES, relation_saver
from .tags import checked_tags, set_tags

MAX_SLUG = 200
EDIT_DENIED = "You may read this document but not change it."
PUBLISH_DENIED = "Only the creator or an admin of its provider publishes it."
AUDIENCE_DENIED = "Only those who publish a document change who reads it."


# --- Checks, all before anything is written ---------------------------------------------------


def unique_slug(kind: str, title: str) -> str:
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


def _write_revision(document, number, *, title, body, rendered, author, message, parent):
    revision = Revision.objects.create(
        document=document,
        number=number,
        parent=parent,
        title=title,
        body=body,
        html=rendered.html,
        toc=rendered.toc,
        author=author,
        message=message[:300],
    )
    document.current_revision = revision
    document.title = title
    document.save(update_fields=["current_revision", "title", "updated_at"])
    return revision


def current_number(document: Document) -> int:
    return document.current_revision.number if document.current_revision else 0


# --- Create -----------------------------------------------------------------------------------


@changes_pages
def create_document(
    *,
    actor,
    kind: str,
    title: str,
    body: str,
    provider: Provider | None = None,
    slug: str | None = None,
    visibility: str | None = None,
    status: str | None = None,
    tags: Iterable[str] = (),
    message: str = "",
    **details,
) -> Document:
    """Create a document with its first revision, using the kind's defaults (DESIGN §3).

    `details` are the kind's own fields (a runbook's component, review interval, …).
    """
    require(actor, can_write_in, provider, message="You are not an editor there.")
    spec = KINDS[kind]
    links = {name: details.pop(name) for name in spec.relation_names if name in details}
    unknown = set(details) - set(spec.field_names) - {"source_name", "front_matter"}
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Not a field of this kind."))
    title = _check_title(title)
    body = markdown.normalise(body)
    rendered = _rendered(body)
    parsed_tags = checked_tags(tags)
    if status is not None and status not in Status.values:
        raise ValidationError({"status": f"{status!r} is not a status."})
    document = spec.new(
        slug=_check_slug(kind, slug) if slug else unique_slug(kind, title),
        title=title,
        provider=provider,
        visibility=_check_visibility(provider, visibility or spec.default_visibility),
        status=status or spec.default_status,
        creator=user_or_none(actor),
    )
    spec.apply(document, details)
    spec.check(document)
    for name in {"source_name", "front_matter"} & details.keys():  # set by imports only
        setattr(document, name, details[name])
    spec.on_create(document)
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
        author=user_or_none(actor),
        message=message,
        parent=None,
    )
    set_tags(document, parsed_tags)
    _save_relations(spec, document, links, actor)
    entries.reindex(document)
    events.record(Event.Kind.REVISION, document, actor=actor, revision=document.current_revision)
    events.watch_as_author(actor, document)
    return document


def _save_relations(spec, document, links: dict, actor) -> None:
    """A kind's link sets (inside the caller's transaction: a refusal undoes everything)."""
    for relation in spec.relations:
        if relation.name in links and links[relation.name] is not None:
            save = relation_saver(spec.kind, relation.name)
            save(document, links[relation.name], actor=actor)


# --- Edit -------------------------------------------------------------------------------------


def _lock(document: Document) -> Document:
    """Re-read the document under a row lock (PostgreSQL) with its current revision."""
    return (
        Document.objects.select_for_update(of=("self",))
        .select_related("current_revision")
        .get(pk=document.pk)
    )


@changes_pages
def edit_document(
    document: Document,
    *,
    actor,
    base_revision: int | None,
    title: str | None = None,
    body: str | None = None,
    message: str = "",
    tags: Iterable[str] | None = None,
    visibility: str | None = None,
    **details,
) -> Revision | None:
    """One edit: a new revision when title or body changed, plus tags, visibility and the
    kind's own fields — all checked first, then written together, or nothing at all.

    Refuses with EditConflict when `base_revision` is not the current one: nothing is ever
    overwritten silently. Two concurrent edits from the same base cannot both win: the row lock
    serialises them, and the unique (document, number) constraint catches any that slip past.
    Returns the new revision, or None when the text did not change.
    """
    require(actor, can_edit, document, message=EDIT_DENIED)
    spec = KINDS[document.kind]
    links = {name: details.pop(name) for name in spec.relation_names if name in details}
    unknown = set(details) - set(spec.field_names)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Not a field of this kind."))
    current = document.current_revision
    title = _check_title(title if title is not None else current.title)
    body = markdown.normalise(body if body is not None else current.body)
    parsed_tags = checked_tags(tags)
    if visibility is not None and visibility != document.visibility:
        require(actor, can_publish, document, message=AUDIENCE_DENIED)
        _check_visibility(document.provider, visibility)
    target = (
        document if isinstance(document, spec.model) else spec.model.objects.get(pk=document.pk)
    )
    changed = spec.apply(target, details)  # in memory; checked below, saved after the revision
    spec.check(target)
    text_changed = not current or (current.title, current.body) != (title, body)
    rendered = _rendered(body) if text_changed else None  # before the row lock: it takes time
    locked = _lock(document)
    if base_revision != current_number(locked):
        raise EditConflict(locked, base_revision)
    revision = None
    if text_changed and (locked.current_revision.title, locked.current_revision.body) != (
        title,
        body,
    ):
        revision = _new_revision(
            locked, title, body, rendered, user_or_none(actor), message, base_revision
        )
    before = target.visibility
    with _audience_change(document, visibility not in (None, before) or bool(changed)):
        _save_details(document, target, locked, changed, visibility)
    if target.visibility != before:
        audit.record(
            audit.Action.VISIBILITY_CHANGED,
            actor=actor,
            document=document,
            detail={"from": before, "to": target.visibility},
        )
    if parsed_tags is not None:
        set_tags(document, parsed_tags)
    _save_relations(spec, target, links, actor)
    entries.reindex(document)
    if revision is not None:
        events.record(Event.Kind.REVISION, document, actor=actor, revision=revision)
        events.watch_as_author(actor, document)
    pagecache.touch([document.pk], naming=True)
    return revision


def _new_revision(locked, title, body, rendered, author, message, base) -> Revision:
    try:
        with transaction.atomic():
            return _write_revision(
                locked,
                current_number(locked) + 1,
                title=title,
                body=body,
                rendered=rendered,
                author=author,
                message=message,
                parent=base,
            )
    except IntegrityError:
        fresh = Document.objects.select_related("current_revision").get(pk=locked.pk)
        raise EditConflict(fresh, base) from None


def _save_details(document, target, locked, changed: set[str], visibility) -> None:
    """The kind's own fields (already applied to `target`) and the visibility; the caller's
    object sees the new revision and title too."""
    for obj in {id(document): document, id(target): target}.values():
        for name in ("current_revision", "title", "updated_at"):
            setattr(obj, name, getattr(locked, name))
    if visibility is not None and visibility != target.visibility:
        target.visibility = document.visibility = visibility
        changed.add("visibility")
    if changed:
        target.save(update_fields=[*sorted(changed), "updated_at"])


def add_revision(
    document: Document,
    *,
    actor,
    title: str,
    body: str,
    base_revision: int | None,
    message: str = "",
) -> Revision | None:
    """A text-only edit (imports, demo data): `edit_document` with title and body."""
    return edit_document(
        document,
        actor=actor,
        base_revision=base_revision,
        title=title,
        body=body,
        message=message,
    )


def restore_revision(document: Document, number: int, *, actor, base_revision: int) -> Revision:
    """Add a revision with revision `number`'s content; the history keeps everything."""
    require(actor, can_edit, document, message=EDIT_DENIED)
    try:
        old = document.revisions.get(number=number)
    except Revision.DoesNotExist:
        raise ValidationError({"revision": f"Revision {number} does not exist."}) from None
    revision = edit_document(
        document,
        actor=actor,
        base_revision=base_revision,
        title=old.title,
        body=old.body,
        message=f"Restored revision {number}",
    )
    if revision is None:
        raise ValidationError({"revision": f"Revision {number} is the same as the current one."})
    return revision


# --- Life cycle -------------------------------------------------------------------------------


@changes_pages
def set_status(document: Document, status: str, *, actor) -> Document:
    """Move the document to `status`; releasing it, or taking it back, needs publish rights."""
    if status not in Status.values:
        raise ValidationError({"status": f"{status!r} is not a status."})
    require(
        actor,
        can_set_status,
        document,
        status,
        message="Only the creator or an admin of its provider releases a document or takes it "
        "back.",
    )
    asked = status == Status.IN_REVIEW and document.status != Status.IN_REVIEW
    with _audience_change(document):
        document.status = status
        document.save(update_fields=["status", "updated_at"])
    if asked:
        events.record(Event.Kind.REVIEW_REQUESTED, document, actor=actor)
    pagecache.touch([document.pk], naming=True)
    return document


@changes_pages
def publish(
    document: Document,
    *,
    actor,
    visibility: str | None = None,
    embargo_until: datetime | None = None,
) -> Document:
    """Release a document to its audience, optionally after an embargo (which lifts itself:
    visibility compares it with the time at each query, no job needed)."""
    require(actor, can_publish, document, message=PUBLISH_DENIED)
    if embargo_until is not None:
        embargo_until = inputs.storable_moment(embargo_until, "embargo_until")
    if embargo_until is not None and embargo_until <= timezone.now():
        raise ValidationError({"embargo_until": "An embargo ends in the future."})
    if visibility:
        document.visibility = _check_visibility(document.provider, visibility)
    before = document.visibility
    with _audience_change(document):
        document.status = Status.PUBLISHED
        document.embargo_until = embargo_until
        document.save(update_fields=["status", "visibility", "embargo_until", "updated_at"])
    events.record(Event.Kind.PUBLISHED, document, actor=actor)
    detail = {"visibility": document.visibility}
    if before != document.visibility:
        detail["visibility_before"] = before
    if embargo_until is not None:
        detail["embargo_until"] = embargo_until.isoformat()
    audit.record(audit.Action.PUBLISHED, actor=actor, document=document, detail=detail)
    pagecache.touch([document.pk], naming=True)
    return document


def _audience_change(document: Document, changing: bool = True):
    """The kind's context manager around a change of who may read `document` (nothing for
    kinds without one, or when nothing changes)."""
    around = AUDIENCE_CHANGES.get(document.kind)
    return around(document) if around and changing else nullcontext()


@changes_pages
def delete_document(document: Document, *, actor) -> None:
    require(actor, can_delete, document, message="Only admins of its provider delete it.")
    pagecache.touch(pagecache.naming(document.pk))  # read now: they stop naming it
    audit.record(
        audit.Action.DELETED, actor=actor, document=document, detail={"kind": document.kind}
    )
    Document.objects.filter(pk=document.pk).update(current_revision=None)
    document.delete()


def rerender_all(progress=None, batch: int = 200) -> tuple[int, int]:
    """Render every revision again with the current renderer and allow-list (a system task).

    Revision text never changes; only the stored HTML and table of contents, which are derived
    from it, are refreshed. Returns (changed, total).
    """
    changed = total = 0
    queryset = Revision.objects.order_by("pk").only("pk", "document_id", "body", "html", "toc")
    for revision in queryset.iterator(chunk_size=batch):
        total += 1
        try:
            rendered = markdown.render(revision.body)
        except ValidationError:  # too complex for today's renderer: keep what was stored
            continue
        if (rendered.html, rendered.toc) != (revision.html, revision.toc):
            Revision.objects.filter(pk=revision.pk).update(html=rendered.html, toc=rendered.toc)
            pagecache.touch([revision.document_id])
            changed += 1
        if progress and total % 1000 == 0:
            progress(f"… {total} revisions")
    return changed, total
