"""Reading Prometheus rule files: `groups: [{name, rules: [...]}]`, the same under `spec.groups`
of a Kubernetes `PrometheusRule`, one or many YAML documents a file, and folders of them.

YAML is read with PyYAML's safe loader (no tag constructs an object), numbers and dates kept as
the text written (`runbooks.yamltext`: `2026-13-01` is no error). The work stays bounded
whatever the file: aliases share one object (a "billion laughs" file is small in memory), and
the walk below stops at MAX_RULES rules, so no alias can make it long.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from runbooks.inputs import clean_text
from runbooks.yamltext import TextLoader

MAX_DEPTH = 32  # a PrometheusRule's labels are 7 levels down
MAX_RULES = 20_000  # alerting and recording rules of one request or command, in all
MAX_LABELS = 64
MAX_LABEL_VALUE = 1024
SUFFIXES = (".yaml", ".yml")


class RuleError(ValueError):
    """A file that is not a rule file, or a rule that is not a rule: said plainly."""


@dataclass(frozen=True)
class AlertRule:
    file: str
    group: str
    alert: str
    labels: dict[str, str]
    runbook_url: str
    where: tuple[int, int, int]  # document, group and rule index: where --annotate writes
    folder: str = ""  # the name of the folder the file is in, if any


@dataclass
class RuleFile:
    name: str  # as given or relative to the folder given
    text: str
    folder: str = ""
    alerts: list[AlertRule] = field(default_factory=list)
    recording: int = 0
    skipped_documents: int = 0  # Kubernetes objects of other kinds in the file
    groups: int = 0

    @property
    def holds_rules(self) -> bool:
        return self.groups > 0


class Budget:
    """Rules left to read across every file of one request."""

    def __init__(self, rules: int = MAX_RULES):
        self.left = rules

    def take(self, where: str) -> None:
        self.left -= 1
        if self.left < 0:
            raise RuleError(
                f"{where}: more than {MAX_RULES} rules in all; check fewer files at once."
            )


def read(
    name: str, text: str, budget: Budget | None = None, folder: str = "", strict: bool = True
) -> RuleFile:
    """The alerting rules of one file; RuleError for anything that is not a rule file. Not
    `strict` (files found in a folder), a document that is no rule file at all (a Helm values
    file, a Deployment) is skipped; one that has `groups` must still be right."""
    budget = budget or Budget()
    found = RuleFile(name=name, text=text, folder=folder)
    try:
        documents = _load_all(name, text)
    except yaml.YAMLError as exc:
        if "nesting depth" in _reason(exc):  # libyaml's own limit, far above MAX_DEPTH
            raise RuleError(f"{name}: nested more than {MAX_DEPTH} levels deep.") from None
        raise RuleError(f"{name}: not YAML ({_reason(exc)}).") from None
    except RecursionError:
        raise RuleError(f"{name}: nested too deeply to be a rule file.") from None
    for number, document in enumerate(documents):
        groups = _groups(name, number, document, strict)
        if groups is None:
            found.skipped_documents += 1
            continue
        found.groups += len(groups)
        for group_index, group in enumerate(groups):
            _read_group(found, (number, group_index), group, budget)
    if strict and found.skipped_documents == len(documents):
        raise RuleError(f"{name}: no rule groups (neither `groups:` nor a PrometheusRule).")
    return found


def _load_all(name: str, text: str) -> list:
    """Every document of the text, read once: each is composed into nodes, refused when nested
    deeper than any rule file is (walked without recursion, each shared node once, so aliases
    add no work), and only then built into Python values."""
    loader = TextLoader(text)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            _check_depth(name, node)
            documents.append(loader.construct_document(node))
        return documents
    finally:
        loader.dispose()


def _check_depth(name: str, root) -> None:
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen or isinstance(node, yaml.ScalarNode):
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise RuleError(f"{name}: nested more than {MAX_DEPTH} levels deep.")
        children = (
            node.value
            if isinstance(node, yaml.SequenceNode)
            else (child for pair in node.value for child in pair)
        )
        stack.extend((child, depth + 1) for child in children)


def _groups(name: str, number: int, document, strict: bool) -> list | None:
    """The rule groups of one document; None for a document that holds none on purpose (an
    empty one, another kind of Kubernetes object)."""
    at = f"{name}, document {number + 1}"
    if document is None:
        return None
    if not isinstance(document, dict):
        if not strict:
            return None
        raise RuleError(f"{at}: a rule file is a mapping with `groups`, not a {_kind(document)}.")
    if "kind" in document and "apiVersion" in document:
        if document.get("kind") != "PrometheusRule":
            return None
        spec = document.get("spec")
        if not isinstance(spec, dict):
            raise RuleError(f"{at}: a PrometheusRule without a `spec` mapping.")
        document = spec
    if "groups" not in document:
        if not strict:
            return None
        raise RuleError(f"{at}: no `groups` (neither a rule file nor a PrometheusRule).")
    groups = document["groups"]
    if groups is None:
        return []
    if not isinstance(groups, list):
        raise RuleError(f"{at}: `groups` is a {_kind(groups)}, not a list.")
    return groups


def _read_group(found: RuleFile, where: tuple[int, int], group, budget: Budget) -> None:
    at = f"{found.name}, group {where[1] + 1}"
    if not isinstance(group, dict):
        raise RuleError(f"{at}: a group is a mapping with `name` and `rules`.")
    name = group.get("name")
    if not isinstance(name, str) or not name:
        raise RuleError(f"{at}: a group needs a `name`.")
    at = f"{found.name}, group “{name[:100]}”"
    rules = group.get("rules") or []
    if not isinstance(rules, list):
        raise RuleError(f"{at}: `rules` is a {_kind(rules)}, not a list.")
    for index, rule in enumerate(rules):
        budget.take(at)
        alert = _rule(f"{at}, rule {index + 1}", rule)
        if alert is None:
            found.recording += 1
            continue
        labels, url = alert
        found.alerts.append(
            AlertRule(
                file=found.name,
                group=clean_text(name),
                alert=clean_text(rule["alert"]),
                labels=labels,
                runbook_url=url,
                where=(*where, index),
                folder=found.folder,
            )
        )


def _rule(at: str, rule) -> tuple[dict[str, str], str] | None:
    """(labels, runbook_url) of an alerting rule; None for a recording rule."""
    if not isinstance(rule, dict):
        raise RuleError(f"{at}: a rule is a mapping with `alert` or `record`.")
    if "record" in rule and "alert" not in rule:
        return None
    alert = rule.get("alert")
    if "record" in rule:
        raise RuleError(f"{at}: a rule has `alert` or `record`, not both.")
    if not isinstance(alert, str) or not alert.strip():
        raise RuleError(f"{at}: a rule needs `alert` (a name) or `record`.")
    if len(alert) > 200:
        raise RuleError(f"{at}: the alert name is longer than 200 characters.")
    labels = _strings(f"{at} (“{alert[:100]}”), labels", rule.get("labels"))
    annotations = _strings(f"{at} (“{alert[:100]}”), annotations", rule.get("annotations"), 10**6)
    return labels, annotations.get("runbook_url", "").strip()


def _strings(at: str, value, longest: int = MAX_LABEL_VALUE) -> dict[str, str]:
    """A mapping of names to scalar values, as strings (`severity: 1` is "1")."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RuleError(f"{at}: a mapping of names to values, not a {_kind(value)}.")
    if len(value) > MAX_LABELS:
        raise RuleError(f"{at}: more than {MAX_LABELS}.")
    found = {}
    for key, item in value.items():
        if isinstance(item, (dict, list)):
            raise RuleError(f"{at}: {str(key)[:60]!r} is a {_kind(item)}, not a value.")
        text = "" if item is None else str(item).lower() if isinstance(item, bool) else str(item)
        if len(text) > longest:
            raise RuleError(f"{at}: {str(key)[:60]!r} is longer than {longest} characters.")
        found[clean_text(str(key))] = clean_text(text)
    return found


