"""Comments: written by anyone signed in who may see the document, edited and deleted by their
authors, hidden by moderators. A comment never widens who sees anything: it lives on its
document and is read through it."""

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from runbooks import audit, inputs, markdown, pagecache
from runbooks.actors import SYSTEM
from runbooks.models import ROLE_RANK, Comment, Document, Event, Provider, roles_of
from runbooks.search import entries
from runbooks.visibility import can_comment, can_moderate

from . import events
from .base import NotAllowed, changes_pages, require, user_or_none

MAX_BODY = 20_000  # characters
MAX_MENTIONS = 20
MAX_REASON = 300
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]{1,150})")


def _body(text) -> tuple[str, str]:
    """(Markdown, sanitised HTML) of a comment, or a field error."""
    if not isinstance(text, str):
        raise ValidationError({"body": "Write the comment as text."})
    body = markdown.normalise(inputs.clean_text(text)).strip()
    if not body:
        raise ValidationError({"body": "Write something."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"At most {MAX_BODY:,} characters."})
    try:
        return body, markdown.render_comment(body)
    except ValidationError as exc:
        raise ValidationError({"body": exc.messages}) from None


def _provider_of(user, document: Document) -> Provider | None:
    """The provider a comment speaks for: the document's, when the author belongs to it; else
    the author's own (the highest role first); None for community."""
    roles = roles_of(user)
    if document.provider_id in roles:
        return document.provider
    if not roles:
        return None
    best = sorted(roles.items(), key=lambda item: (-ROLE_RANK[item[1]], item[0]))[0][0]
    return Provider.objects.get(pk=best)


def _mentions(body: str, document: Document) -> list:
    """Users named as @username who may see the document; nobody else is told anything."""
    names = list(dict.fromkeys(MENTION.findall(body)))[:MAX_MENTIONS]
    users = get_user_model().objects.filter(username__in=names, is_active=True)
    return [u for u in users if Document.objects.visible_to(u).filter(pk=document.pk).exists()]


def _section(document: Document, section: str) -> str:
    if not section:
        return ""
    toc = document.current_revision.toc if document.current_revision else []
    if not isinstance(section, str) or section not in {item["id"] for item in toc}:
        raise ValidationError({"section": "There is no such section in the current revision."})
    return section


def _parent(document: Document, parent) -> Comment | None:
    if parent is None:
        return None
    if not isinstance(parent, Comment):
        parent = Comment.objects.filter(pk=parent).first() if isinstance(parent, int) else None
    if parent is None or parent.document_id != document.pk:
        raise ValidationError({"parent": "There is no such comment on this document."})
    if parent.parent_id is not None:
        raise ValidationError({"parent": "Reply to the first comment of the thread."})
    if parent.is_deleted or parent.is_hidden:
        raise ValidationError({"parent": "That comment was removed; start a new thread."})
    return parent


@changes_pages
def add_comment(document: Document, *, actor, body, parent=None, section: str = "") -> Comment:
    """A comment on the document's current revision, optionally anchored to one of its
    sections, or a reply to a thread's first comment."""
    require(actor, can_comment, document, message="Sign in to comment.")
    text, html = _body(body)
    parent = _parent(document, parent)
    comment = Comment.objects.create(
        document=document,
        author=user_or_none(actor),
        provider=_provider_of(actor, document) if actor is not SYSTEM else None,
        revision=document.current_revision,
        parent=parent,
        section=parent.section if parent else _section(document, section),
        body=text,
        html=html,
    )
    comment.mentions.set(_mentions(text, document))
    entries.reindex(document)
    events.record(Event.Kind.COMMENT, document, actor=actor, comment=comment)
    events.watch_as_author(actor, document)
    pagecache.touch([document.pk])
    return comment


def _own(comment: Comment, actor, doing: str) -> None:
    if actor is not SYSTEM and comment.author_id != getattr(actor, "pk", None):
        raise NotAllowed(f"Only its author {doing} a comment.")
    if comment.is_deleted:
        raise ValidationError({"body": "This comment was deleted."})


@changes_pages
def edit_comment(comment: Comment, *, actor, body) -> Comment:
    _own(comment, actor, "edits")
    comment.body, comment.html = _body(body)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "html", "edited_at"])
    comment.mentions.set(_mentions(comment.body, comment.document))
    entries.reindex(comment.document)
    pagecache.touch([comment.document_id])
    return comment


@changes_pages
def delete_comment(comment: Comment, *, actor) -> Comment:
    """Its text goes; the thread keeps its place ("deleted") so replies still read in order."""
    _own(comment, actor, "deletes")
    audit.record(
        audit.Action.DELETED,
        actor=actor,
        document=comment.document,
        detail={"comment": comment.pk},
    )
    comment.body = comment.html = ""
    comment.deleted_at = timezone.now()
    comment.save(update_fields=["body", "html", "deleted_at"])
    comment.mentions.clear()
    entries.reindex(comment.document)
    pagecache.touch([comment.document_id])
    return comment


@changes_pages
def hide_comment(comment: Comment, *, actor, reason) -> Comment:
    """Out of every list, count and feed; its author and moderators still see it, marked."""
    require(actor, can_moderate, comment.document, message="Only moderators hide comments.")
    reason = " ".join(inputs.clean_text(reason).split()) if isinstance(reason, str) else ""
    if not reason or len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Say why, in 1 to {MAX_REASON} characters."})
    comment.hidden_at, comment.hidden_by, comment.hidden_reason = (
        timezone.now(),
        user_or_none(actor),
        reason,
    )
    comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    entries.reindex(comment.document)  # a hidden comment is searched no more
    pagecache.touch([comment.document_id])
    return comment


@changes_pages
def unhide_comment(comment: Comment, *, actor) -> Comment:
    require(actor, can_moderate, comment.document, message="Only moderators show comments again.")
    comment.hidden_at, comment.hidden_by, comment.hidden_reason = None, None, ""
    comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    entries.reindex(comment.document)  # searched again
    pagecache.touch([comment.document_id])
    return comment
