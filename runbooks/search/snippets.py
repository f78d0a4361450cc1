"""Where a result's snippet comes from: a short window of the entry's text, chosen here, that
the backend then marks (FTS5 `highlight()`, PostgreSQL `ts_headline`).

The databases' own snippet functions read the whole text, and FTS5's `snippet()` scores a
window at every occurrence of the query's words against every other occurrence: a text of
ten thousand `qv qw` took seconds, and more text minutes. A window of at most WINDOW
characters keeps the marking bounded whatever the document holds; finding the window is one
regular-expression scan of the (bounded, `entries.MAX_TEXT`) text.
"""

import re

from .terms import Terms

WINDOW = 320  # characters shown, about the 24 words FTS5's snippet showed
BEFORE = 80  # of which before the first match
ELLIPSIS = "…"
_STEM = 4  # a word's first letters that other forms of it share (restart, restarting)


def _patterns(terms: Terms) -> list[re.Pattern]:
    """The phrases as written, then the beginnings of their words (stemming finds other forms
    of a word; their first letters are what the text likely shares)."""
    phrases = [p for group in terms.alternatives for p in group]
    if not phrases:
        return []
    whole = "|".join(r"\W+".join(map(re.escape, p.split())) for p in phrases)
    stems = "|".join(re.escape(w[:_STEM]) for w in terms.words)
    return [
        re.compile(rf"(?<!\w)(?:{whole})(?!\w)", re.I),
        re.compile(rf"(?<!\w)(?:{stems})", re.I),
    ]


def _first(text: str, terms: Terms) -> int | None:
    for pattern in _patterns(terms):
        found = pattern.search(text)
        if found:
            return found.start()
    return None


def window(text: str, terms: Terms) -> str:
    """At most WINDOW characters of `text` around the first place that looks like a match
    (the start when none does), cut at spaces, with "…" where text was left out."""
    found = _first(text, terms)
    start = max(0, found - BEFORE) if found is not None else 0
    end = min(len(text), start + WINDOW)
    if start:
        space = text.find(" ", start, start + BEFORE // 2)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", end - BEFORE // 2, end)
        end = space if space > start else end
    shown = " ".join(text[start:end].split())
    return (ELLIPSIS + " " if start else "") + shown + (" " + ELLIPSIS if end < len(text) else "")
