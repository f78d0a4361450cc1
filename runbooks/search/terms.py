"""A search box's text, understood the way web search engines (and PostgreSQL's
`websearch_to_tsquery`) do: words, "quoted phrases", -excluded words, and `or` between
alternatives. Whatever is typed, the result is a plain structure; no user text reaches a query
language unquoted."""

import re
from dataclasses import dataclass, field

from runbooks import inputs

# Characters the backends mark snippets with; never part of indexed text (entries.py).
MARK_START, MARK_END = "\x02", "\x03"
MAX_QUERY = 1000  # characters considered; the rest of a pasted log is ignored
MAX_TERMS = 32
MAX_TERM = 200
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


def tidy(query: str) -> str:
    """The query as text that is safe to store, log and hand to a database: no NUL or lone
    surrogates, single spaces, at most MAX_QUERY characters."""
    text = inputs.clean_text(query or "").replace("\x00", " ")
    return " ".join(text.split())[:MAX_QUERY]


def parse(query: str) -> Terms:
    terms = Terms(alternatives=[[]])
    count = 0
    for token in _TOKEN.findall(tidy(query)):
        if token.lower() == "or":
            if terms.alternatives[-1]:
                terms.alternatives.append([])
            continue
        excluded = token.startswith("-") and len(token) > 1
        phrase = token[1:] if excluded else token
        phrase = " ".join(phrase.strip('"').split())[:MAX_TERM]
        if not _WORD.search(phrase) or count >= MAX_TERMS:
            continue  # punctuation alone (`*`, `(`) is no word to look for
        count += 1
        (terms.excluded if excluded else terms.alternatives[-1]).append(phrase)
    terms.alternatives = [group for group in terms.alternatives if group]
    return terms
