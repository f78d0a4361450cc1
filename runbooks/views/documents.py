"""Pages for documents of every kind: list, read, write, history, diff, restore.

Documents are fetched through `runbooks.access` (404 for what the user may not see); lists are
filtered by the kind's FilterSet, shared with the API; what a kind adds to these pages (a
runbook's alert banner, routes, review badge) comes from its registry entry."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from runbooks import access, diffing, fastpath, fragments, markdown, pagecache, sensitive
from runbooks.choices import RELEASED_STATUSES, Status
from runbooks.forms import DocumentForm, NewDocumentForm, PublishForm
from runbooks.kinds.registry import KINDS
from runbooks.models import Document, Provider, Revision, Tag
from runbooks.services import documents as document_services
from runbooks.services.base import EditConflict
from runbooks.views.comments import comments_context
from runbooks.views.kinds import pages_of
from runbooks.views.notifications import watch_state
from runbooks.visibility import can_create_any, can_edit, can_publish, status_moves

PAGE_SIZE = 25
MAX_REVISION = 2**31 - 1
TEXT_PLAIN = "text/plain; charset=utf-8"


def kind_context(kind: str) -> dict:
    spec = KINDS[kind]
    prefix = reverse(f"{kind}-list")
    return {"kind": kind, "kind_label": spec.label, "prefix": prefix, "parts": spec.parts}


def grouped_by_kind(documents, ordering: tuple[str, ...], shown: int = 50) -> list[dict]:
    """`documents` a section per kind (tag and provider pages): its label, list page,
    count, whether there are more, and the first `shown` in `ordering`. The number of queries
    depends on the number of kinds, not of documents."""
    counts = dict(documents.order_by().values_list("kind").annotate(count=Count("pk")))
    ordered = documents.for_listing().order_by(*ordering)
    return [
        {
            "label": spec.label,
            "list_url": reverse(f"{spec.kind}-list"),
            "count": counts[spec.kind],
            "more": counts[spec.kind] > shown,
            "documents": ordered.filter(kind=spec.kind)[:shown],
        }
        for spec in KINDS
        if spec.kind in counts
    ]


def document_list(request, kind):
    spec = KINDS[kind]
    visible = access.documents(request.user, kind).for_listing()
    filterset = spec.filters(request.GET, queryset=visible, request=request)
    documents = filterset.qs.order_by("title", "pk")
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **kind_context(kind),
        "page": page,
        "filters": {name: request.GET.get(name, "") for name in filterset.filters},
        "query": query.urlencode(),
        "providers": Provider.objects.all(),
        "components": _components(request.user, kind) if "component" in filterset.filters else (),
        "can_create": request.user.is_authenticated and can_create_any(request.user),
    }
    return render(request, "documents/list.html", context)


def _components(user, kind):
    visible = access.documents(user, kind).exclude(component="")
    return visible.order_by("component").values_list("component", flat=True).distinct()


def detail_signed_out(request, kind, slug):
    """The cached page (or a 304) for a request that carries no session, answered before the
    middleware that reads sessions (runbooks/fastpath.py); None for anything else — a page not
    in the cache, or one anonymous visitors may not see (refused and counted by the view)."""
    stamp = access.anonymous_page_stamp(kind, slug)
    return pagecache.serve_cached(request, stamp) if stamp is not None else None


@fastpath.answers_signed_out(detail_signed_out)
def document_detail(request, kind, slug):
    if pagecache.cacheable(request):  # the same bytes for every anonymous visitor
        stamp = access.page_stamp(request.user, kind, slug)
        fetch = lambda: _detail_page(request, access.get_document(request.user, kind, slug))  # noqa: E731
        return pagecache.serve(request, stamp, fetch)
    if pages_of(kind).cache_shared:
        return _cached_detail_page(request, kind, slug)
    return _detail_page(request, access.get_document(request.user, kind, slug))


def _cached_detail_page(request, kind, slug):
    """The read page with its shared part from the cache, for this reader (`runbooks.fragments`).
    A hit checks visibility reading the document's stamp alone; the personal parts see the
    document as its id, kind, slug and title (kept with the part)."""
    stamp = access.page_stamp(request.user, kind, slug)

    def render_shared() -> dict:
        document = access.get_document(request.user, kind, slug)
        return {"title": document.title, "html": _shared_part(request, document)}

    shared = fragments.shared(request, stamp, render_shared)
    # Not the kind's model: a kind's own row (multi-table) keeps the shared id elsewhere.
    document = Document(pk=stamp[0], kind=kind, slug=slug, title=shared["title"])
    return _page(request, document, shared["html"])


def _detail_page(request, document):
    return _page(request, document, _shared_part(request, document))


def _page(request, document, shared: str):
    """The read page: its shared part filled with the parts rendered for this request."""
    personal = {"watch": _watch_button(request, document)}
    personal_parts = pages_of(document.kind).personal_parts
    if personal_parts:
        personal.update(personal_parts(request, document))
    content = fragments.fill(request, shared, personal)
    context = {"document": document, "content_html": content}
    return render(request, "documents/detail.html", context)


def _watch_button(request, document) -> str:
    watching = watch_state(request.user, document=document)
    if watching is None:
        return ""
    context = {
        "target": "document",
        "target_id": document.pk,
        "next": request.path,
        "watching": watching,
    }
    return render_to_string("notifications/_watch.html", context, request)


def _shared_part(request, document) -> str:
    """The content of the read page, with marks for the personal parts and the CSRF token."""
    kind = document.kind
    context = {
        **kind_context(kind),
        "document": document,
        "revision": document.current_revision,
        "tags": document.tags.all(),
        "can_edit": can_edit(request.user, document),
        "can_publish": can_publish(request.user, document),
        "status_moves": status_moves(request.user, document),
        "personal": fragments.Marks(),
        "csrf_token": fragments.csrf_mark(),
    }
    detail_context = pages_of(kind).detail_context
    if detail_context:
        context.update(detail_context(request, document))
    html = document.current_revision.html if document.current_revision else ""
    html = context.pop("text_html", html)  # as the kind shows it (a runbook's filled commands)
    context.update(comments_context(request, document, html))
    return render_to_string("documents/_detail_content.html", context, request)


def _preview(form):
    if not form.is_valid():
        return None
    try:
        return markdown.render(form.cleaned_data["body"]).html
    except ValidationError as exc:  # too complex to render: say so beside the text
        form.add_error("body", exc)
        return None


@login_required
def document_new(request, kind):
    spec = KINDS[kind]
    # e.g. from "write this runbook", "write an experience report"
    prefill = {"title", "alertname", "matchers", *spec.field_names}
    prefill |= {r.name for r in spec.form_relations}
    initial = {name: value for name, value in request.GET.items() if name in prefill}
    initial.setdefault("body", spec.body_template)  # the guided sections of the kind
    pages, links = pages_of(kind), {}
    if pages.start_from:  # e.g. "Start a post-mortem" from an alert or a runbook
        started, links = pages.start_from(request)
        initial.update(started)
    form = NewDocumentForm(
        request.POST or None,
        user=request.user,
        kind=kind,
        initial=initial,
        started_from=pages.start_from is not None,
    )
    if not form.fields["provider"].choices:
        raise PermissionDenied("Only editors of a provider, and moderators, write documents.")
    preview = _preview(form) if "preview" in request.POST else None
    if request.method == "POST" and preview is None and form.is_valid():
        data = form.cleaned_data
        try:
            extra = {k: data[k] for k in ("alertname", "matchers") if k in data}
            document = pages.create(
                actor=request.user,
                kind=kind,
                **extra,
                **links,
                **form.links,
                title=data["title"],
                body=data["body"],
                provider=data["provider"],
                slug=data["slug"] or None,
                visibility=data["visibility"],
                tags=data["tags"],
                **form.details,
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, f"Created “{document.title}”.")
            return redirect(document)
    context = {**kind_context(kind), "form": form, "preview": preview, "links": links}
    return render(request, "documents/edit.html", context)


def _attach_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _edit_initial(document: Document) -> dict:
    revision = document.current_revision
    return {
        "title": document.title,
        "body": revision.body if revision else "",
        "tags": ", ".join(t.label for t in document.tags.all()),
        "base_revision": revision.number if revision else 0,
        **KINDS[document.kind].initial(document),
    }


@login_required
def document_edit(request, kind, slug):
    document = access.get_document(request.user, kind, slug, access.EDIT)
    audience = can_publish(request.user, document)
    initial = {**_edit_initial(document), "visibility": document.visibility}
    form = DocumentForm(
        request.POST or None, kind=kind, user=request.user, audience=audience, initial=initial
    )
    preview = _preview(form) if "preview" in request.POST else None
    if request.method == "POST" and preview is None and form.is_valid():
        data = form.cleaned_data
        try:
            document_services.edit_document(
                document,
                actor=request.user,
                base_revision=data["base_revision"],
                title=data["title"],
                body=data["body"],
                message=data["message"],
                tags=data["tags"],
                visibility=data.get("visibility") or None,
                **form.details,
                **form.links,
            )
        except EditConflict as conflict:
            return _conflict(request, kind, document, form, conflict)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(document)
    context = {**kind_context(kind), "form": form, "document": document, "preview": preview}
    return render(request, "documents/edit.html", context)


def _conflict(request, kind, document, form, conflict):
    """Show what changed meanwhile and keep the user's text, now based on the current revision."""
    current = conflict.current
    base = document.revisions.filter(number=conflict.base).first()
    data = form.data.copy()
    data["base_revision"] = current.number
    context = {
        **kind_context(kind),
        "document": document,
        "form": DocumentForm(
            data, kind=kind, user=request.user, audience="visibility" in form.fields
        ),
        "current": current,
        "base": base,
        "their_changes": diffing.diff_lines(base.body if base else "", current.body),
        "their_download": (
            _diff_download_url(document, base.number, current.number) if base else None
        ),
        "your_changes": diffing.diff_lines(current.body, form.cleaned_data["body"]),
    }
    return render(request, "documents/conflict.html", context, status=409)


