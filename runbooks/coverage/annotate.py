"""Rule files with `runbook_url` written for the alerts that have none, and not one other byte
changed: the new lines are inserted into the text where the parser says each rule ends, so
comments, key order, quoting, line folding, blank lines and document markers all stay.

- a rule with a block `annotations:` mapping gets a `runbook_url:` line after its last entry,
  at the column of its keys;
- a rule without `annotations` gets `annotations:` and `runbook_url:` after its last line, at
  the column of its keys (nested as the rule nests its `labels`, else by two spaces);
- flow style (`annotations: {summary: x}`, `- {alert: A, expr: up}`) gets `, runbook_url: …`
  (or `, annotations: {runbook_url: …}`) before its closing brace.

A rule repeated as `- *anchor` gets its link once, where it is written. A rule whose mapping is
written outside its list, or whose annotations come through an alias (`annotations: *common`),
is left as it is — that text is shared with others; `skipped` names those.
"""

import json
import re
from dataclasses import dataclass, field

import yaml

from runbooks.coverage.report import NONE, Covered

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:/?&=%._~+-]*$")  # needs no quotes in YAML


@dataclass
class Annotated:
    text: str
    added: int = 0
    skipped: list[str] = field(default_factory=list)  # alert names left as they were


def annotate(text: str, covered: list[Covered]) -> Annotated:
    """`text` (one rule file, read before by `rulefiles.read`) with each alert of `covered`
    that lacks a `runbook_url` given its OpenOps link."""
    wanted = {a.rule.where: a for a in covered if a.runbook_url == NONE}
    if not wanted:
        return Annotated(text)
    lines = text.splitlines(keepends=True)
    documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))  # marks count characters
    seen: set[int] = set()
    edits: list[tuple[int, int, str]] = []  # (line, column, text to insert there)
    result = Annotated(text)
    for where, alert in sorted(wanted.items()):
        rule, rules = _rule_node(documents, where)
        if id(rule) in seen:  # `- *anchor` of a rule above: it has the link through that one
            continue
        seen.add(id(rule))
        elsewhere = not _inside(rule, rules)  # an alias of a rule written outside the list
        edit = None if elsewhere else _edit(rule, lines, _value(alert.link))
        if edit is None:
            result.skipped.append(alert.rule.alert)
        else:
            edits.append(edit)
    for line, column, insert in sorted(edits, reverse=True):  # from the end: marks stay true
        if line == len(lines):
            lines.append("")
        lines[line] = lines[line][:column] + insert + lines[line][column:]
    result.text = "".join(lines)
    result.added = len(edits)
    return result


def _rule_node(documents, where: tuple[int, int, int]):
    """The rule's node and the node of the list it is in."""
    document, group, index = where
    root = _get(documents[document], "spec") if _get(documents[document], "kind") else None
    groups = _get(root or documents[document], "groups")
    rules = _get(groups.value[group], "rules")
    return rules.value[index], rules


def _get(node, key: str):
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value
    return None


def _edit(rule: yaml.MappingNode, lines: list[str], url: str) -> tuple[int, int, str] | None:
    annotations = _get(rule, "annotations")
    if annotations is not None and not _inside(annotations, rule):
        return None  # an alias: the text is another rule's too
    if rule.flow_style:
        if isinstance(annotations, yaml.MappingNode) and annotations.flow_style:
            return _before_brace(annotations, f"runbook_url: {url}")
        if annotations is not None:
            return None
        return _before_brace(rule, f"annotations: {{runbook_url: {url}}}")
    if annotations is None or (isinstance(annotations, yaml.ScalarNode) and not annotations.value):
        column = rule.value[0][0].start_mark.column
        step = _step(rule) or 2
        if annotations is not None:  # `annotations:` with nothing after it
            line = annotations.start_mark.line
            return _after_line(lines, line, f"{' ' * (column + step)}runbook_url: {url}\n")
        block = f"{' ' * column}annotations:\n{' ' * (column + step)}runbook_url: {url}\n"
        return _after_line(lines, _last_line(rule), block)
    if not isinstance(annotations, yaml.MappingNode):
        return None
    if annotations.flow_style:
        return _before_brace(annotations, f"runbook_url: {url}")
    column = annotations.value[0][0].start_mark.column
    return _after_line(lines, _last_line(annotations), f"{' ' * column}runbook_url: {url}\n")


def _inside(node, parent) -> bool:
    return parent.start_mark.index <= node.start_mark.index <= parent.end_mark.index


def _step(rule: yaml.MappingNode) -> int:
    """How deep the rule nests a mapping of its own (`labels:`), to nest annotations alike."""
    labels = _get(rule, "labels")
    if isinstance(labels, yaml.MappingNode) and labels.value and not labels.flow_style:
        return labels.value[0][0].start_mark.column - rule.value[0][0].start_mark.column
    return 0


def _last_line(node) -> int:
    """The last line of text that belongs to `node` (0-based)."""
    while (
        isinstance(node, (yaml.MappingNode, yaml.SequenceNode))
        and node.value
        and not node.flow_style
    ):
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    end = node.end_mark
    # A block scalar (`expr: |`) ends at the start of the line after its text.
    return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line


def _after_line(lines: list[str], line: int, block: str) -> tuple[int, int, str]:
    if line < len(lines) and not lines[line].endswith("\n"):
        block = "\n" + block.rstrip("\n")
        return line, len(lines[line]), block
    return line + 1, 0, block


def _before_brace(node, entry: str) -> tuple[int, int, str] | None:
    """`, <entry>` just before the closing brace of a flow mapping."""
    end = node.end_mark  # just after the `}`
    if end.column == 0:
        return None
    separator = ", " if node.value else ""
    return end.line, end.column - 1, f"{separator}{entry}"


def _value(url: str) -> str:
    """The URL as a YAML value: plain where that reads back the same, else double-quoted."""
    return url if _PLAIN.match(url) else json.dumps(url)
