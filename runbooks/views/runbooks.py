"""What only runbook pages have: the alert banner, routes and firing history on the read page
(registered as the kind's `detail_context` in `views/kinds.py`), and "mark reviewed"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from runbooks import access, charts, compatibility, fragments, links, placeholders
from runbooks.choices import Kind
from runbooks.forms import RouteForm
from runbooks.models import (
    Alert,
    AlertRoute,
    Document,
    Event,
    Postmortem,
    Provider,
    RunbookUse,
    roles_of,
)
from runbooks.services import routes as route_services
from runbooks.services import runbooks as runbook_services
from runbooks.views.links import alert_context
from runbooks.visibility import can_change_route, can_create_any, can_manage_route

RECEIVED_CANDIDATES = 20
START_POSTMORTEM = "documents/runbook/_start_postmortem.html"


def routes_for_page(user, runbook):
    """The routes to show on a runbook page, and whether each may be changed by `user`."""
    routes = (
        AlertRoute.objects.visible_to(user)
        .filter(runbook=runbook)
        .select_related("provider")
        .order_by("alertname_key", "-priority", "pk")
    )
    return [(route, can_change_route(user, route)) for route in routes]


def removal_context(request, runbook, routes) -> dict:
    """`?remove_route=<id>`: the route a reader asked to remove, and the links that stop
    opening this runbook when it goes — asked before anything is removed."""
    wanted = request.GET.get("remove_route", "")
    route = next((r for r, may in routes if may and str(r.pk) == wanted), None)
    if route is None:
        return {}
    provider = route.provider.slug if route.provider_id else None
    breaking = [links.absolute(links.alert_url(route.alertname, provider=provider), request)]
    others = (  # those the reader may see: another provider's routes are not counted here
        AlertRoute.objects.visible_to(request.user)
        .filter(alertname_key=route.alertname_key)
        .exclude(pk=route.pk)
    )
    return {"removing": route, "breaking_links": breaking, "other_routes": others.count()}


def hint_providers(user, runbook) -> list:
    """The providers whose `runbook_url` hint this reader needs (`?provider=<slug>`, so that
    the link resolves for every member of the provider alike): the runbook's provider, or for
    a community runbook each of the reader's own."""
    member_of = roles_of(user)
    if runbook.provider_id is not None:
        return [runbook.provider] if runbook.provider_id in member_of else []
    return list(Provider.objects.filter(pk__in=member_of).order_by("slug"))


def feedback(user, runbook) -> dict:
    """How the post-mortems `user` may see judged this runbook: counts by verdict and the list
    (a draft or embargoed post-mortem of another provider counts nowhere)."""
    if not runbook.incident_uses:  # named in no post-mortem at all: nothing to ask
        return {"uses": [], "counts": {}, "total": 0}
    postmortems = Postmortem.objects.visible_to(user).values("pk")
    uses = list(
        RunbookUse.objects.filter(runbook=runbook, postmortem__in=postmortems)
        .select_related("postmortem", "revision")
        .order_by("-postmortem__incident_start", "-pk")
    )
    counts = {v: sum(use.verdict == v for use in uses) for v in RunbookUse.Verdict.values}
    return {"uses": uses, "counts": counts, "total": len(uses)}


def received_alert(user, alert: dict):
    """The latest received alert `user` may see with the banner's name and labels, if any."""
    candidates = Alert.objects.visible_to(user).filter(alertname__iexact=alert["name"])
    for received in candidates.order_by("-last_seen")[:RECEIVED_CANDIDATES]:
        if all(received.labels.get(k) == v for k, v in alert["labels"].items()):
            return received
    return None


def postmortem_url(user, runbook, alert: dict | None) -> str:
    """ "Start a post-mortem" from a runbook opened from an alert: from the alert as received
    when this site received it, else from the runbook and the alert's name."""
    if alert is None or not can_create_any(user):
        return ""
    received = received_alert(user, alert)
    if received is not None:
        return links.new_document(Kind.POSTMORTEM, from_alert=received.pk)
    title = f"Incident: {alert['name']}"
    return links.new_document(Kind.POSTMORTEM, from_runbook=runbook.slug, title=title)


