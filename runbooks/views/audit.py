"""The audit log page (issue 19): staff read every entry, a provider's admins their provider's;
titles of documents private to another provider are withheld (`access.audit_target`)."""

from datetime import UTC, timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from runbooks import access
from runbooks.filters import AuditFilter
from runbooks.models import AuditEntry, Provider

PAGE_SIZE = 50


@require_safe
@login_required
def audit_log(request):
    entries = access.audit_entries(request.user)
    if entries is None:
        raise Http404("No page here.")
    filterset = AuditFilter(request.GET, queryset=entries.select_related("provider"))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.shown_target = access.audit_target(request.user, entry)
        entry.shown_detail = _detail(entry)
    query = request.GET.copy()
    query.pop("page", None)
    providers = Provider.objects.filter(pk__in=entries.exclude(provider=None).values("provider"))
    providers = providers.order_by("name").values_list("slug", "name")
    context = {
        "page": page,
        "filters": {name: request.GET.get(name, "") for name in filterset.filters},
        "errors": filterset.errors,
        "actions": AuditEntry.Action.choices,
        "vias": AuditEntry.Via.choices,
        "providers": providers,
        "query": query.urlencode(),
    }
    return render(request, "audit/list.html", context)


def _detail(entry: AuditEntry) -> str:
    """The entry's detail in a few words."""
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    if entry.action == AuditEntry.Action.ROLE_CHANGED:
        before, after = detail.get("before") or "no role", detail.get("role") or "no role"
        return f"{detail.get('user')}: {before} → {after}"
    if entry.action == AuditEntry.Action.VISIBILITY_CHANGED:
        return f"{detail.get('from')} → {detail.get('to')}"
    if entry.action == AuditEntry.Action.ROUTE_CHANGED:
        return f"{detail.get('change')} {detail.get('alertname')}"
    if entry.action == AuditEntry.Action.TOKEN_CREATED:
        return ", ".join(detail.get("scopes") or [])
    if entry.action == AuditEntry.Action.PUBLISHED:
        return str(detail.get("visibility", ""))
    if entry.action == AuditEntry.Action.DELETED:
        return "a comment" if "comment" in detail else str(detail.get("kind", ""))
    if entry.count > 1:
        return _times_within_the_hour(entry)
    return ""


def _times_within_the_hour(entry: AuditEntry) -> str:
    """A counted entry's count and hour (UTC hours, shown in the site's time zone)."""
    start = timezone.localtime(entry.at.astimezone(UTC).replace(minute=0, second=0, microsecond=0))
    end = start + timedelta(hours=1)
    return f"{entry.count:,} times between {start:%H:%M} and {end:%H:%M}"
