"""Line diffs between two revisions, for pages, the conflict page and the API."""

import difflib
from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "ctx" or "hunk"
    text: str


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
    lines = difflib.unified_diff(
        old.splitlines(),
        new.splitlines(),
        fromfile=old_label,
        tofile=new_label,
        n=context,
        lineterm="",
    )
    return "\n".join(lines)


def diff_lines(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """The same diff as lines marked for display (templates escape the text)."""
    lines = []
    for line in unified(old, new, "a", "b", context).splitlines()[2:]:
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("del", line[1:]))
        else:
            lines.append(DiffLine("ctx", line[1:]))
    return lines
