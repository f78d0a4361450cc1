"""The front page. Signed out: what changed recently in what the visitor may see. Signed in,
the shift comes first: the firing alerts of the user's providers, each with its runbook; the
user's open action items; the reviews waiting for them; recent changes to what they watch.
Every list is bounded and read in one query, so the page costs the same number of queries
however much there is (tests/test_home.py)."""

from django.db.models import F, Q
from django.shortcuts import render
from django.utils import timezone

from runbooks.choices import Status
from runbooks.models import (
    Alert,
    AlertStatus,
    Document,
    Provider,
    Runbook,
    Subscription,
    roles_of,
)
from runbooks.views.alerts import runbook_url
from runbooks.views.changes import changes_of, review_queue
from runbooks.views.links import write_url
from runbooks.views.postmortems import open_action_items
from runbooks.visibility import can_create_any

REVIEW_REQUESTS = 10
FIRING_ALERTS = 10
ACTION_ITEMS = 5
REVIEWS_DUE = 5
WATCHED_CHANGES = 5


def review_requests(user):
    """Documents in review that colleagues of `user`'s providers (or, for moderators, community
    authors) asked for a look at, newest first; not the user's own."""
    if not user.is_authenticated:
        return Document.objects.none()
    mine = Q(provider__in=list(roles_of(user)))
    if user.is_staff:
        mine |= Q(provider__isnull=True)
    asked = Document.objects.visible_to(user).filter(mine, status=Status.IN_REVIEW)
    asked = asked.exclude(creator=user).for_listing().select_related("creator")
    return asked.order_by("-updated_at")[:REVIEW_REQUESTS]


def firing_alerts(user):
    """The firing alerts `user` may see (their providers'; every provider's for staff), the
    most recently started first, each annotated `runbook_visible` (`Alert.objects.visible_to`)."""
    alerts = Alert.objects.visible_to(user).filter(status=AlertStatus.FIRING)
    return alerts.order_by("-starts_at", "-pk")


def _alert_rows(user, alerts) -> list[dict]:
    """Each alert with the link the alert's own page gives: its runbook opened with the alert's
    labels, else "write it" (prefilled from the alert) for those who may write."""
    may_write = can_create_any(user)
    rows = []
    for alert in alerts:
        opens = bool(alert.runbook_id and alert.runbook_visible)
        rows.append(
            {
                "alert": alert,
                "runbook_url": runbook_url(alert) if opens else "",
                "write_url": write_url(alert.alertname) if may_write and not opens else "",
            }
        )
    return rows


def watched_changes(user):
    """Changes (as /changes/ lists them) to documents `user` watches, directly, by tag or by
    provider (who is told what: `services.notifications`), not made by `user`."""
    watched = Subscription.objects.filter(user=user)
    tagged = Document.objects.filter(tags__in=watched.values("tag"))
    about = (
        Q(document__in=watched.values("document"))
        | Q(document__in=tagged.values("pk"))
        | Q(document__provider__in=watched.values("provider"))
    )
    return changes_of(user).filter(about).exclude(actor=user)


def shift(user, providers: list) -> dict:
    """What the signed-in user's shift needs first, each list bounded."""
    alerts = firing_alerts(user)
    items = open_action_items(user).filter(owner=user)
    return {
        "my_providers": [p for p in providers if p.pk in roles_of(user)],
        "firing": _alert_rows(user, alerts[:FIRING_ALERTS]),
        "firing_count": alerts.count(),
        "action_items": items.order_by(F("due_date").asc(nulls_last=True), "pk")[:ACTION_ITEMS],
        "reviews_due": review_queue(user)[:REVIEWS_DUE],
        "watched_changes": watched_changes(user)[:WATCHED_CHANGES],
        "now": timezone.now(),
    }


def home(request):
    runbooks = Runbook.objects.visible_to(request.user)
    providers = list(Provider.objects.all())
    context = {
        "recent_runbooks": runbooks.for_listing()[:8],
        "stale_count": runbooks.stale().count(),
        "providers": providers,
        "review_requests": review_requests(request.user),
    }
    if request.user.is_authenticated:
        context |= shift(request.user, providers)
    return render(request, "home.html", context)
