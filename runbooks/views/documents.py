"""Pages for documents of every kind: list, read, write, history, diff, restore, review."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from runbooks import charts, diffing, markdown, services
from runbooks.choices import KIND_DEFAULTS, Kind, Status
from runbooks.forms import DocumentForm, NewDocumentForm, RouteForm
from runbooks.models import Document, Provider, Revision, Tag
from runbooks.visibility import can_edit, can_write_in, roles_of

PAGE_SIZE = 25
MAX_REVISION = 2**31 - 1


def get_visible_document(request, kind: str, slug: str) -> Document:
    """The document, if `request.user` may see it; 404 exactly like a missing one otherwise."""
    queryset = Document.objects.visible_to(request.user).filter(kind=kind)
    return get_object_or_404(
        queryset.select_related("provider", "current_revision__author", "creator"), slug=slug
    )


def get_editable_document(request, kind: str, slug: str) -> Document:
    document = get_visible_document(request, kind, slug)
    if not can_edit(request.user, document):
        raise PermissionDenied("You may read this document but not change it.")
    return document


def _kind_context(kind: str) -> dict:
    return {"kind": kind, "kind_label": Kind(kind).label, "prefix": f"/{Kind(kind).value}s/"}


def document_list(request, kind):
    documents = Document.objects.visible_to(request.user).of_kind(kind).for_listing()
    filters = {
        "tag": request.GET.get("tag", ""),
        "provider": request.GET.get("provider", ""),
        "component": request.GET.get("component", ""),
        "stale": request.GET.get("stale", ""),
        "status": request.GET.get("status", ""),
    }
    if filters["tag"]:
        documents = documents.filter(tags__slug=filters["tag"])
    if filters["provider"] == "community":
        documents = documents.filter(provider__isnull=True)
    elif filters["provider"]:
        documents = documents.filter(provider__slug=filters["provider"])
    if filters["component"]:
        documents = documents.filter(component__iexact=filters["component"])
    if filters["stale"] in ("true", "false"):
        documents = documents.stale(filters["stale"] == "true")
    if filters["status"] in Status.values:
        documents = documents.filter(status=filters["status"])
    page = Paginator(documents.order_by("title", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **_kind_context(kind),
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "providers": Provider.objects.all(),
        "components": _components(request.user, kind),
        "can_create": request.user.is_authenticated and _can_create_any(request.user),
    }
    return render(request, "documents/list.html", context)


def _components(user, kind):
    visible = Document.objects.visible_to(user).of_kind(kind).exclude(component="")
    return visible.order_by("component").values_list("component", flat=True).distinct()


def _can_create_any(user) -> bool:
    return can_write_in(user, None) or bool(roles_of(user))


def document_detail(request, kind, slug):
    document = get_visible_document(request, kind, slug)
    context = {
        **_kind_context(kind),
        "document": document,
        "revision": document.current_revision,
        "tags": document.tags.all(),
        "can_edit": can_edit(request.user, document),
    }
    if kind == Kind.RUNBOOK:
        from runbooks.views.links import alert_context
        from runbooks.views.routes import routes_for_page

        context["alert"] = alert_context(request.GET)
        context["base_url"] = settings.BASE_URL
        context["routes"] = routes_for_page(request.user, document)
        # Counts and a number of providers only; signed-in readers, like /alerts/missing/.
        if request.user.is_authenticated:
            context["firing"] = charts.firing_history(document)
        if request.user.is_authenticated:
            form = RouteForm(user=request.user, runbook=document)
            context["route_form"] = form if form.fields["scope"].choices else None
    return render(request, "documents/detail.html", context)


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
    initial = {"title": request.GET.get("title", ""), "visibility": KIND_DEFAULTS[Kind(kind)][1]}
    form = NewDocumentForm(request.POST or None, user=request.user, kind=kind, initial=initial)
    if not form.fields["provider"].choices:
        raise PermissionDenied("Only editors of a provider, and moderators, write documents.")
    preview = _preview(form) if "preview" in request.POST else None
    if request.method == "POST" and preview is None and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.create_document(
                kind=kind,
                title=data["title"],
                body=data["body"],
                author=request.user,
                provider=data["provider"],
                slug=data["slug"] or None,
                visibility=data["visibility"],
                tags=data["tags"],
                component=data.get("component", ""),
                review_interval_days=data.get("review_interval_days"),
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, f"Created “{document.title}”.")
            return redirect(document)
    context = {**_kind_context(kind), "form": form, "preview": preview}
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
        "component": document.component,
        "review_interval_days": document.review_interval_days,
        "base_revision": revision.number if revision else 0,
    }


@login_required
def document_edit(request, kind, slug):
    document = get_editable_document(request, kind, slug)
    form = DocumentForm(request.POST or None, kind=kind, initial=_edit_initial(document))
    preview = _preview(form) if "preview" in request.POST else None
    if request.method == "POST" and preview is None and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_revision(
                document,
                title=data["title"],
                body=data["body"],
                author=request.user,
                base_revision=data["base_revision"],
                message=data["message"],
            )
            services.update_details(
                document,
                tags=data["tags"],
                component=data.get("component"),
                review_interval_days=data.get("review_interval_days"),
            )
        except services.EditConflict as conflict:
            return _conflict(request, kind, document, form, conflict)
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(document)
    context = {**_kind_context(kind), "form": form, "document": document, "preview": preview}
    return render(request, "documents/edit.html", context)


def _conflict(request, kind, document, form, conflict):
    """Show what changed meanwhile and keep the user's text, now based on the current revision."""
    current = conflict.current
    base = document.revisions.filter(number=conflict.base).first()
    data = form.data.copy()
    data["base_revision"] = current.number
    context = {
        **_kind_context(kind),
        "document": document,
        "form": DocumentForm(data, kind=kind),
        "current": current,
        "base": base,
        "their_changes": diffing.diff_lines(base.body if base else "", current.body),
        "your_changes": diffing.diff_lines(current.body, form.cleaned_data["body"]),
    }
    return render(request, "documents/conflict.html", context, status=409)