def _kind(value) -> str:
    return {dict: "mapping", list: "list", str: "string"}.get(type(value), type(value).__name__)


def _reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}" if mark else str(problem)


# --- Files and folders (the command) ----------------------------------------------------------


@dataclass(frozen=True)
class Found:
    name: str  # the path as given, or inside the folder given
    path: Path
    relative: Path  # where a copy of it goes (`--annotate OUT`): inside the folder given
    given: bool  # named on the command line itself (not found in a folder)

    @property
    def folder(self) -> str:
        return self.path.resolve().parent.name


def files_in(paths: Iterable[str]) -> Iterator[Found]:
    """Every rule file the paths name: a file as given, and the YAML files of a folder,
    recursively, sorted, skipping hidden ones; each file once."""
    seen: set[Path] = set()
    for found in _files_in(paths):
        if found.path.resolve() not in seen:
            seen.add(found.path.resolve())
            yield found


def _files_in(paths: Iterable[str]) -> Iterator[Found]:
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                relative = found.relative_to(path)
                hidden = any(part.startswith(".") for part in relative.parts)
                if found.is_file() and found.suffix in SUFFIXES and not hidden:
                    yield Found(str(path / relative), found, relative, given=False)
        elif path.is_file():
            yield Found(str(path), path, Path(path.name), given=True)
        else:
            raise RuleError(f"{given}: no such file or folder.")
