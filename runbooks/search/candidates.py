"""Which matches a search ranks: a bounded candidate set, so that a query matching the whole
corpus costs what a query matching CANDIDATES documents costs.

Ranking (`ts_rank`, FTS5's `bm25`) reads every match it orders; a query that matches ten
thousand runbooks read ten thousand vectors for one page of twenty. Instead, from the index:

1. the matches in a title, an alert name or a tag (the `heading` of the backend), newest
   first, up to CANDIDATES + 1;
2. then any matches, newest first, up to CANDIDATES + 1;

each one LIMIT-ed query over what the user may see (`visible`), in an order the index and the
primary key give without ranking. Their union, heading matches first, cut at CANDIDATES, is
what is ranked and paged: heading matches above the rest, each group by rank. One row more
than CANDIDATES says "more than CANDIDATES" without counting the rest; fewer, and the set is
every match, so the counts are exact. The set depends only on the data and the user, so the
pages of one search never overlap or leave gaps.
"""

from dataclasses import dataclass

CANDIDATES = 200


@dataclass(frozen=True)
class Candidate:
    pk: int
    kind: str
    heading: bool
    rank: float  # the backend's rank (on SQLite, a heading match's is the heading's own)


@dataclass
class Pool:
    candidates: list[Candidate]
    more: bool  # more than CANDIDATES visible matches; only the first CANDIDATES are here

    def of_kind(self, kind: str) -> "Pool":
        """The same pool narrowed to one kind (exact only when `more` is false)."""
        return Pool([c for c in self.candidates if c.kind == kind], self.more)

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for candidate in self.candidates:
            counted[candidate.kind] = counted.get(candidate.kind, 0) + 1
        return counted


def _first(matches) -> list[tuple[int, str, float]]:
    return list(matches.values_list("pk", "kind", "rank")[: CANDIDATES + 1])


def pool(matches, heading_matches) -> Pool:
    """The candidates among `matches`, `heading_matches` (a subset of them) first; both in
    the order the index gives (the backend's `newest_first`)."""
    heading = _first(heading_matches)
    found = {pk: Candidate(pk, kind, True, float(rank)) for pk, kind, rank in heading}
    for pk, kind, rank in _first(matches):
        found.setdefault(pk, Candidate(pk, kind, False, float(rank)))
    candidates = list(found.values())
    return Pool(candidates[:CANDIDATES], more=len(candidates) > CANDIDATES)


def ordered(candidates: list[Candidate]) -> list[Candidate]:
    """Best first: heading matches, then the rest, each by rank, then the newest."""
    return sorted(candidates, key=lambda c: (not c.heading, -c.rank, -c.pk))
