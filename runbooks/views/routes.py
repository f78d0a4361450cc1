"""Alert routes managed from a runbook's page by those who may (DESIGN §3)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from runbooks import services
from runbooks.forms import RouteForm
from runbooks.models import AlertRoute
from runbooks.views.documents import get_visible_document
from runbooks.visibility import can_manage_route, visible_routes_q


def routes_for_page(user, runbook):
    """The routes to show on a runbook page, and whether each may be changed by `user`."""
    routes = (
        AlertRoute.objects.filter(visible_routes_q(user), runbook=runbook)
        .select_related("provider")
        .order_by("alertname_key", "-priority", "pk")
    )
    return [(route, can_manage_route(user, route.provider, runbook)) for route in routes]


@require_POST
@login_required
def route_add(request, kind, slug):
    runbook = get_visible_document(request, kind, slug)
    form = RouteForm(request.POST, user=request.user, runbook=runbook)
    if not form.fields["scope"].choices:
        raise PermissionDenied("You may not add alert routes to this runbook.")
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"Route not added ({field}): {' '.join(errors)}")
        return redirect(f"{runbook.get_absolute_url()}#routes")
    data = form.cleaned_data
    try:
        services.save_route(
            alertname=data["alertname"],
            runbook=runbook,
            provider=data["scope"],
            matchers=data["matchers"],
            priority=data["priority"],
            author=request.user,
        )
    except ValidationError as exc:
        messages.error(request, "Route not added: " + " ".join(exc.messages))
    else:
        messages.success(request, f"Alerts named “{data['alertname']}” now open this runbook.")
    return redirect(f"{runbook.get_absolute_url()}#routes")


@require_POST
@login_required
def route_delete(request, kind, slug, route_id):
    runbook = get_visible_document(request, kind, slug)
    route = get_object_or_404(
        AlertRoute.objects.filter(visible_routes_q(request.user)), pk=route_id, runbook=runbook
    )
    if not can_manage_route(request.user, route.provider, runbook):
        raise PermissionDenied("You may not remove this route.")
    services.delete_route(route)
    messages.success(request, f"Removed the route for “{route.alertname}”.")
    return redirect(f"{runbook.get_absolute_url()}#routes")
