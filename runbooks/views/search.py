"""/search/: a plain substring search over what the visitor may see.

A stopgap so the search box in the header never dead-ends; the search issue replaces it with
ranked full-text search (DESIGN §8 `search/`).
"""

from django.db.models import Q
from django.shortcuts import render

from runbooks.models import Document

MAX_RESULTS = 50


def search(request):
    query = " ".join(request.GET.get("q", "").split())[:200]
    results = []
    if query:
        matches = Q(title__icontains=query) | Q(current_revision__body__icontains=query)
        documents = Document.objects.visible_to(request.user).filter(matches)
        results = documents.for_listing().order_by("kind", "title")[:MAX_RESULTS]
    context = {"search_query": query, "results": results, "limit": MAX_RESULTS}
    return render(request, "search.html", context)
