"""The front page: what changed recently, in what the visitor may see, and the drafts
colleagues asked the visitor to review."""

from django.db.models import Q
from django.shortcuts import render

from runbooks.choices import Status
from runbooks.models import Document, Provider, Runbook, roles_of

REVIEW_REQUESTS = 10


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


def home(request):
    runbooks = Runbook.objects.visible_to(request.user)
    context = {
        "recent_runbooks": runbooks.for_listing()[:8],
        "stale_count": runbooks.stale().count(),
        "providers": Provider.objects.all(),
        "review_requests": review_requests(request.user),
    }
    return render(request, "home.html", context)
