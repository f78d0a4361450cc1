"""/search/: ranked full-text search over what the visitor may see (`runbooks.search`), with
filters, counts per kind, highlighted snippets and, when nothing matches, titles that look
alike. A search past its time budget (`search.TooBroad`) answers 503 with the form and a
readable "too broad" message, as the API does."""

from django.shortcuts import render

from runbooks import search
from runbooks.choices import Kind, Status
from runbooks.kinds.registry import KINDS
from runbooks.models import Provider
from runbooks.search.terms import tidy

FILTERS = ("kind", "tag", "provider", "status")


def search_page(request):
    query = tidy(request.GET.get("q", ""))
    filters = {name: request.GET.get(name, "")[:100] for name in FILTERS}
    if filters["kind"] not in Kind.values:
        filters["kind"] = ""
    if filters["status"] not in Status.values:
        filters["status"] = ""
    results, too_broad = None, None
    if query:
        try:
            results = search.find(
                request.user,
                query,
                page=request.GET.get("page"),
                **{name: value or None for name, value in filters.items()},
            )
        except search.TooBroad as exc:
            too_broad = str(exc)
    counts = results.counts if results else {}
    others = request.GET.copy()
    others.pop("page", None)
    without_kind = others.copy()
    without_kind.pop("kind", None)
    context = {
        "search_query": query,
        "results": results,
        "filters": filters,
        "kinds": [(spec.kind, spec.label) for spec in KINDS],
        "statuses": Status.choices,
        "providers": Provider.objects.order_by("name"),
        "query_string": others.urlencode(),
        "without_kind": without_kind.urlencode(),
        "kind_counts": [
            (spec.kind, spec.label, counts[spec.kind]) for spec in KINDS if counts.get(spec.kind)
        ],
        "all_count": sum(counts.values()),
        "too_broad": too_broad,
    }
    return render(request, "search.html", context, status=503 if too_broad else 200)
