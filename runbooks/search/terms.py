"""A search box's text, understood the way web search engines (and PostgreSQL's
`websearch_to_tsquery`) do: words, "quoted phrases", -excluded words, and `or` between
alternatives. Whatever is typed, the result is a plain structure; no user text reaches a query
language unquoted.

The structure is bounded, because a database's work per matching document grows with the
phrases asked for times their occurrences there: a phrase asked twice (`qv qw qv qw`) counts
once, a repeated alternative once, and at most MAX_TERMS phrases of MAX_PHRASE_WORDS words
each are kept."""

import re
from dataclasses import dataclass, field

from runbooks import inputs

# Characters the backends mark snippets with; never part of indexed text (entries.py).
MARK_START, MARK_END = "\x02", "\x03"
MAX_QUERY = 1000  # characters considered; the rest of a pasted log is ignored
MAX_TERMS = 12  # distinct phrases, positive and excluded together
MAX_TERM = 200  # characters of one phrase
MAX_PHRASE_WORDS = 8
_TOKEN = re.compile(r'-?"[^"]*"?|\S+')
_WORD = re.compile(r"\w+")


@dataclass
class Terms:
    alternatives: list[list[str]] = field(default_factory=list)  # OR of (AND of phrases)
    excluded: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(self.alternatives)

    @property
    def words(self) -> list[str]:
        """Every word of the positive phrases, in order, once."""
        found = [w for group in self.alternatives for p in group for w in _WORD.findall(p)]
        return list(dict.fromkeys(found))

    def websearch(self) -> str:
        """The same structure in the syntax of `websearch_to_tsquery` (PostgreSQL)."""
        groups = [" ".join(_quoted(p) for p in group) for group in self.alternatives]
        return " or ".join(groups) + "".join(f" -{_quoted(p)}" for p in self.excluded)


def _quoted(phrase: str) -> str:
    return '"' + phrase.replace('"', " ") + '"'


def _phrase(token: str) -> str:
    words = token.strip('"').split()[:MAX_PHRASE_WORDS]
    return " ".join(words)[:MAX_TERM]


def tidy(query: str) -> str:
    """The query as text that is safe to store, log and hand to a database: no NUL or lone
    surrogates, single spaces, at most MAX_QUERY characters."""
    text = inputs.clean_text(query or "").replace("\x00", " ")
    return " ".join(text.split())[:MAX_QUERY]


def parse(query: str) -> Terms:
    terms = Terms(alternatives=[[]])
    seen = set()  # (group, phrase) pairs already kept, compared without case
    for token in _TOKEN.findall(tidy(query)):
        if token.lower() == "or":
            if terms.alternatives[-1]:
                terms.alternatives.append([])
            continue
        excluded = token.startswith("-") and len(token) > 1
        phrase = _phrase(token[1:] if excluded else token)
        key = (-1 if excluded else len(terms.alternatives), phrase.casefold())
        if not _WORD.search(phrase) or key in seen or len(seen) >= MAX_TERMS:
            continue  # punctuation alone (`*`, `(`) is no word to look for; once is enough
        seen.add(key)
        (terms.excluded if excluded else terms.alternatives[-1]).append(phrase)
    terms.alternatives = _without_repeats(terms.alternatives)
    return terms


def _without_repeats(groups: list[list[str]]) -> list[list[str]]:
    """Alternatives asked twice (`a or a`, `a b or b a`) once; empty ones not at all."""
    kept, seen = [], set()
    for group in groups:
        key = frozenset(p.casefold() for p in group)
        if group and key not in seen:
            seen.add(key)
            kept.append(group)
    return kept
