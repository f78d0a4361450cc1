"""Links to the site, built in one place on `reverse()` (DESIGN §8): the `/r/` link of an alert,
the runbook page opened from an alert, and the few links that need a query string; absolute
addresses from OPENOPS_BASE_URL. Pure: plain values in, strings out, no models.

An alert name goes in the path only when it survives there everywhere (proxies, chat clients,
copy and paste): `/r/ceph%2Fosd%20down` reaches Django as `/r/ceph/osd down`. Every other name
takes the `?alertname=` form, which any name survives."""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

LOCAL_DEFAULT = "http://127.0.0.1:8000"
# RFC 3986's unreserved characters and ":" (left alone by reverse() and by every decoder); not
# "." or "..", which clients resolve away.
_PATH_SAFE = re.compile(r"[A-Za-z0-9._~:-]+")
# What /r/ reads from the query string that is not a label.
NOT_LABELS = ("alertname", "component", "provider")
# The runbook page's alert context, as /r/ redirects to it (DESIGN §4): ?alert=…&label.<k>=…
ALERT = "alert"
LABEL_PREFIX = "label."


def base_url(request=None) -> str:
    """OPENOPS_BASE_URL when set, else the address the request came to, else (no request:
    seeding, tasks) the local default of `make run`."""
    if settings.BASE_URL:
        return settings.BASE_URL
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return LOCAL_DEFAULT


def absolute(path: str, request=None) -> str:
    return base_url(request) + path


def with_query(path: str, query: dict) -> str:
    return f"{path}?{urlencode(query)}" if query else path


def fits_path(value: str) -> bool:
    """Whether an alert name or component survives as a segment of a `/r/` path."""
    return bool(_PATH_SAFE.fullmatch(value)) and value not in {".", ".."}


def alert_url(
    name: str,
    component: str | None = None,
    provider: str | None = None,
    labels: dict[str, str] | None = None,
) -> str:
    """The stable link of an alert (DESIGN §4): `/r/<name>`, `/r/<component>/<name>`, or
    `/r?alertname=<name>&component=…` when either would not survive in the path; then the
    provider's slug and the labels, sorted (labels named like /r/'s own parameters left out)."""
    query = {}
    if not fits_path(name) or (component and not fits_path(component)):
        path = reverse("alert-link-query")
        query = {"alertname": name, **({"component": component} if component else {})}
    elif component:
        path = reverse("alert-link-component", kwargs={"component": component, "alertname": name})
    else:
        path = reverse("alert-link", kwargs={"alertname": name})
    if provider:
        query["provider"] = provider
    query.update(sorted((k, v) for k, v in (labels or {}).items() if k not in NOT_LABELS))
    return with_query(path, query)


def runbook_url_template(provider: str | None = None, request=None) -> str:
    """The `runbook_url` annotation for a rule file, with Prometheus's template for the name."""
    path = reverse("alert-link", kwargs={"alertname": "ALERTNAME"})
    path = path.replace("ALERTNAME", "{{ $labels.alertname }}")
    return absolute(with_query(path, {"provider": provider} if provider else {}), request)


def opened_from_alert(page_url: str, name: str, labels: dict[str, str]) -> str:
    """A runbook page with the alert that opened it, as /r/ redirects to it: the page shows the
    banner and fills placeholders with the labels."""
    context = {ALERT: name, **{f"{LABEL_PREFIX}{k}": v for k, v in sorted(labels.items())}}
    return with_query(page_url, context)


def new_document(kind: str, **prefill) -> str:
    """The "new document" page of a kind, its form prefilled (`title=`, `from_alert=`, …)."""
    return with_query(reverse(f"{kind}-new"), prefill)


def diff(kind: str, slug: str, number: int) -> str:
    """What revision `number` changed: the diff against the one before it."""
    return with_query(reverse(f"{kind}-diff", args=[slug]), {"from": number - 1, "to": number})
