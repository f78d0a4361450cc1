"""Received alerts for people (DESIGN §3, §8): the list, one alert with its timeline, and the
alert names that found no runbook.

Alerts are visible to members of the receiving provider and to staff
(`Alert.objects.visible_to`); an
alert someone may not see answers 404 exactly like one that does not exist. The runbook an
alert led to is shown only when the reader may see that runbook too (staff see every alert but
not other providers' private runbooks).
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum
from django.shortcuts import get_object_or_404, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_safe

from runbooks import inputs, resolution
from runbooks.choices import Kind
from runbooks.filters import AlertFilter
from runbooks.links import new_document, opened_from_alert
from runbooks.models import Alert, AlertRoute, AlertSource, AlertStatus, InboxEntry, RunbookMiss
from runbooks.views.links import write_url
from runbooks.visibility import can_create_any

PAGE_SIZE = 25
TIMELINE_LIMIT = 100
FAILED_LIMIT = 50
# Links back to the sender, from Grafana's extra fields: (key in Alert.extra, link text).
EXTRA_LINKS = (
    ("silenceURL", "Silence"),
    ("dashboardURL", "Dashboard"),
    ("panelURL", "Panel"),
    ("imageURL", "Panel image"),
)


def web_url(value) -> str | None:
    """`value` if it is a plain http(s) URL that is safe to put in an href, else None (the one
    check of `runbooks.inputs`: no whitespace or control characters, which is how
    `java\\tscript:` slips past naive checks, and nothing urlsplit cannot read)."""
    return value if isinstance(value, str) and inputs.is_http_url(value) else None


def runbook_url(alert: Alert) -> str:
    """The alert's runbook page with the alert's context, in the query form that /r/ redirects
    write (`?alert=<name>&label.<k>=<v>`, DESIGN §4), so the page shows the banner and fills
    placeholders with this alert's labels. `alertname` is the `alert` itself; labels /r/ would
    refuse (a name over 200 or a value over MAX_LABEL_VALUE characters) are left out, and at
    most MAX_LABELS are kept."""
    labels = sorted(
        (str(name), str(value))
        for name, value in alert.labels.items()
        if name != "alertname"
        and len(str(name)) <= 200
        and len(str(value)) <= resolution.MAX_LABEL_VALUE
    )[: resolution.MAX_LABELS]
    return opened_from_alert(alert.runbook.get_absolute_url(), alert.alertname, dict(labels))


@require_safe
@login_required
def alert_list(request):
    """Recent alerts the user may see, the most recently notified first, filterable."""
    filterset = AlertFilter(
        request.GET, queryset=Alert.objects.visible_to(request.user), request=request
    )
    page = Paginator(filterset.qs.order_by("-last_seen", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": {name: request.GET.get(name, "") for name in filterset.filters},
        "statuses": AlertStatus.choices,
        "sources": AlertSource.choices,
        "query": query.urlencode(),
    }
    return render(request, "alerts/list.html", context)


def sender_links(alert: Alert) -> list[tuple[str, str]]:
    """(text, url) links back to where the alert came from, and to the receiving provider's
    status page; http(s) only."""
    extra = alert.extra if isinstance(alert.extra, dict) else {}
    candidates = [(_source_link_text(alert, extra), alert.generator_url)]
    candidates += [(text, extra.get(key)) for key, text in EXTRA_LINKS]
    links = extra.get("links") if isinstance(extra.get("links"), list) else []
    candidates += [
        (str(link.get("text") or "Link")[:100], link.get("href"))
        for link in links
        if isinstance(link, dict)
    ]
    candidates.append(("Status page", alert.provider.status_page_url))
    return [(text, url) for text, url in candidates if web_url(url)]


def _source_link_text(alert: Alert, extra: dict) -> str:
    if alert.source == AlertSource.GRAFANA:
        return "Open in Grafana"
    if alert.source == AlertSource.EVENTS:
        return f"Open in {extra.get('client') or 'the sender'}"[:100]
    return "Open in Prometheus"


def _annotations(alert: Alert) -> list[tuple[str, str, str | None]]:
    """(name, value, link) per annotation; a value that is a web URL (runbook_url) is linked."""
    return [(name, value, web_url(value)) for name, value in sorted(alert.annotations.items())]


def _values(alert: Alert) -> list[tuple[str, str]]:
    """Grafana's evaluated values ({"A": 97.2}), as text."""
    values = alert.extra.get("values") if isinstance(alert.extra, dict) else None
    if not isinstance(values, dict):
        return []
    return [(str(name), str(value)) for name, value in sorted(values.items())]


