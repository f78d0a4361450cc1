"""The front page: what changed recently, in what the visitor may see."""

from django.shortcuts import render

from runbooks.models import Provider, Runbook


def home(request):
    runbooks = Runbook.objects.visible_to(request.user)
    context = {
        "recent_runbooks": runbooks.for_listing()[:8],
        "stale_count": runbooks.stale().count(),
        "providers": Provider.objects.all(),
    }
    return render(request, "home.html", context)