def document_history(request, kind, slug):
    document = access.get_document(request.user, kind, slug)
    revisions = document.revisions.select_related("author").defer("body", "html", "toc")
    context = {**kind_context(kind), "document": document, "revisions": revisions}
    history_context = pages_of(kind).history_context
    if history_context:
        context.update(history_context(request, document))
    return render(request, "documents/history.html", context)


def _revision_or_404(document, number) -> Revision:
    try:
        return document.revisions.select_related("author").get(number=number)
    except Revision.DoesNotExist:
        raise Http404(f"Revision {number} of this document does not exist.") from None


def revision_detail(request, kind, slug, number):
    document = access.get_document(request.user, kind, slug)
    revision = _revision_or_404(document, number)
    context = {
        **kind_context(kind),
        "document": document,
        "revision": revision,
        "can_edit": can_edit(request.user, document),
        "is_current": revision.pk == document.current_revision_id,
    }
    return render(request, "documents/revision.html", context)


def _revision_number(value, name) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"“{name}” must be a revision number.") from None
    if not 1 <= number <= MAX_REVISION:
        raise ValidationError(f"“{name}” must be a revision number.")
    return number


def _compared(request, document) -> tuple[Revision, Revision]:
    """The two revisions `?from=&to=` names (ValidationError for a bad pair, 404 for none)."""
    start, end = diffing.revision_range(
        document.current_revision.number,
        _revision_number(request.GET.get("from"), "from"),
        _revision_number(request.GET.get("to"), "to"),
    )
    return _revision_or_404(document, start), _revision_or_404(document, end)


