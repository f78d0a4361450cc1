"""Line diffs between two revisions, for pages, the conflict page, notifications and the API.

Bounded work (issue 29). difflib's matcher takes quadratic time and worse on texts of repeated
lines (10,000 lines cycling through a hundred values took 44 s), so the common beginning and end
are set aside first (linear), and the matcher's work on what is left is counted and capped
(MAX_MATCH_WORK steps, the same on every machine): past the cap, what is left is one change —
still a correct diff, just not the smallest. Pages show a diff only up to MAX_SHOWN_LINES lines
and MAX_SHOWN_CHARS characters; a larger one is offered as a download of the unified text.
"""

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

MAX_MATCH_WORK = 2_000_000  # lines the matcher may look at, in all
MAX_SHOWN_LINES = 2_000  # diff lines a page renders
MAX_SHOWN_CHARS = 200_000  # characters of those lines


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "ctx" or "hunk"
    text: str


@dataclass
class ShownDiff:
    """What a page shows of a diff: its lines, or none when it is too large to show."""

    lines: list[DiffLine] = field(default_factory=list)
    too_large: bool = False
    added: int = 0
    removed: int = 0


def revision_range(current: int, start: int | None, end: int | None) -> tuple[int, int]:
    """Which revisions a diff compares when the caller names one, both or neither (pages and
    API alike): `to` defaults to the current revision, `from` to the one before `to`."""
    end = current if end is None else end
    start = max(min(end, current) - 1, 1) if start is None else start
    if start > end:
        raise ValidationError("“from” must not be after “to”.")
    return start, end


def unified(old: str, new: str, old_label: str, new_label: str, context: int = 3) -> str:
    """A unified diff of two Markdown texts, as `diff -u` would print it."""
    return "\n".join(
        _unified_lines(old.splitlines(), new.splitlines(), old_label, new_label, context)
    )


def diff_lines(old: str, new: str, context: int = 3) -> ShownDiff:
    """The same diff as lines marked for display (templates escape the text), unless it has
    more lines or characters than a page shows: then only its size."""
    shown, chars = ShownDiff(), 0
    for line in _unified_lines(old.splitlines(), new.splitlines(), "a", "b", context)[2:]:
        kind = _KINDS.get(line[:1], "ctx")
        shown.added += kind == "add"
        shown.removed += kind == "del"
        chars += len(line)
        if len(shown.lines) >= MAX_SHOWN_LINES or chars > MAX_SHOWN_CHARS:
            shown.too_large = True
        if not shown.too_large:
            shown.lines.append(DiffLine(kind, line if kind == "hunk" else line[1:]))
    if shown.too_large:
        shown.lines = []
    return shown


_KINDS = {"@": "hunk", "+": "add", "-": "del"}


def _unified_lines(a: Sequence[str], b: Sequence[str], a_label, b_label, context) -> list[str]:
    """difflib.unified_diff's lines (no line ends), over opcodes found with bounded work."""
    groups = list(_Opcodes(a, b).get_grouped_opcodes(context))
    if not groups:
        return []
    return [f"--- {a_label}", f"+++ {b_label}", *_hunks(a, b, groups)]


def _hunks(a, b, groups) -> Iterator[str]:
    for group in groups:
        first, last = group[0], group[-1]
        old_range = _range(first[1], last[2])
        new_range = _range(first[3], last[4])
        yield f"@@ -{old_range} +{new_range} @@"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            yield from ("-" + line for line in a[i1:i2])
            yield from ("+" + line for line in b[j1:j2])


def _range(start: int, stop: int) -> str:
    """A hunk's range as `diff -u` writes it (difflib's `_format_range_unified`)."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start if not length else start + 1},{length}"


class _Opcodes(difflib.SequenceMatcher):
    """difflib's grouping into hunks, over opcodes found by `_opcodes`."""

    def __init__(self, a, b):
        super().__init__(None, (), ())
        self._codes = _opcodes(a, b)

    def get_opcodes(self):
        return self._codes


def _opcodes(a: Sequence[str], b: Sequence[str]) -> list[tuple]:
    """The edit: common beginning and end kept, the middle matched with bounded work."""
    limit = min(len(a), len(b))
    start = 0
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    while end < limit - start and a[-1 - end] == b[-1 - end]:
        end += 1
    middle_a, middle_b = a[start : len(a) - end], b[start : len(b) - end]
    try:
        middle = _CountedMatcher(middle_a, middle_b).get_opcodes()
    except _OverBudget:
        middle = [("replace", 0, len(middle_a), 0, len(middle_b))]
    codes = [("equal", 0, start, 0, start)] if start else []
    codes += [
        (tag, i1 + start, i2 + start, j1 + start, j2 + start)
        for tag, i1, i2, j1, j2 in middle
        if i1 != i2 or j1 != j2
    ]
    if end:
        codes.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    return codes


class _OverBudget(Exception):
    pass


class _CountedMatcher(difflib.SequenceMatcher):
    """difflib's matcher, stopped once it has looked at MAX_MATCH_WORK lines: each search for
    a longest match looks at every line of its range of `a` and every place that line occurs
    in `b`, so that is what is counted, before the search runs."""

    def __init__(self, a, b):
        self.work = 0
        super().__init__(None, a, b)

    def find_longest_match(self, alo=0, ahi=None, blo=0, bhi=None):
        ahi = len(self.a) if ahi is None else ahi
        self.work += ahi - alo
        occurrences = self.b2j
        for line in self.a[alo:ahi]:
            self.work += len(occurrences.get(line, ()))
            if self.work > MAX_MATCH_WORK:
                raise _OverBudget
        return super().find_longest_match(alo, ahi, blo, bhi)
