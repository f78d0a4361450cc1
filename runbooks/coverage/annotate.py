"""Rule files with `runbook_url` written for the alerts that have none, and nothing else changed
that a round-trip YAML library (ruamel.yaml) can keep: comments, key order, quoting, block
scalars, document markers. What it cannot keep: the indentation of sequences is normalised to
the style the file mostly uses (guessed from its first nested list), trailing spaces go, and a
flow mapping (`annotations: {a: b}`) that gains a key stays in flow style.
"""

import io
import re

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from runbooks.coverage.report import NONE, Covered

_KEY = re.compile(r"^( *)[^\s#-][^:#]*:\s*(#.*)?$")
_DASH = re.compile(r"^( *)- ")


def annotate(text: str, covered: list[Covered]) -> str:
    """`text` (one rule file, read before by `rulefiles.read`) with each alert of `covered`
    that lacks a `runbook_url` given its OpenOps link."""
    wanted = {a.rule.where: a.link for a in covered if a.runbook_url == NONE}
    if not wanted:
        return text
    yaml = _yaml(text)
    documents = list(yaml.load_all(text))
    for (number, group, index), url in wanted.items():
        rule = _groups(documents[number])[group]["rules"][index]
        annotations = rule.get("annotations")
        if annotations is None:
            rule["annotations"] = annotations = CommentedMap()
        annotations["runbook_url"] = url
    out = io.StringIO()
    yaml.dump_all(documents, out)
    return out.getvalue()


def _groups(document):
    if "groups" in document:
        return document["groups"]
    return document["spec"]["groups"]


def _yaml(text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100_000  # never fold a long expression onto new lines
    mapping, offset = _indentation(text)
    yaml.indent(mapping=mapping, sequence=mapping + offset, offset=offset)
    yaml.explicit_start = text.lstrip().startswith("---")
    return yaml


def _indentation(text: str) -> tuple[int, int]:
    """(mapping indent, dash offset) as the file writes them: `groups:` then `  - name:` is an
    offset of 2 (Prometheus' examples), `- name:` at the key's own column 0 (kube-prometheus)."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    mapping, offset = 2, 0
    for above, line in zip(lines, lines[1:], strict=False):
        key, dash = _KEY.match(above), _DASH.match(line)
        if key and dash:
            offset = max(0, len(dash.group(1)) - len(key.group(1)))
            break
    for above, line in zip(lines, lines[1:], strict=False):
        key = _KEY.match(above)
        if key and not _DASH.match(line):
            step = len(line) - len(line.lstrip()) - len(key.group(1))
            if step > 0:
                mapping = step
                break
    return mapping, offset