def _diff_download_url(document, start: int, end: int) -> str:
    path = reverse(f"{document.kind}-diff-download", kwargs={"slug": document.slug})
    return f"{path}?{urlencode({'from': start, 'to': end})}"


def document_diff(request, kind, slug):
    document = access.get_document(request.user, kind, slug)
    try:
        old, new = _compared(request, document)
    except ValidationError as exc:
        context = {**kind_context(kind), "document": document, "error": exc.messages[0]}
        return render(request, "documents/diff.html", context, status=400)
    context = {
        **kind_context(kind),
        "document": document,
        "old": old,
        "new": new,
        "title_changed": old.title != new.title,
        "diff": diffing.diff_lines(old.body, new.body),
        "download": _diff_download_url(document, old.number, new.number),
        "numbers": range(1, document.current_revision.number + 1),
    }
    return render(request, "documents/diff.html", context)


def document_diff_download(request, kind, slug):
    """The unified diff of two revisions as a text file (the API's `diff/` text), for diffs
    too large for the page; seen by whoever may see the document, like the page."""
    document = access.get_document(request.user, kind, slug)
    try:
        old, new = _compared(request, document)
    except ValidationError as exc:
        return HttpResponseBadRequest(exc.messages[0], content_type=TEXT_PLAIN)
    labels = f"revision {old.number}", f"revision {new.number}"
    text = diffing.unified(old.body, new.body, *labels)
    response = HttpResponse(f"{text}\n" if text else "", content_type=TEXT_PLAIN)
    name = f"{document.slug}-{old.number}-{new.number}.diff"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@login_required
