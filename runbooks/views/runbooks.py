"""What only runbook pages have: the alert banner, routes and firing history on the read page
(registered as the kind's `page_context`), and "mark reviewed"."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from runbooks import access, charts
from runbooks.forms import RouteForm
from runbooks.models import AlertRoute
from runbooks.services import runbooks as runbook_services
from runbooks.views.links import alert_context
from runbooks.visibility import can_manage_route


def routes_for_page(user, runbook):
    """The routes to show on a runbook page, and whether each may be changed by `user`."""
    routes = (
        AlertRoute.objects.visible_to(user)
        .filter(runbook=runbook)
        .select_related("provider")
        .order_by("alertname_key", "-priority", "pk")
    )
    return [(route, can_manage_route(user, route.provider, runbook)) for route in routes]


def detail_context(request, runbook) -> dict:
    context = {
        "alert": alert_context(request.GET),
        "base_url": settings.BASE_URL,
        "routes": routes_for_page(request.user, runbook),
    }
    # Counts and a number of providers only; signed-in readers, like /alerts/missing/.
    if request.user.is_authenticated:
        context["firing"] = charts.firing_history(runbook)
        form = RouteForm(user=request.user, runbook=runbook)
        context["route_form"] = form if form.fields["scope"].choices else None
    return context


@require_POST
@login_required
def runbook_review(request, kind, slug):
    runbook = access.get_document(request.user, kind, slug, access.EDIT)
    runbook_services.mark_reviewed(runbook, actor=request.user)
    messages.success(request, "Marked as reviewed today.")
    return redirect(runbook)
