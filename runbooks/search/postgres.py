"""PostgreSQL: a stored tsvector per entry (title A, alert names B, tags and fields C, text D),
the short parts in the `english` configuration (stemming) and the `simple` one (words as
written), the text in `english`; `websearch_to_tsquery` in both, OR-ed, of the query as
`terms.parse` bounds it; `ts_rank`; `ts_headline` over a short window of each result shown
(`snippets.window`: over the whole text its work grows with the document); pg_trgm for
suggestions. Every search statement runs under `statement_timeout` (`budget.py`)."""

import re

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import F
from django.db.models.functions import Greatest

from runbooks.models import SearchEntry

from .snippets import window
from .terms import MARK_END, MARK_START, parse, tidy

# (column, weight, configurations). The text is the bulk of every vector and is read whenever
# a broad query is counted or ranked, so it is kept once, stemmed: the english parser keeps
# `nova-compute`, `10.0.0.5` or `HY000` as tokens too, and queries pass the same parser.
PARTS = [
    ("title", "A", ("english", "simple")),
    ("names", "B", ("english", "simple")),
    ("tags", "C", ("english", "simple")),
    ("text", "D", ("english",)),
]
VECTOR = None
for _column, _weight, _configs in PARTS:
    for _config in _configs:
        _part = SearchVector(_column, config=_config, weight=_weight)
        VECTOR = _part if VECTOR is None else VECTOR + _part
HEADING = SearchVector("title", config="simple") + SearchVector("names", config="simple")
SIMILAR = 0.3
_LETTERS = re.compile(r"[^\W_]+")


def _query(text: str) -> SearchQuery | None:
    terms = parse(text)
    if terms.empty:
        return None
    text = terms.websearch()
    english = SearchQuery(text, config="english", search_type="websearch")
    return english | SearchQuery(text, config="simple", search_type="websearch")


def after_write(ids: list[int]) -> None:
    SearchEntry.objects.filter(pk__in=ids).update(vector=VECTOR, heading=HEADING)


def matching(documents, text: str, heading: bool = False):
    """The documents that match; with `heading`, those whose title or alert names do too
    (words as written: the `heading` vector and its GIN index)."""
    query = _query(text)
    if query is None:
        return None
    found = documents.filter(search_entry__vector=query)
    if heading:
        words = SearchQuery(parse(text).websearch(), config="simple", search_type="websearch")
        found = found.filter(search_entry__heading=words)
    return found


def newest_first(matches, text: str):
    """Newest first (the primary key), each with its ts_rank: computed only for the rows a
    LIMIT lets through."""
    rank = SearchRank(F("search_entry__vector"), _query(text))
    return matches.annotate(rank=rank).order_by("-pk")


def snippets(ids: list[int], text: str) -> dict[int, str]:
    terms = parse(text)
    if terms.empty or not ids:
        return {}
    texts = SearchEntry.objects.filter(pk__in=ids).values_list("pk", "text")
    windows = {pk: window(body, terms) for pk, body in texts}
    marks = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
    query = "websearch_to_tsquery('english', %s) || websearch_to_tsquery('simple', %s)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, ts_headline('english', part, {query}, %s) "
            "FROM unnest(%s::integer[], %s::text[]) AS windows(id, part)",
            [terms.websearch(), terms.websearch(), marks, list(windows), list(windows.values())],
        )
        return dict(cursor.fetchall())


def prefixed(entries, text: str, limit: int) -> list[SearchEntry]:
    """As you type: titles and alert names with every typed word as a prefix, from the small
    `heading` vector and its GIN index; the words are letters and digits only, so nothing typed
    is read as tsquery syntax."""
    words = _LETTERS.findall(tidy(text).lower())[:8]
    if not words:
        return []
    query = SearchQuery(" & ".join(f"{w}:*" for w in words), config="simple", search_type="raw")
    found = entries.filter(heading=query).annotate(closeness=SearchRank(F("heading"), query))
    return list(found.order_by("-closeness", "title")[:limit])


def similar(entries, text: str, limit: int) -> list[SearchEntry]:
    """Did you mean: titles and alert names that look like the text (trigrams)."""
    text = tidy(text)[:200]
    closeness = Greatest(TrigramSimilarity("title", text), TrigramWordSimilarity(text, "names"))
    close = entries.annotate(closeness=closeness).filter(closeness__gte=SIMILAR)
    return list(close.order_by("-closeness", "title")[:limit])
