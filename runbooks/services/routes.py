"""Alert routes (alert name + matchers → runbook) and the count of alerts that found none."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from runbooks import alerting, audit, pagecache
from runbooks.kinds.registry import KINDS
from runbooks.models import AlertRoute, Document, Provider, RouteChange, RunbookMiss
from runbooks.resolution import Miss
from runbooks.search import entries
from runbooks.visibility import can_change_route, can_manage_route, may_count_miss

from .base import changes_pages, require, user_or_none

ROUTE_DENIED = (
    "Routes scoped to a provider are its editors'; community routes lead to community runbooks."
)
CHANGE_DENIED = (
    "Only the route's creator, the editors of its provider and moderators change or remove it."
)


def _check_route(alertname: str, runbook: Document, provider: Provider | None) -> str:
    alertname = (alertname or "").strip()
    if not alertname or len(alertname) > 200:
        raise ValidationError({"alertname": "An alert name of 1 to 200 characters is needed."})
    if not KINDS[runbook.kind].routable:
        raise ValidationError({"runbook": "Routes lead to runbooks."})
    if provider is None and runbook.provider_id is not None:
        raise ValidationError(
            {"provider": "A community route leads to a community runbook only; scope it."}
        )
    if provider is not None and runbook.provider_id not in (None, provider.pk):
        raise ValidationError(
            {"runbook": "A route leads to its provider's or a community runbook."}
        )
    return alertname


def _checked_matchers(matchers) -> list[dict]:
    try:
        parsed = alerting.matchers_from_dicts(matchers)
    except alerting.MatcherError as exc:
        raise ValidationError({"matchers": str(exc)}) from None
    return [m.as_dict() for m in parsed]


def _check_priority(priority) -> int:
    if not isinstance(priority, int) or not -1000 <= priority <= 1000:
        raise ValidationError({"priority": "A whole number from -1000 to 1000."})
    return priority


@changes_pages
def save_route(
    *,
    actor,
    alertname: str,
    runbook,
    provider: Provider | None = None,
    matchers: Iterable[dict] = (),
    priority: int = 0,
    route: AlertRoute | None = None,
) -> AlertRoute:
    """Create a route, or change `route`. Everything is checked first (the alert name, where
    it may lead, every matcher's regex); the case-folded key always follows the name."""
    require(actor, can_manage_route, provider, runbook, message=ROUTE_DENIED)
    if route is not None:  # changing a route breaks its links as surely as removing it
        require(actor, can_change_route, route, message=CHANGE_DENIED)
    alertname = _check_route(alertname, runbook, provider)
    matchers = _checked_matchers(matchers)
    priority = _check_priority(priority)
    old_runbook_id = route.runbook_id if route else None
    action = RouteChange.Action.CHANGED if route else RouteChange.Action.ADDED
    route = route or AlertRoute(created_by=user_or_none(actor))
    route.alertname = alertname
    route.alertname_key = alertname.casefold()
    route.runbook_id = runbook.pk
    route.provider = provider
    route.matchers = matchers
    route.priority = priority
    route.save()
    _log(route, action, actor)
    if old_runbook_id not in (None, route.runbook_id):  # the old runbook's history shows it left
        _log(route, RouteChange.Action.REMOVED, actor, runbook_id=old_runbook_id)
        entries.reindex_runbook(old_runbook_id)
    entries.reindex_runbook(route.runbook_id)  # its alert names are searched
    pagecache.touch([route.runbook_id, old_runbook_id])
    return route


@changes_pages
def delete_route(route: AlertRoute, *, actor) -> None:
    require(actor, can_change_route, route, message=CHANGE_DENIED)
    _log(route, RouteChange.Action.REMOVED, actor)
    route.delete()
    entries.reindex_runbook(route.runbook_id)
    pagecache.touch([route.runbook_id])


@changes_pages
def restore_route(change: RouteChange, *, actor) -> AlertRoute:
    """Put a removed route back as it was (its creator is now whoever restores it)."""
    if change.action != RouteChange.Action.REMOVED:
        raise ValidationError("Only a removed route can be restored.")
    runbook = change.runbook
    same = AlertRoute.objects.filter(
        alertname_key=change.alertname.casefold(), provider=change.provider, runbook=runbook
    )
    if any(route.matchers == change.matchers for route in same):
        raise ValidationError("This route is already back.")
    route = save_route(
        actor=actor,
        alertname=change.alertname,
        runbook=runbook,
        provider=change.provider,
        matchers=change.matchers,
        priority=change.priority,
    )
    added = RouteChange.objects.filter(route_id_at_change=route.pk, action=RouteChange.Action.ADDED)
    added.update(action=RouteChange.Action.RESTORED)
    return route


def _log(route: AlertRoute, action: str, actor, runbook_id: int | None = None) -> None:
    runbook = Document.objects.get(pk=runbook_id or route.runbook_id)
    detail = {"change": action, "alertname": route.alertname, "matchers": route.matchers}
    if route.provider_id:
        detail["route_provider"] = route.provider.slug
    audit.record(audit.Action.ROUTE_CHANGED, actor=actor, document=runbook, detail=detail)
    RouteChange.objects.create(
        runbook_id=runbook_id or route.runbook_id,
        route_id_at_change=route.pk,
        action=action,
        actor=user_or_none(actor),
        alertname=route.alertname,
        matchers=route.matchers,
        provider=route.provider,
        priority=route.priority,
    )


def count_miss(miss: Miss | None, *, actor) -> None:
    """Count what a link lookup (`/r/`, the resolve API) did not find: a signed-in caller's
    miss for their own providers or the community's, nothing for anyone else (DESIGN §4)."""
    if miss is not None and may_count_miss(actor, miss.provider):
        record_miss(miss.alertname, miss.provider)


def record_miss(alertname: str, provider: Provider | None, times: int = 1) -> None:
    """Count alerts that found no runbook, for the missing-runbooks list (a system count)."""
    alertname = alertname.strip()[:200]
    key = alertname.casefold()
    rows = RunbookMiss.objects.filter(alertname_key=key, provider=provider)
    with transaction.atomic():
        if rows.update(count=F("count") + times, last_seen=timezone.now()):
            return
        try:
            with transaction.atomic():
                RunbookMiss.objects.create(
                    alertname=alertname, alertname_key=key, provider=provider, count=times
                )
        except IntegrityError:  # someone else created it a moment ago
            rows.update(count=F("count") + times, last_seen=timezone.now())
