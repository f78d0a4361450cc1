"""A runbook's text, action first (issue 31): the sections before the one that holds its first
instruction (the first step of a numbered procedure or the first command block) fold into one
line, so that on a phone the instruction starts on the first screen; nothing is left out.

`{% with body=marked_html|fold_background %}` cuts the stored, sanitised HTML of our renderer at
its top-level headings only, so every part is whole HTML."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

INSTRUCTIONS = frozenset({"ol", "pre"})
VOID = frozenset({"br", "hr", "img", "wbr"})
# Links our pages put inside a heading: its permalink ("#") and its comment count.
NOT_THE_NAME = frozenset({"headerlink", "sectioncomments"})


@dataclass
class Body:
    """The text before the first H2 (`lead`), the whole H2 sections before the one with the
    first instruction (`background`, their headings in `names`), and the rest."""

    lead: SafeString
    background: SafeString = field(default_factory=lambda: mark_safe(""))
    names: list[str] = field(default_factory=list)
    rest: SafeString = field(default_factory=lambda: mark_safe(""))


class _Outline(HTMLParser):
    """Where each top-level H2 before the first instruction starts (offset, name), and where
    that instruction starts; what follows it is ignored."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.lines = [0]
        self.lines += [i + 1 for i, char in enumerate(html) if char == "\n"]
        self.depth = 0
        self.headings: list[tuple[int, list[str]]] = []
        self.instruction: int | None = None
        self.naming: list[str] | None = None  # the top-level H2 being read
        self.skipping = False  # inside a link of ours in that heading
        self.feed(html)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if self.instruction is not None:
            return
        if tag in INSTRUCTIONS:
            self.instruction = self._offset()
        elif tag == "h2" and self.depth == 0:
            self.naming = []
            self.headings.append((self._offset(), self.naming))
        elif tag == "a" and self.naming is not None:
            self.skipping = bool(set((dict(attrs).get("class") or "").split()) & NOT_THE_NAME)
        if tag not in VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.instruction is not None or tag in VOID:
            return
        self.depth -= 1
        if tag == "a":
            self.skipping = False
        elif tag == "h2" and self.depth == 0:
            self.naming = None

    def handle_data(self, data):
        if self.naming is not None and not self.skipping:
            self.naming.append(data)


def cut(html: str) -> Body:
    """`html` cut before the top-level H2 whose section holds the first instruction; all of it
    in `lead` when that is in the text before the first H2, or there is no instruction."""
    outline = _Outline(html)
    before = outline.headings  # the outline ignores what follows the instruction
    if outline.instruction is None or len(before) < 2:  # nothing before its section to fold
        return Body(lead=mark_safe(html))
    first, last = before[0][0], before[-1][0]
    names = [" ".join("".join(name).split()) for _, name in before[:-1]]
    return Body(
        lead=mark_safe(html[:first]),
        background=mark_safe(html[first:last]),
        names=names,
        rest=mark_safe(html[last:]),
    )


@register.filter
def fold_background(html: str) -> Body:
    return cut(str(html))
