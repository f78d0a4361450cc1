"""Search over every kind and its comments, behind one interface with two real backends
(PostgreSQL full text, SQLite FTS5: `backends.py`). Pages, the API and the "no runbook yet" page
all ask here; what a user may see is decided by `Document.objects.visible_to`, before any
ranking, counting or suggesting.

- `find(user, text, …)`: ranked results with counts per kind, snippets for the page shown, and
  "did you mean" titles when nothing matches;
- `suggest(user, text)`: titles and alert names as you type;
- `entries.reindex(document)` / `entries.rebuild()`: keeping the index (services call it).

Both are bounded (`budget.py`): per document by what is indexed, asked and shown, and as a
whole by time; a search that would take longer raises TooBroad, which callers answer with
"too broad" (pages and the API) or nothing (the "no runbook yet" page).
"""

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Count, Q, Window
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from runbooks.choices import Kind
from runbooks.links import alert_url
from runbooks.models import Document, SearchEntry

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
    total: int = 0
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
    """On PostgreSQL, without a kind filter, the page and the counts per kind come from one
    query (window counts), so a broad query reads its matches once."""
    query = tidy(text)
    results = Results(query=query)
    engine = backend()
    everywhere = engine.matching(visible(user, tag=tag, provider=provider, status=status), query)
    if everywhere is None:
        return results
    matches = everywhere.filter(kind=kind) if kind else everywhere
    number = _number(page)
    together = engine.COUNTS_IN_PAGE and not kind
    hits = _page(engine, matches, query, number, per_page, together)
    if hits and together:
        results.counts = {k: getattr(hits[0], f"count_{k}") for k in Kind.values}
    else:
        results.counts = _counts(everywhere)
    results.counts = {k: n for k, n in results.counts.items() if n}
    results.total = results.counts.get(kind, 0) if kind else sum(results.counts.values())
    last = max(1, -(-results.total // per_page))
    if not hits and number > last and results.total:  # past the end: the last page
        number = last
        hits = _page(engine, matches, query, number, per_page, together=False)
    results.page = Paginator(range(results.total), per_page).get_page(number)
    snippets = engine.snippets([d.pk for d in hits], query)
    results.page.object_list = [Hit(d, float(d.rank), marked(snippets.get(d.pk, ""))) for d in hits]
    if not results.total:
        results.suggestions = _suggestions(user, engine.similar, query, SUGGESTIONS // 2)
    return results


def _number(page) -> int:
    try:
        return max(1, min(int(page), 10_000))
    except (TypeError, ValueError):
        return 1


def _page(engine, matches, query, number: int, per_page: int, together: bool) -> list[Document]:
    ranked = engine.ranked(matches, query).select_related("provider")
    if together:  # counts per kind over every match, beside each row
        counts = {f"count_{k}": Window(Count("id", filter=Q(kind=k))) for k in Kind.values}
        ranked = ranked.annotate(**counts)
    start = (number - 1) * per_page
    return list(ranked.order_by("-rank", "title", "pk")[start : start + per_page])


def _counts(matches) -> dict[str, int]:
    counted = matches.order_by().values_list("kind").annotate(n=Count("id", distinct=True))
    return {k: n for k, n in counted if k in Kind.values}


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
