"""Stable links for an alert's `runbook_url`: /r/<alertname>, /r/<component>/<alertname>,
/r/?alertname=… (DESIGN §4). A match answers 302 to the runbook with the alert's context.

Signed out, every answer that is not a public runbook is one page with one status (404), built
with the same queries, whether a private runbook, a draft, a community runbook or nothing
stands behind the link: no one can learn which alerts a provider keeps runbooks for."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from runbooks import alerting, fastpath, resolution, search
from runbooks.choices import Kind
from runbooks.links import ALERT, LABEL_PREFIX, new_document, opened_from_alert, with_query
from runbooks.services import routes
from runbooks.visibility import can_create_any


def answer_signed_out(request, alertname: str | None = None, component: str | None = None):
    """The 302 to a public runbook, for a request that carries no session (answered before
    the middleware that reads sessions, runbooks/fastpath.py); None for anything else, which
    `alert_link` answers (the no-runbook page, problems) as it always does."""
    name, component = _asked(request, alertname, component)
    if not name:
        return None
    try:
        found = resolution.look_up(AnonymousUser(), name, request.GET, component, rows=True)
    except (resolution.UnknownProvider, resolution.BadLabels):
        return None
    return _redirect(found, name) if found.route is not None else None


@fastpath.answers_signed_out(answer_signed_out)
def alert_link(request, alertname: str | None = None, component: str | None = None):
    name, component = _asked(request, alertname, component)
    if not name:
        return _problem(request, "Which alert? Use /r/<alertname> or /r/?alertname=<name>.")
    try:
        found = resolution.look_up(request.user, name, request.GET, component, rows=True)
    except resolution.UnknownProvider as unknown:
        return _problem(request, f"There is no provider called “{unknown}”.", status=404)
    except resolution.BadLabels as bad:
        return _problem(request, str(bad))
    routes.count_miss(found.miss, actor=request.user)
    if found.route is None:  # no match, or one the caller may not see: the same page
        return _missing(request, name, component, found.labels)
    return _redirect(found, name)


def _asked(request, alertname, component) -> tuple[str, str | None]:
    name = (alertname or request.GET.get("alertname", "")).strip()
    return name, component or request.GET.get("component") or None  # the query form's


def _redirect(found, name: str):
    page = found.route.runbook.get_absolute_url()
    response = HttpResponseRedirect(opened_from_alert(page, name, found.labels))
    # Who asks decides where it leads (a member is led to their provider's runbook).
    patch_vary_headers(response, ["Cookie"])
    return response


def alert_context(query) -> dict | None:
    """The alert that brought a reader to a runbook, from the query string `alert_link` wrote."""
    name = query.get(ALERT, "").strip()
    if not name:
        return None
    labels = {
        key[len(LABEL_PREFIX) :]: value
        for key, value in query.items()
        if key.startswith(LABEL_PREFIX) and len(value) <= resolution.MAX_LABEL_VALUE
    }
    return {"name": name[:200], "labels": dict(list(labels.items())[: resolution.MAX_LABELS])}


def related_runbooks(user, alertname: str, limit: int = 5):
    """Runbooks `user` may see that share words with the alert's name (`CephMonQuorumLost`:
    ceph or mon or quorum or lost), best first — the same search as /search/."""
    words = alerting.alert_words(alertname)[:8]
    if not words:
        return []
    try:
        found = search.find(user, " or ".join(words), kind=Kind.RUNBOOK, per_page=limit)
    except search.TooBroad:  # the page is about the missing runbook; the search is a bonus
        return []
    return [hit.document for hit in found.page.object_list] if found.page else []


def write_url(alertname: str, component: str | None = None) -> str:
    """The "write this runbook" link: title, component and the alert name, whose route the
    new runbook gets on save."""
    query = {
        "title": alertname,
        "alertname": alertname,
        **({"component": component} if component else {}),
    }
    return new_document(Kind.RUNBOOK, **query)


def _missing(request, name, component, labels):
    context = {
        "alertname": name,
        "component": component,
        "labels": sorted(labels.items()),
        # Signed out, the page depends on the link alone: suggestions (a search whose cost
        # varies) are one tap away on the search page instead.
        "suggestions": related_runbooks(request.user, name)
        if request.user.is_authenticated
        else [],
        "write_url": write_url(name, component),
        "can_write": can_create_any(request.user),
        "login_url": with_query(reverse("login"), {"next": request.get_full_path()}),
    }
    return render(request, "links/missing.html", context, status=404)


def _problem(request, message: str, status: int = 400):
    return render(request, "links/problem.html", {"message": message}, status=status)