def filled_context(runbook, alert: dict | None) -> dict:
    """Opened from an alert: the text with its commands' placeholders filled from the alert's
    labels (`text_html`, the page shows it instead of the stored HTML) and those left unfilled."""
    if alert is None or runbook.current_revision is None:
        return {}
    labels = {"alertname": alert["name"], **alert["labels"]}
    found = placeholders.fill(runbook.current_revision.html, labels, runbook.placeholder_labels)
    return {"text_html": found.html, "placeholders": found}


def detail_context(request, runbook) -> dict:
    routes = routes_for_page(request.user, runbook)
    alert = alert_context(request.GET)
    toc = runbook.current_revision.toc if runbook.current_revision else []
    context = {
        **filled_context(runbook, alert),
        "alert": alert,
        # Opened from an alert: its first instruction first (issue 31), and a row to jump to
        # each of its sections (its H2s; their ids are the renderer's).
        "action_first": alert is not None,
        "jump_to": [item for item in toc if item["level"] == 2],
        "routes": routes,
        "hint_providers": hint_providers(request.user, runbook),
        "feedback": feedback(request.user, runbook),
        "compatibility": compatibility.table(request.user, runbook),
        "may_write": can_create_any(request.user),
        "review_cause": review_cause(request.user, runbook),
        **removal_context(request, runbook, routes),
    }
    if request.user.is_authenticated:
        form = RouteForm(user=request.user, runbook=runbook)
        context["route_form"] = form if form.fields["scope"].choices else None
    return context


def personal_parts(request, runbook) -> dict[str, str]:
    """What the read page renders for every request, outside its cached part: what follows
    received alerts, which arrive without changing the page's stamp — the firing history
    (counts and a number of providers only; signed-in readers, like /alerts/missing/) and,
    opened from an alert, "Start a post-mortem" from the alert as received."""
    url = postmortem_url(request.user, runbook, alert_context(request.GET))
    start = {"postmortem_url": url}
    parts = {"start_postmortem": render_to_string(START_POSTMORTEM, start, request)}
    if request.user.is_authenticated:
        parts |= firing_parts(charts.firing_history(runbook), runbook.slug)
    return parts


def firing_parts(firing: charts.FiringHistory, slug: str) -> dict[str, str]:
    """The firing line and chart, rendered once per history (the SVG's thirty dated bars cost
    more than reading the counts)."""

    def render() -> dict[str, str]:
        context = {"firing": firing, "document": {"slug": slug}}
        return {
            "firing_line": render_to_string("documents/runbook/_firing_line.html", context),
            "firing": render_to_string("documents/runbook/_firing.html", context),
        }

    return fragments.rendered_once("firing", (firing, slug), render)


def review_cause(user, runbook) -> Document | None:
    """The post-mortem or report that made the runbook's review due, if `user` may read it
    (the badge says why either way, and names it only to those readers)."""
    if not runbook.stale or runbook.review_due_source_id is None:
        return None
    return Document.objects.visible_to(user).filter(pk=runbook.review_due_source_id).first()


@require_POST
@login_required
def runbook_review(request, kind, slug):
    runbook = access.get_document(request.user, kind, slug, access.EDIT)
    runbook_services.mark_reviewed(runbook, actor=request.user)
    messages.success(request, "Marked as reviewed today.")
    return redirect(runbook)


def history_context(request, runbook) -> dict:
    """The runbook's route changes for its history page: who added, changed or removed which
    alert route when, and whether the reader may put a removed one back."""
    changes = runbook.route_changes.select_related("actor", "provider")[:100]
    reviews = Event.objects.filter(document=runbook, kind=Event.Kind.REVIEWED)
    return {
        "route_changes": [
            (change, change.action == "removed" and may_restore(request.user, change))
            for change in changes
        ],
        "reviews": reviews.select_related("actor")[:50],
    }


def may_restore(user, change) -> bool:
    return can_manage_route(user, change.provider, change.runbook)


@require_POST
@login_required
def route_restore(request, kind, slug, change_id):
    runbook = access.get_document(request.user, kind, slug)
    change = get_object_or_404(runbook.route_changes, pk=change_id)
    try:
        route_services.restore_route(change, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Alerts named “{change.alertname}” open this runbook again.")
    return redirect(f"{runbook.get_absolute_url()}history/")