def document_restore(request, kind, slug, number):
    document = access.get_document(request.user, kind, slug, access.EDIT)
    _revision_or_404(document, number)
    try:
        base = _revision_number(request.POST.get("base_revision"), "base_revision")
        document_services.restore_revision(document, number, actor=request.user, base_revision=base)
    except EditConflict as conflict:
        messages.error(request, f"Not restored: {conflict}")
        return redirect(f"{document.get_absolute_url()}history/")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{document.get_absolute_url()}history/")
    messages.success(request, f"Restored revision {number} as a new revision.")
    return redirect(document)


STATUS_DONE = {
    Status.IN_REVIEW: "Asked the colleagues of its provider to review it.",
    Status.DRAFT: "Back to draft.",
    Status.ARCHIVED: "Archived: it stays readable, marked as archived.",
    Status.PUBLISHED: "Taken out of the archive.",
}


@require_POST
@login_required
def document_status(request, kind, slug):
    """A button on the read page: ask for review, back to draft, archive, unarchive
    (publishing has its own page). Releasing or taking back needs publish rights (403)."""
    document = access.get_document(request.user, kind, slug)
    status = request.POST.get("status", "")
    if status in RELEASED_STATUSES and not document.is_released:
        return redirect(f"{document.get_absolute_url()}publish/")  # decided on its own page
    try:
        document_services.set_status(document, status, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, STATUS_DONE[status])
    return redirect(document)


def tag_list(request):
    """Tags in use by documents the visitor may see, with how many each."""
    visible = Document.objects.visible_to(request.user)
    tags = (
        Tag.objects.filter(documents__in=visible)
        .annotate(count=Count("documents", distinct=True))
        .order_by("slug")
    )
    return render(request, "tags/list.html", {"tags": tags})


def tag_detail(request, slug):
    """What the visitor may see with the tag, a section per kind: its count, the first 50 by
    title, and a link to the kind's list filtered by the tag for the rest. The number of
    queries depends on the number of kinds, not of documents."""
    tag = get_object_or_404(Tag.objects.visible_to(request.user), slug=slug)
    tagged = Document.objects.visible_to(request.user).filter(tags=tag)
    groups = grouped_by_kind(tagged, ("title", "pk"))
    if not groups:
        raise Http404("No document you may see has this tag.")
    context = {
        "tag": tag,
        "groups": groups,
        "total": sum(group["count"] for group in groups),
        "watching": watch_state(request.user, tag=tag),
    }
    return render(request, "tags/detail.html", context)


@login_required
def document_publish(request, kind, slug):
    """Publishing is a decision: a preview that says who will read it and marks what looks
    sensitive to share beyond the provider, then a confirmation."""
    document = access.get_document(request.user, kind, slug, access.PUBLISH)
    form = PublishForm(request.POST or None, document=document)
    if request.method == "POST" and form.is_valid():
        try:
            document_services.publish(document, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, f"Published “{document.title}”.")
            return redirect(document)
    revision = document.current_revision
    text = f"{revision.title}\n\n{revision.body}"
    findings = sensitive.find(text, _domains(document))
    context = {
        **kind_context(kind),
        "document": document,
        "form": form,
        "findings": findings,
        "highlighted": mark_safe(sensitive.highlight(text, findings)),  # escaped by highlight()
    }
    return render(request, "documents/publish.html", context)


def _domains(document) -> list[str]:
    return sensitive.domains_of(document.provider.website) if document.provider_id else []
