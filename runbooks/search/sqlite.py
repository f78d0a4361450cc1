"""SQLite: an FTS5 table over the entries (porter stemming on unicode61 words), kept in sync by
triggers; the box's text becomes an FTS5 expression of quoted phrases only (`terms.parse`), so
no user text is ever read as FTS5 syntax; bm25 with the title weighted highest; snippets
marked by `highlight()` in a short window of each result shown (`snippets.window`): FTS5's
`snippet()` over a whole text takes time that grows with the square of the query's
occurrences there. Every search statement runs under a progress handler (`budget.py`)."""

import sqlite3

from django.core.exceptions import ImproperlyConfigured

from runbooks.models import SearchEntry

from .snippets import window
from .terms import MARK_END, MARK_START, Terms, parse

TABLE = "runbooks_search_fts"
# bm25 column weights: title, alert names, tags and fields, text.
BM25 = f"bm25({TABLE}, 10.0, 5.0, 3.0, 1.0)"
TOKENIZE = "porter unicode61"  # as migration 0015 made the table
# Title, alert names and tags alone (migration 0029): heading matches without reading the
# positions of every match in the full table.
HEADING_TABLE = "runbooks_search_heading_fts"
HEADING_BM25 = f"bm25({HEADING_TABLE}, 10.0, 5.0, 3.0)"


def require_fts5() -> None:
    """Start-up fails loudly without FTS5 (the embedded default's search needs it)."""
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
    except sqlite3.OperationalError as exc:
        raise ImproperlyConfigured(
            f"This Python's SQLite ({sqlite3.sqlite_version}) has no FTS5, which OpenOps' "
            "search needs; use a Python built with FTS5, or PostgreSQL (DATABASE_URL)."
        ) from exc


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def expression(terms: Terms, excluding: bool = True) -> str | None:
    """`("a" AND "b c") OR ("d") NOT "e"` — or None when nothing positive is asked for."""
    if terms.empty:
        return None
    groups = " OR ".join(
        "(" + " AND ".join(_phrase(p) for p in group) + ")" for group in terms.alternatives
    )
    excluded = "".join(f" NOT {_phrase(p)}" for p in terms.excluded) if excluding else ""
    return f"({groups}){excluded}"


def after_write(ids: list[int]) -> None:
    """The triggers of migration 0015 did it, in the same transaction."""


def _match(documents, expr: str, table: str = TABLE):
    return documents.extra(
        tables=[table],
        where=[f"{table}.rowid = runbooks_document.id", f"{table} MATCH %s"],
        params=[expr],
    )


def matching(documents, text: str, heading: bool = False):
    """The documents that match; with `heading`, those whose title, alert names or tags do,
    from the heading table alone: there, every heading match matches the whole entry too,
    unless words are excluded (then the whole entry is asked as well)."""
    terms = parse(text)
    expr = expression(terms)
    if expr is None:
        return None
    if not heading:
        return _match(documents, expr)
    found = _match(documents, expr) if terms.excluded else documents
    return _match(found, expression(terms, excluding=False), HEADING_TABLE)


def newest_first(matches, text: str):
    """Ranked in the index's own order, newest first: FTS5 hands rowids out descending, so a
    LIMIT stops it, and bm25 is computed only for the rows a LIMIT lets through (the heading
    table's, for heading matches)."""
    table = HEADING_TABLE if HEADING_TABLE in matches.query.extra_tables else TABLE
    weights = HEADING_BM25 if table == HEADING_TABLE else BM25
    return matches.extra(select={"rank": f"-{weights}"}, order_by=[f"-{table}.rowid"])


def snippets(ids: list[int], text: str) -> dict[int, str]:
    terms = parse(text)
    if terms.empty or not ids:
        return {}
    texts = SearchEntry.objects.filter(pk__in=ids).values_list("pk", "text")
    return _marked({pk: window(body, terms) for pk, body in texts}, terms)


def _marked(windows: dict[int, str], terms: Terms) -> dict[int, str]:
    """Each window with the query's words marked, by FTS5 itself (stemming included), in a
    table of these few windows only, in memory."""
    anywhere = " OR ".join(_phrase(p) for group in terms.alternatives for p in group)
    marks = f"highlight(w, 0, char({ord(MARK_START)}), char({ord(MARK_END)}))"
    scratch = sqlite3.connect(":memory:")
    try:
        scratch.execute(f"CREATE VIRTUAL TABLE w USING fts5(text, tokenize='{TOKENIZE}')")
        scratch.executemany("INSERT INTO w(rowid, text) VALUES (?, ?)", windows.items())
        found = scratch.execute(f"SELECT rowid, {marks} FROM w WHERE w MATCH ?", [anywhere])
        marked = dict(found.fetchall())
    finally:
        scratch.close()
    return {pk: marked.get(pk, shown) for pk, shown in windows.items()}


def _entries(entries, expr: str, limit: int) -> list[SearchEntry]:
    found = entries.extra(
        tables=[TABLE],
        where=[f"{TABLE}.rowid = runbooks_searchentry.document_id", f"{TABLE} MATCH %s"],
        params=[expr],
        select={"closeness": f"-{BM25}"},
    )
    return list(found.order_by("-closeness", "title")[:limit])


def prefixed(entries, text: str, limit: int) -> list[SearchEntry]:
    """As you type: titles and alert names with these words, the last one a prefix."""
    words = parse(text).words[:8]
    if not words:
        return []
    *whole, last = words
    expr = "{title names} : " + " ".join([*(_phrase(w) for w in whole), _phrase(last) + " *"])
    return _entries(entries, expr, limit)


def similar(entries, text: str, limit: int) -> list[SearchEntry]:
    """Did you mean: titles and alert names sharing a word's first letters (a simple guess)."""
    stems = [w[:4] for w in parse(text).words if len(w) >= 4][:8]
    if not stems:
        return []
    expr = "{title names} : (" + " OR ".join(_phrase(s) + " *" for s in stems) + ")"
    return _entries(entries, expr, limit)
