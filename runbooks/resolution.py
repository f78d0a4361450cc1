"""Alert → runbook resolution against the database (DESIGN §4): lookups only, never a write
(a miss is handed back to the caller); the rules are in alerting.py."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from runbooks import alerting, inputs
from runbooks.compiled import CompiledQuery
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


def _candidates(keys: list[str], provider: Provider | None, now=None):
    scope = Q(provider__isnull=True)
    if provider is not None:
        scope |= Q(provider=provider)
    # A join on the route's runbook, not `runbook__in=<subquery>`: SQLite would list every
    # visible runbook first (a scan that grows with the corpus).
    visible = visible_to_provider_q(provider, on="runbook__", now=now)
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


def look_up(user, alertname: str, query, component=None, token=None, *, rows=False) -> Lookup:
    """DESIGN §4 for one caller, shared by /r/ and /api/v1/resolve/: scope, labels, match,
    and the caller's own visibility. Reads only: a miss is returned, and the caller records it
    (`services.routes.count_miss`). With `rows`, the route is a `RouteRow` (what a redirect
    needs), not a model. Raises UnknownProvider or BadLabels."""
    alertname = inputs.clean_text(alertname)  # from a URL path: NUL must not reach the database
    provider = scope_for(user, query.get("provider"), token)
    labels = labels_from_query(query)
    labels.pop("alertname", None)
    if rows:
        candidates = _route_rows(user, alertname.casefold(), provider)
    else:
        candidates = list(_readable_candidates(user, [alertname.casefold()], provider))
    route = alerting.best_route(candidates, {"alertname": alertname, **labels}, component)
    if route is None:
        return Lookup(labels, miss=Miss(alertname, provider, component, labels))
    if not route.readable:
        return Lookup(labels, hidden=True)
    return Lookup(labels, route)


def _readable_candidates(user, keys: list[str], provider: Provider | None, now=None):
    """`_candidates`, each marked `readable` if `user` may open its runbook. Asked in the same
    query: a runbook the caller may not see costs the same work as none at all (no timing
    oracle)."""
    readable = Runbook.objects.visible_to(user, now=now).filter(pk=OuterRef("runbook_id"))
    return _candidates(keys, provider, now).annotate(readable=Exists(readable))


@dataclass(frozen=True)
class RunbookRow:
    """What a redirect to a route's runbook needs of it (and `best_route`, its component)."""

    pk: int
    kind: str
    slug: str
    component: str

    get_absolute_url = Runbook.get_absolute_url  # the same link, from the kind and the slug


@dataclass(frozen=True)
class RouteRow:
    """A candidate route as read for a link (`alerting.Route`), with its runbook."""

    pk: int
    provider_id: int | None
    priority: int
    matchers: list
    runbook: RunbookRow
    readable: bool


ROW_COLUMNS = ("pk", "provider_id", "priority", "matchers", "readable")
RUNBOOK_COLUMNS = ("runbook_id", "runbook__kind", "runbook__slug", "runbook__component")


def _route_rows(user, key: str, provider: Provider | None) -> list[RouteRow]:
    """The candidates for one alert name as plain rows: one indexed query, compiled once for
    anonymous callers (who all ask the same question), built for anyone else."""
    if user.is_authenticated:
        found = _readable_candidates(user, [key], provider).values_list(
            *ROW_COLUMNS, *RUNBOOK_COLUMNS
        )
    else:
        found = _AnonymousRoutes.of(provider is not None).run(
            key=key, provider=provider.pk if provider else None, now=timezone.now()
        )
    return [RouteRow(*row[:4], RunbookRow(*row[5:]), bool(row[4])) for row in found]


class _AnonymousRoutes:
    """`_readable_candidates` for anonymous callers, its SQL compiled once from the queryset
    (with and without a provider), run with each request's alert name, provider and time."""

    KEY = "\x00openops-alertname-marker"
    PROVIDER = -8_642_097_531  # no provider has a negative id
    NOW = datetime(1999, 12, 31, 23, 59, 57, 654321, tzinfo=UTC)
    _compiled: dict[tuple[str, bool], CompiledQuery] = {}

    @classmethod
    def of(cls, scoped: bool) -> CompiledQuery:
        key = (connection.alias, scoped)
        if key not in cls._compiled:
            provider = Provider(pk=cls.PROVIDER) if scoped else None
            query = _readable_candidates(AnonymousUser(), [cls.KEY], provider, cls.NOW)
            markers = {"key": cls.KEY, "now": cls.NOW}
            if scoped:
                markers["provider"] = cls.PROVIDER
            columns = query.values_list(*ROW_COLUMNS, *RUNBOOK_COLUMNS)
            cls._compiled[key] = CompiledQuery(columns, markers)
        return cls._compiled[key]


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
