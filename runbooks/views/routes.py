"""Alert routes managed from a runbook's page by those who may (DESIGN §3)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from runbooks import access
from runbooks.forms import RouteForm
from runbooks.models import AlertRoute
from runbooks.services import routes as route_services


@require_POST
@login_required
def route_add(request, kind, slug):
    runbook = access.get_document(request.user, kind, slug)
    form = RouteForm(request.POST, user=request.user, runbook=runbook)
    if not form.fields["scope"].choices:
        raise PermissionDenied("You may not add alert routes to this runbook.")
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"Route not added ({field}): {' '.join(errors)}")
        return redirect(f"{runbook.get_absolute_url()}#routes")
    data = form.cleaned_data
    try:
        route_services.save_route(
            actor=request.user,
            alertname=data["alertname"],
            runbook=runbook,
            provider=data["scope"],
            matchers=data["matchers"],
            priority=data["priority"],
        )
    except ValidationError as exc:
        messages.error(request, "Route not added: " + " ".join(exc.messages))
    else:
        messages.success(request, f"Alerts named “{data['alertname']}” now open this runbook.")
    return redirect(f"{runbook.get_absolute_url()}#routes")


@require_POST
@login_required
def route_delete(request, kind, slug, route_id):
    runbook = access.get_document(request.user, kind, slug)
    route = get_object_or_404(
        AlertRoute.objects.visible_to(request.user), pk=route_id, runbook=runbook
    )
    route_services.delete_route(route, actor=request.user)
    messages.success(request, f"Removed the route for “{route.alertname}”.")
    return redirect(f"{runbook.get_absolute_url()}#routes")
