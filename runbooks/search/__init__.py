"""Search over every kind and its comments, behind one interface with two real backends
(PostgreSQL full text, SQLite FTS5: `backends.py`). Pages, the API and the "no runbook yet" page
all ask here; what a user may see is decided by `Document.objects.visible_to`, before any
ranking, counting or suggesting.

- `find(user, text, …)`: ranked results with counts per kind, snippets for the page shown, and
  "did you mean" titles when nothing matches; what is ranked is a bounded candidate set
  (`candidates.py`), so past CANDIDATES matches it says "more than" instead of counting;
- `suggest(user, text)`: titles and alert names as you type;
- `entries.reindex(document)` / `entries.rebuild()`: keeping the index (services call it).

Both are bounded (`budget.py`): per document by what is indexed, asked and shown, and as a
whole by time; a search that would take longer raises TooBroad, which callers answer with
"too broad" (pages and the API) or nothing (the "no runbook yet" page).
"""

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from runbooks.choices import Kind
from runbooks.links import alert_url
from runbooks.models import Document, SearchEntry

from . import candidates
from .backends import backend
from .budget import TooBroad, limited
from .terms import MARK_END, MARK_START, tidy

PAGE_SIZE = 20
SUGGESTIONS = 8


@dataclass
class Hit:
    document: Document
    rank: float
    snippet: SafeString


@dataclass
class Suggestion:
    label: str
    kind: str  # a document kind, or "alert" for an alert name (opens /r/<name>)
    url: str


@dataclass
class Results:
    query: str
    page: object = None  # a Paginator page of Hits
    total: int = 0  # matches ranked and paged: at most CANDIDATES
    more: bool = False  # more than CANDIDATES matched: refine the search
    counts: dict[str, int] = field(default_factory=dict)  # kind → matches, whatever `kind`
    suggestions: list[Suggestion] = field(default_factory=list)  # when nothing matched


def marked(text: str) -> SafeString:
    """A backend's snippet as HTML: escaped first, then the marks become <mark>."""
    html = escape(text or "").replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return mark_safe(html)  # noqa: S308 — escaped above; only our own tags added


def visible(user, *, kind=None, tag=None, provider=None, status=None):
    documents = Document.objects.visible_to(user)
    if kind:
        documents = documents.filter(kind=kind)
    if tag:
        documents = documents.filter(tags__slug=tag)
    if provider == "community":
        documents = documents.filter(provider__isnull=True)
    elif provider:
        documents = documents.filter(provider__slug=provider)
    if status:
        documents = documents.filter(status=status)
    return documents


__all__ = ["TooBroad", "find", "suggest"]


def find(user, text: str, **options) -> Results:
    """Documents `user` may see that match `text`, best first (`kind`, `tag`, `provider`,
    `status`, `page`, `per_page`); raises TooBroad past the time budget."""
    with limited():
        return _find(user, text, **options)


def _find(
    user, text: str, *, kind=None, tag=None, provider=None, status=None, page=1, per_page=PAGE_SIZE
):
    """Ranks a bounded candidate set (`candidates.py`): past CANDIDATES visible matches, the
    best of the first CANDIDATES are paged and `more` says there were more."""
    query = tidy(text)
    results = Results(query=query)
    engine = backend()
    documents = visible(user, tag=tag, provider=provider, status=status)
    everywhere = _pool(engine, documents, query)
    if everywhere is None:
        return results
    shown = everywhere
    if kind and everywhere.more:  # cut: the kind's own candidates
        shown = _pool(engine, documents.filter(kind=kind), query)
    elif kind:  # every match is in the pool
        shown = everywhere.of_kind(kind)
    results.counts = {k: n for k, n in everywhere.counts().items() if k in Kind.values}
    results.more, results.total = shown.more, len(shown.candidates)
    ranked = _ranked(shown.candidates)
    results.page = Paginator(range(results.total), per_page).get_page(_number(page))
    hits = _documents(ranked[results.page.start_index() - 1 : results.page.end_index()])
    snippets = engine.snippets([d.pk for d in hits], query)
    results.page.object_list = [Hit(d, float(d.rank), marked(snippets.get(d.pk, ""))) for d in hits]
    if not results.total:
        results.suggestions = _suggestions(user, engine.similar, query, SUGGESTIONS // 2)
    return results


def _pool(engine, documents, query: str) -> candidates.Pool | None:
    matches = engine.matching(documents, query)
    if matches is None:
        return None
    heading = engine.matching(documents, query, heading=True)
    return candidates.pool(engine.newest_first(matches, query), engine.newest_first(heading, query))


def _ranked(found: list[candidates.Candidate]) -> list[tuple[int, float]]:
    return [(c.pk, c.rank) for c in candidates.ordered(found)]


def _documents(ranked: list[tuple[int, float]]) -> list[Document]:
    """The page's documents in the ranked order, each with its rank."""
    if not ranked:
        return []
    by_pk = Document.objects.select_related("provider").in_bulk([pk for pk, _ in ranked])
    page = []
    for pk, rank in ranked:
        if pk in by_pk:
            by_pk[pk].rank = rank
            page.append(by_pk[pk])
    return page


def _number(page) -> int:
    try:
        return max(1, min(int(page), 10_000))
    except (TypeError, ValueError):
        return 1


def suggest(user, text: str, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """What the header box offers as you type: titles and alert names, a few at a time;
    raises TooBroad past the time budget."""
    query = tidy(text)[:200]
    if len(query) < 2:
        return []
    with limited():
        return _suggestions(user, backend().prefixed, query, limit)


def _suggestions(user, pick, query: str, limit: int) -> list[Suggestion]:
    entries = SearchEntry.objects.filter(document__in=Document.objects.visible_to(user))
    wanted = query.casefold()
    found = pick(entries.select_related("document"), query, limit)
    found.sort(key=lambda entry: _place(entry.title.casefold(), wanted))  # stable: then closeness
    suggestions = []
    for entry in found:
        document = entry.document
        for name in _names_matching(entry.names, wanted):
            suggestions.append(Suggestion(name, "alert", alert_url(name)))
        suggestions.append(Suggestion(document.title, document.kind, document.get_absolute_url()))
    return list({s.url: s for s in suggestions}.values())[:limit]


def _place(title: str, wanted: str) -> int:
    """Titles that start with what was typed first, then those that contain it."""
    return 0 if title.startswith(wanted) else 1 if wanted in title else 2


def _names_matching(names: str, wanted: str) -> list[str]:
    whole = [line.split("\t")[0] for line in names.splitlines() if line]
    return [name for name in whole if wanted.replace(" ", "") in name.casefold()][:2]
