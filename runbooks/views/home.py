"""The front page: what changed recently, in what the visitor may see."""

from django.shortcuts import render

from runbooks.choices import Kind
from runbooks.models import Document, Provider


def home(request):
    documents = Document.objects.visible_to(request.user).for_listing()
    context = {
        "recent_runbooks": documents.of_kind(Kind.RUNBOOK)[:8],
        "stale_count": documents.of_kind(Kind.RUNBOOK).stale().count(),
        "providers": Provider.objects.all(),
    }
    return render(request, "home.html", context)
