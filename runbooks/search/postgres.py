"""PostgreSQL: a stored tsvector per entry (title A, alert names B, tags and fields C, text D),
each part in the `english` configuration (stemming) and the `simple` one (technical tokens such
as `nova-compute` or `10.0.0.5` as written); `websearch_to_tsquery` over both; `ts_rank`;
`ts_headline` for the page shown; pg_trgm for suggestions."""

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db.models import F, Q
from django.db.models.functions import Greatest

from runbooks.models import SearchEntry

from .terms import MARK_END, MARK_START, tidy

WEIGHTS = {"title": "A", "names": "B", "tags": "C", "text": "D"}
VECTOR = None
for _column, _weight in WEIGHTS.items():
    for _config in ("english", "simple"):
        part = SearchVector(_column, config=_config, weight=_weight)
        VECTOR = part if VECTOR is None else VECTOR + part
SIMILAR = 0.3


def _query(text: str) -> SearchQuery | None:
    text = tidy(text)
    if not text:
        return None
    english = SearchQuery(text, config="english", search_type="websearch")
    return english | SearchQuery(text, config="simple", search_type="websearch")


def after_write(ids: list[int]) -> None:
    SearchEntry.objects.filter(pk__in=ids).update(vector=VECTOR)


def matching(documents, text: str):
    query = _query(text)
    return None if query is None else documents.filter(search_entry__vector=query)


def ranked(matches, text: str):
    return matches.annotate(rank=SearchRank(F("search_entry__vector"), _query(text)))


def snippets(ids: list[int], text: str) -> dict[int, str]:
    headline = SearchHeadline(
        "text",
        _query(text),
        config="english",
        start_sel=MARK_START,
        stop_sel=MARK_END,
        max_words=30,
        min_words=12,
        max_fragments=2,
        fragment_delimiter=" … ",
    )
    rows = SearchEntry.objects.filter(pk__in=ids).annotate(snippet=headline)
    return dict(rows.values_list("pk", "snippet"))


def prefixed(entries, text: str, limit: int) -> list[SearchEntry]:
    """As you type: titles and alert names containing the text, the closest first."""
    text = tidy(text)
    found = entries.filter(Q(title__icontains=text) | Q(names__icontains=text))
    closeness = Greatest(TrigramSimilarity("title", text), TrigramWordSimilarity(text, "names"))
    return list(found.annotate(closeness=closeness).order_by("-closeness", "title")[:limit])


def similar(entries, text: str, limit: int) -> list[SearchEntry]:
    """Did you mean: titles and alert names that look like the text (trigrams)."""
    text = tidy(text)[:200]
    closeness = Greatest(TrigramSimilarity("title", text), TrigramWordSimilarity(text, "names"))
    close = entries.annotate(closeness=closeness).filter(closeness__gte=SIMILAR)
    return list(close.order_by("-closeness", "title")[:limit])
