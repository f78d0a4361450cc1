"""Comments on the read page of every kind: threads with one level of replies, counts beside
the headings they are anchored to, and the author's, the moderator's and the replier's forms.
Writes go through `runbooks.services.comments`."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from runbooks import access
from runbooks.models import Comment
from runbooks.services import comments as comment_services
from runbooks.services.base import NotAllowed
from runbooks.visibility import can_moderate

MAX_THREADS = 200


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=comment_services.MAX_BODY,
        label="Comment",
        help_text="Markdown. @username tells a colleague who may read this document.",
    )
    section = forms.ChoiceField(required=False, label="About the section")

    def __init__(self, *args, document=None, **kwargs):
        super().__init__(*args, **kwargs)
        toc = document.current_revision.toc if document and document.current_revision else []
        self.fields["section"].choices = [("", "the whole document")] + [
            (item["id"], item["name"]) for item in toc
        ]


class ReplyForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=comment_services.MAX_BODY,
        label="Reply",
    )
    parent = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)


class EditForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=comment_services.MAX_BODY,
        label="Comment",
    )


MAX_COMMENTS = 1000  # read for one page; a longer conversation shows its first ones


def _visible_comments(user, document) -> list[Comment]:
    """Every comment of the document the reader may see, oldest first, in one query."""
    return list(
        Comment.objects.visible_to(user)
        .filter(document=document)
        .select_related("author", "provider", "revision")
        .order_by("created_at", "pk")[:MAX_COMMENTS]
    )


def _threads(comments: list[Comment]) -> list[tuple[Comment, list[Comment]]]:
    """(first comment, replies) of each thread, oldest first; a deleted first comment stays
    only to hold its replies."""
    replies: dict[int, list[Comment]] = {}
    for comment in comments:
        if comment.parent_id:
            replies.setdefault(comment.parent_id, []).append(comment)
    return [
        (comment, replies.get(comment.pk, []))
        for comment in comments
        if comment.parent_id is None and (not comment.is_deleted or replies.get(comment.pk))
    ][:MAX_THREADS]


def _counted(comments: list[Comment]) -> list[Comment]:
    """What counts show, the same for every reader: neither hidden nor deleted."""
    return [c for c in comments if not c.is_hidden and not c.is_deleted]


def section_counts(counted: list[Comment]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for comment in counted:
        if comment.section:
            counts[comment.section] = counts.get(comment.section, 0) + 1
    return counts


def mark_sections(html: str, counts: dict[str, int]) -> str:
    """The stored HTML with "N comments" beside each heading that has some. Headings come from
    our renderer (`<hN id="…">…</hN>`); only our own escaped link is added."""
    if not counts:
        return html

    def beside(match):
        count = counts.get(match.group(3))
        if not count:
            return match.group(0)
        section = escape(match.group(3))
        label = f"{count} comment{'s' if count != 1 else ''}"
        link = f'<a class="sectioncomments no-print" href="#comments-{section}">{label}</a>'
        return f"{match.group(1)}{link}{match.group(4)}"

    return re.sub(r'(<h([1-6]) id="([^"]+)">.*?)(</h\2>)', beside, html)


def _label_sections(threads, document) -> None:
    """Each anchored thread gets its section's name; the first one per section its anchor."""
    toc = document.current_revision.toc if document.current_revision else []
    names = {item["id"]: item["name"] for item in toc}
    seen = set()
    for comment, _ in threads:
        if comment.section:
            comment.section_name = names.get(comment.section, comment.section)
            comment.section_anchor = comment.section not in seen
            seen.add(comment.section)


def comments_context(request, document, html: str) -> dict:
    """The page's comments; `document` was fetched through `runbooks.access`, so whoever is
    signed in here may comment on it."""
    user = request.user
    comments = _visible_comments(user, document)
    counted = _counted(comments)
    threads = _threads(comments)
    _label_sections(threads, document)
    context = {
        "threads": threads,
        "comment_count": len(counted),
        "may_comment": user.is_authenticated,
        "may_moderate": can_moderate(user, document),
        "marked_html": mark_safe(mark_sections(html, section_counts(counted))),  # sanitised
    }
    if context["may_comment"]:
        context["comment_form"] = CommentForm(document=document, auto_id="id_comment_%s")
    return context


def _comment_or_404(request, kind, slug, comment_id):
    document = access.get_document(request.user, kind, slug)
    visible = Comment.objects.visible_to(request.user).filter(document=document)
    return document, get_object_or_404(visible.select_related("document"), pk=comment_id)


def _back(document, comment=None):
    anchor = f"#comment-{comment.pk}" if comment else "#comments"
    return redirect(f"{document.get_absolute_url()}{anchor}")


def _refused(request, exc: ValidationError, what: str) -> None:
    messages.error(request, f"{what}: {' '.join(exc.messages)}")


@require_POST
@login_required
def comment_add(request, kind, slug):
    document = access.get_document(request.user, kind, slug)
    if "parent" in request.POST:
        form = ReplyForm(request.POST)
    else:
        form = CommentForm(request.POST, document=document)
    if not form.is_valid():
        problems = [f"{name}: {' '.join(e)}" for name, e in form.errors.items()]
        messages.error(request, "Comment not added. " + "; ".join(problems))
        return _back(document)
    try:
        comment = comment_services.add_comment(document, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _refused(request, exc, "Comment not added")
        return _back(document)
    messages.success(request, "Comment added.")
    return _back(document, comment)


@login_required
def comment_edit(request, kind, slug, comment_id):
    document, comment = _comment_or_404(request, kind, slug, comment_id)
    if comment.author_id != request.user.pk or comment.is_deleted:
        raise NotAllowed("Only its author edits a comment.")
    form = EditForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            comment_services.edit_comment(
                comment, actor=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_error("body", exc.messages)
        else:
            messages.success(request, "Comment saved.")
            return _back(document, comment)
    context = {"document": document, "comment": comment, "form": form}
    return render(request, "comments/edit.html", context)


@require_POST
@login_required
def comment_delete(request, kind, slug, comment_id):
    document, comment = _comment_or_404(request, kind, slug, comment_id)
    try:
        comment_services.delete_comment(comment, actor=request.user)
    except ValidationError as exc:
        _refused(request, exc, "Not deleted")
    else:
        messages.success(request, "Comment deleted.")
    return _back(document, comment)


@require_POST
@login_required
def comment_hide(request, kind, slug, comment_id):
    document, comment = _comment_or_404(request, kind, slug, comment_id)
    try:
        if "unhide" in request.POST:
            comment_services.unhide_comment(comment, actor=request.user)
        else:
            reason = request.POST.get("reason", "")
            comment_services.hide_comment(comment, actor=request.user, reason=reason)
    except ValidationError as exc:
        _refused(request, exc, "Not changed")
    else:
        messages.success(request, "Comment shown again." if "unhide" in request.POST else "Hidden.")
    return _back(document, comment)