def _moment(value):
    """A time the sender told us (stored as ISO 8601 text), or None."""
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _timeline(alert: Alert) -> list:
    """The latest notifications, oldest first."""
    latest = alert.events.order_by("-received_at", "-pk")[:TIMELINE_LIMIT]
    return list(reversed(latest))


@require_safe
@login_required
def alert_detail(request, pk: int):
    """One alert: labels, annotations, links back, the timeline, and its runbook."""
    alert = get_object_or_404(Alert.objects.visible_to(request.user), pk=pk)
    events = _timeline(alert)
    extra = alert.extra if isinstance(alert.extra, dict) else {}
    context = {
        "alert": alert,
        "labels": sorted(alert.labels.items()),
        "annotations": _annotations(alert),
        "values": _values(alert),
        "value_string": extra.get("valueString", ""),
        "links": sender_links(alert),
        "unlinked_generator": alert.generator_url if not web_url(alert.generator_url) else "",
        "events": events,
        "timeline_cut": len(events) == TIMELINE_LIMIT,
        "write_url": write_url(alert.alertname) if can_create_any(request.user) else "",
        "postmortem_url": new_document(Kind.POSTMORTEM, from_alert=alert.pk)
        if can_create_any(request.user)
        else "",
        "runbook_url": runbook_url(alert) if alert.runbook and alert.runbook_visible else "",
        "acknowledged_at": _moment(extra.get("acknowledged_at")),
    }
    return render(request, "alerts/detail.html", context)


def missing_alert_names():
    """Alert names that found no runbook, summed over providers: name, total, number of
    providers, last seen. A provider's misses drop out once a route for the name applies to it
    (a community route, or one scoped to that provider); matchers are not second-guessed."""
    covered = AlertRoute.objects.filter(alertname_key=OuterRef("alertname_key")).filter(
        Q(provider__isnull=True) | Q(provider=OuterRef("provider"))
    )
    return (
        RunbookMiss.objects.exclude(Exists(covered))
        .values("alertname_key")
        .annotate(
            name=Min("alertname"),
            total=Sum("count"),
            providers=Count("provider", distinct=True),
            last_seen=Max("last_seen"),
        )
        .order_by("-total", "-last_seen", "alertname_key")
    )


def _staff_inbox_context() -> dict:
    """Bodies that could not be processed, for moderators: metadata and error, never the body."""
    failed = (
        InboxEntry.objects.filter(failed_at__isnull=False)
        .only("pk", "source", "attempts", "error", "received_at", "failed_at")
        .order_by("-failed_at", "-pk")[:FAILED_LIMIT]
    )
    waiting = InboxEntry.objects.filter(processed_at__isnull=True, failed_at__isnull=True)
    return {"failed_entries": failed, "waiting_entries": waiting.count()}


@require_safe
@login_required
def alert_missing(request):
    """What runbooks the community should write next; no labels, no provider names."""
    page = Paginator(missing_alert_names(), PAGE_SIZE).get_page(request.GET.get("page"))
    may_write = can_create_any(request.user)  # readers get no link to a page they cannot use
    rows = [
        {**row, "write_url": write_url(row["name"]) if may_write else ""}
        for row in page.object_list
    ]
    context = {"page": page, "rows": rows}
    if request.user.is_staff:
        context.update(_staff_inbox_context())
    return render(request, "alerts/missing.html", context)
