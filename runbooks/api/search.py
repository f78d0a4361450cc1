"""`GET /api/v1/search/?q=&kind=&tag=&provider=&status=&page=` (DESIGN §8) and
`GET /api/v1/search/suggest/?q=` (the header box, as you type): `runbooks.search` behind both,
so the API finds exactly what the pages find for the same caller.

A search past its time budget answers 503 with Retry-After and `code: search_too_broad`, not a
4xx: the budget is time, so whether a valid query fits depends on the index and the server's
load as much as on the query (the same query may be answered a minute later, or narrowed)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from runbooks import search
from runbooks.choices import Kind, Status
from runbooks.links import absolute

from .pagination import Pagination
from .permissions import TokenScopes


class HitSerializer(serializers.Serializer):
    kind = serializers.CharField()
    slug = serializers.CharField()
    title = serializers.CharField()
    snippet = serializers.CharField(help_text="Sanitised HTML: escaped text with <mark>.")
    url = serializers.URLField()
    rank = serializers.FloatField(help_text="Higher is better.")


class SuggestionSerializer(serializers.Serializer):
    label = serializers.CharField()
    kind = serializers.CharField(help_text="runbook, postmortem, report, or alert.")
    url = serializers.CharField(help_text="Absolute; an alert name's opens /r/<name>.")


class SearchResultsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Results that can be paged: at most 200.")
    more = serializers.BooleanField(
        help_text="More than `count` documents match: the best of the first `count` found are "
        "ranked and paged; add words, or choose a kind or a provider."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Per kind.")
    suggestions = SuggestionSerializer(many=True, help_text="When nothing matched.")
    results = HitSerializer(many=True)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(allow_blank=True, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    tag = serializers.CharField(max_length=100, required=False)
    provider = serializers.CharField(max_length=100, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    page = serializers.IntegerField(min_value=1, max_value=10_000, required=False)
    page_size = serializers.IntegerField(min_value=1, required=False)


RETRY_AFTER_SECONDS = 30


class TooBroad(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "search_too_broad"


TOO_BROAD = OpenApiResponse(
    description="The search matches too much to answer in time (OPENOPS_SEARCH_TIMEOUT); "
    "narrow it, or retry after the Retry-After header."
)


def _bounded(ask):
    """`ask()` within the search budget; past it, the API's "too broad" answer."""
    try:
        return ask()
    except search.TooBroad as exc:
        refused = TooBroad(str(exc))
        refused.wait = RETRY_AFTER_SECONDS  # DRF's handler turns `wait` into Retry-After
        raise refused from exc


def _suggestion(s, request) -> dict:
    return {"label": s.label, "kind": s.kind, "url": absolute(s.url, request)}


class SearchView(APIView):
    permission_classes = [TokenScopes]

    @extend_schema(
        parameters=[SearchQuerySerializer],
        responses={200: SearchResultsSerializer, 503: TOO_BROAD},
    )
    def get(self, request):
        asked = SearchQuerySerializer(data=request.query_params)
        asked.is_valid(raise_exception=True)
        params = dict(asked.validated_data)
        size = min(params.pop("page_size", Pagination.page_size), Pagination.max_page_size)
        number = params.pop("page", 1)
        text = params.pop("q")
        found = _bounded(
            lambda: search.find(request.user, text, page=number, per_page=size, **params),
        )
        page = found.page
        hits = page.object_list if page else []
        body = {
            "count": found.total,
            "more": found.more,
            "next": self._link(request, page.next_page_number())
            if page and page.has_next()
            else None,
            "previous": (
                self._link(request, page.previous_page_number())
                if page and page.has_previous()
                else None
            ),
            "counts": found.counts,
            "suggestions": [_suggestion(s, request) for s in found.suggestions],
            "results": [
                {
                    "kind": hit.document.kind,
                    "slug": hit.document.slug,
                    "title": hit.document.title,
                    "snippet": str(hit.snippet),
                    "url": absolute(hit.document.get_absolute_url(), request),
                    "rank": hit.rank,
                }
                for hit in hits
            ],
        }
        return Response(body)

    @staticmethod
    def _link(request, number: int) -> str:
        query = request.query_params.copy()
        query["page"] = number
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class SuggestView(APIView):
    permission_classes = [TokenScopes]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True, description="What was typed.")],
        responses={200: SuggestionSerializer(many=True), 503: TOO_BROAD},
    )
    def get(self, request):
        typed = request.query_params.get("q", "")
        found = _bounded(lambda: search.suggest(request.user, typed))
        return Response([_suggestion(s, request) for s in found])
