"""Alert → runbook resolution against the database (DESIGN §4): lookups only, never a write
(a miss is handed back to the caller); the rules are in alerting.py."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from runbooks import alerting, inputs
from runbooks.models import AlertRoute, Provider, Runbook, roles_of
from runbooks.models.documents import visible_to_provider_q

MAX_LABELS = 64
MAX_LABEL_VALUE = 1024
# Query parameters that are not labels.
NOT_LABELS = {"provider", "component"}


class UnknownProvider(LookupError):
    pass


class BadLabels(ValueError):
    pass


def candidate_routes(alertname: str, provider: Provider | None):
    """Routes for this alert name that apply to `provider` and lead to a runbook its members
    may all see: one indexed query, whatever the number of routes."""
    return _candidates([alertname.casefold()], provider)


def _candidates(keys: list[str], provider: Provider | None):
    scope = Q(provider__isnull=True)
    if provider is not None:
        scope |= Q(provider=provider)
    # A join on the route's runbook, not `runbook__in=<subquery>`: SQLite would list every
    # visible runbook first (a scan that grows with the corpus).
    visible = visible_to_provider_q(provider, on="runbook__")
    # Unordered: `alerting.best_route` decides by precedence alone (older route last), and
    # compiling the model's default ORDER BY was a seventh of a `/r/` request.
    return (
        AlertRoute.objects.filter(alertname_key__in=keys)
        .filter(scope, visible)
        .select_related("runbook__provider")
        .order_by()
    )


def candidates_by_name(alertnames: Iterable[str], provider: Provider | None) -> dict[str, list]:
    """`candidate_routes` for many alert names in one query, by case-folded name (with their
    runbooks, for the component and the review date)."""
    keys = sorted({name.casefold() for name in alertnames})
    found: dict[str, list] = {key: [] for key in keys}
    for start in range(0, len(keys), 500):  # SQLite's limit on the parameters of one query
        for route in _candidates(keys[start : start + 500], provider):
            found[route.alertname_key].append(route)
    return found


def resolve(
    alertname: str,
    labels: Mapping[str, str],
    provider: Provider | None,
    component: str | None = None,
) -> AlertRoute | None:
    labels = {"alertname": alertname, **labels}
    return alerting.best_route(list(candidate_routes(alertname, provider)), labels, component)


def scope_for(user, explicit: str | None, token=None) -> Provider | None:
    """The provider an alert concerns: `provider` parameter, else the token's provider, else the
    signed-in user's only membership, else none."""
    if explicit:
        provider = Provider.objects.filter(slug__iexact=explicit).first()
        if provider is None:
            raise UnknownProvider(explicit)
        return provider
    if token is not None and token.provider_id:
        return token.provider
    memberships = roles_of(user)
    if len(memberships) == 1:
        return Provider.objects.get(pk=next(iter(memberships)))
    return None


def labels_from_query(query) -> dict[str, str]:
    """Labels from query parameters, bounded so no request can make resolution costly."""
    labels = {k: v for k, v in query.items() if k not in NOT_LABELS}
    if len(labels) > MAX_LABELS:
        raise BadLabels(f"At most {MAX_LABELS} labels.")
    for name, value in labels.items():
        if len(value) > MAX_LABEL_VALUE or len(name) > 200:
            raise BadLabels(f"Label {name[:40]!r} is longer than {MAX_LABEL_VALUE} characters.")
    return labels


@dataclass(frozen=True)
class Miss:
    """An alert that found no runbook, for the caller to count if it should (resolution
    itself never writes: a read must not grow a table)."""

    alertname: str
    provider: Provider | None
    component: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Lookup:
    """What one caller gets for one alert: the winning route if they may open its runbook,
    or the miss when no route matched."""

    labels: dict[str, str]
    route: AlertRoute | None = None
    hidden: bool = False  # a route matched, but the caller may not see its runbook
    miss: Miss | None = None


def look_up(user, alertname: str, query, component=None, token=None) -> Lookup:
    """DESIGN §4 for one caller, shared by /r/ and /api/v1/resolve/: scope, labels, match,
    and the caller's own visibility. Reads only: a miss is returned, and the caller records it
    (`services.routes.count_miss`). Raises UnknownProvider or BadLabels."""
    alertname = inputs.clean_text(alertname)  # from a URL path: NUL must not reach the database
    provider = scope_for(user, query.get("provider"), token)
    labels = labels_from_query(query)
    labels.pop("alertname", None)
    # Whether the caller may open each candidate's runbook is asked in the same query: a
    # runbook the caller may not see costs the same work as none at all (no timing oracle).
    readable = Runbook.objects.visible_to(user).filter(pk=OuterRef("runbook_id"))
    candidates = candidate_routes(alertname, provider).annotate(readable=Exists(readable))
    route = alerting.best_route(list(candidates), {"alertname": alertname, **labels}, component)
    if route is None:
        return Lookup(labels, miss=Miss(alertname, provider, component, labels))
    if not route.readable:
        return Lookup(labels, hidden=True)
    return Lookup(labels, route)


class Resolver:
    """Resolves many alerts of one provider to runbook ids: one query for all the alert names
    of a batch, reading the routes alone (the intake needs no runbook columns)."""

    def __init__(self, provider: Provider | None, alertnames: Iterable[str] = ()):
        self.provider = provider
        self._candidates: dict[str, list] = {}
        self._load({name.casefold() for name in alertnames})

    def _load(self, keys: set[str]) -> None:
        keys -= self._candidates.keys()
        if not keys:
            return
        for key in keys:
            self._candidates[key] = []
        for route in _candidates(sorted(keys), self.provider).select_related(None):
            self._candidates[route.alertname_key].append(route)

    def runbook_id_for(self, alertname: str, labels: Mapping[str, str]) -> int | None:
        key = alertname.casefold()
        self._load({key})
        route = alerting.best_route(self._candidates[key], {"alertname": alertname, **labels})
        return route.runbook_id if route else None