def document_history(request, kind, slug):
    document = get_visible_document(request, kind, slug)
    revisions = document.revisions.select_related("author").defer("body", "html", "toc")
    context = {**_kind_context(kind), "document": document, "revisions": revisions}
    return render(request, "documents/history.html", context)


def _revision_or_404(document, number) -> Revision:
    try:
        return document.revisions.select_related("author").get(number=number)
    except Revision.DoesNotExist:
        raise Http404(f"Revision {number} of this document does not exist.") from None


def revision_detail(request, kind, slug, number):
    document = get_visible_document(request, kind, slug)
    revision = _revision_or_404(document, number)
    context = {
        **_kind_context(kind),
        "document": document,
        "revision": revision,
        "can_edit": can_edit(request.user, document),
        "is_current": revision.pk == document.current_revision_id,
    }
    return render(request, "documents/revision.html", context)


def _revision_number(value, name) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"“{name}” must be a revision number.") from None
    if not 1 <= number <= MAX_REVISION:
        raise ValidationError(f"“{name}” must be a revision number.")
    return number


def document_diff(request, kind, slug):
    document = get_visible_document(request, kind, slug)
    current = document.current_revision.number
    try:
        start = _revision_number(request.GET.get("from", max(current - 1, 1)), "from")
        end = _revision_number(request.GET.get("to", current), "to")
        if start > end:
            raise ValidationError("“from” must not be after “to”.")
    except ValidationError as exc:
        context = {**_kind_context(kind), "document": document, "error": exc.messages[0]}
        return render(request, "documents/diff.html", context, status=400)
    old, new = _revision_or_404(document, start), _revision_or_404(document, end)
    context = {
        **_kind_context(kind),
        "document": document,
        "old": old,
        "new": new,
        "title_changed": old.title != new.title,
        "lines": diffing.diff_lines(old.body, new.body),
        "numbers": range(1, current + 1),
    }
    return render(request, "documents/diff.html", context)


@require_POST
@login_required
def document_restore(request, kind, slug, number):
    document = get_editable_document(request, kind, slug)
    _revision_or_404(document, number)
    try:
        base = _revision_number(request.POST.get("base_revision"), "base_revision")
        services.restore_revision(document, number, author=request.user, base_revision=base)
    except services.EditConflict as conflict:
        messages.error(request, f"Not restored: {conflict}")
        return redirect(f"{document.get_absolute_url()}history/")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{document.get_absolute_url()}history/")
    messages.success(request, f"Restored revision {number} as a new revision.")
    return redirect(document)


@require_POST
@login_required
def document_review(request, kind, slug):
    document = get_editable_document(request, kind, slug)
    if kind != Kind.RUNBOOK:
        raise Http404("Only runbooks are reviewed.")
    services.mark_reviewed(document, reviewer=request.user)
    messages.success(request, "Marked as reviewed today.")
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
    tag = get_object_or_404(Tag, slug=slug)
    documents = Document.objects.visible_to(request.user).filter(tags=tag).for_listing()
    page = Paginator(documents.order_by("kind", "title"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    if not page.object_list:
        raise Http404("No document you may see has this tag.")
    return render(request, "tags/detail.html", {"tag": tag, "page": page})
