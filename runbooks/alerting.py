"""Alert logic with no database: label matchers and route precedence (DESIGN §4).

Matchers follow Alertmanager: `=`, `!=`, `=~`, `!~`; regexes are fully anchored and run with
RE2 (linear time, as Alertmanager's Go regexp), so no request can make matching slow. A label
that is absent counts as the empty string.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import re2

OPERATORS = ("=~", "!~", "!=", "=")  # longest first, for parsing
MAX_PATTERN = 1024
MAX_MATCHERS = 20
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# One Alertmanager-style matcher: name, operator, value quoted or bare.
_MATCHER = re.compile(
    r"\s*(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*"
    r'(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^,"\s]*))\s*'
)


class MatcherError(ValueError):
    """A matcher that can never work: unknown operator, bad label name, invalid regex."""


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # the error reaches the user as a MatcherError instead


@lru_cache(maxsize=4096)
def _anchored(pattern: str):
    try:
        return re2.compile(f"^(?:{pattern})$", options=_RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args else "invalid"
        raise MatcherError(f"{pattern!r} is not a valid regular expression: {reason}.") from None


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def __post_init__(self):
        if self.op not in OPERATORS:
            raise MatcherError(f"{self.op!r} is not an operator; use =, !=, =~ or !~.")
        if not LABEL_NAME.match(self.label):
            raise MatcherError(f"{self.label!r} is not a label name.")
        if self.op in ("=~", "!~"):
            if len(self.value) > MAX_PATTERN:
                raise MatcherError(f"A regular expression may have {MAX_PATTERN} characters.")
            _anchored(self.value)

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.label, "")
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        found = _anchored(self.value).match(value) is not None
        return found if self.op == "=~" else not found

    def as_dict(self) -> dict:
        return {"label": self.label, "op": self.op, "value": self.value}

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.label}{self.op}"{escaped}"'


def matchers_from_dicts(items: Iterable[Mapping]) -> list[Matcher]:
    """Matchers from the API/JSON shape [{label, op, value}], validated."""
    matchers = []
    for item in items:
        if not isinstance(item, Mapping) or set(item) != {"label", "op", "value"}:
            raise MatcherError("Each matcher is an object with label, op and value.")
        if not all(isinstance(item[k], str) for k in ("label", "op", "value")):
            raise MatcherError("label, op and value are strings.")
        matchers.append(Matcher(item["label"], item["op"], item["value"]))
    if len(matchers) > MAX_MATCHERS:
        raise MatcherError(f"At most {MAX_MATCHERS} matchers per route.")
    return matchers


def parse_matchers(text: str) -> list[Matcher]:
    """Matchers from Alertmanager's text form: `severity="critical", namespace=~"kube-.*"`."""
    matchers, position, text = [], 0, text.strip().strip("{}")
    while position < len(text):
        found = _MATCHER.match(text, position)
        if not found:
            raise MatcherError(f"Cannot read a matcher at “{text[position : position + 30]}”.")
        quoted = found.group("quoted")
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else found.group("bare")
        matchers.append(Matcher(found.group("label"), found.group("op"), value))
        position = found.end()
        if position < len(text):
            if text[position] != ",":
                raise MatcherError(f"Expected a comma at “{text[position : position + 30]}”.")
            position += 1
    if len(matchers) > MAX_MATCHERS:
        raise MatcherError(f"At most {MAX_MATCHERS} matchers per route.")
    return matchers


class Route(Protocol):
    """What resolution needs of a route (the AlertRoute model has it)."""

    pk: int
    provider_id: int | None
    priority: int
    matchers: list
    runbook: object


def precedence(route: Route) -> tuple:
    """Higher wins: scoped beats community, then more matchers, higher priority, older route."""
    return (route.provider_id is not None, len(route.matchers), route.priority, -route.pk)


def route_matches(route: Route, labels: Mapping[str, str]) -> bool:
    return all(Matcher(**m).matches(labels) for m in route.matchers)


def best_route(
    candidates: Sequence[Route], labels: Mapping[str, str], component: str | None = None
) -> Route | None:
    """The winning route among candidates already limited to the alert's name and provider.

    A component narrows the candidates to runbooks of that component when any has it, and is
    ignored otherwise (DESIGN §4).
    """
    if component:
        wanted = component.casefold()
        narrowed = [r for r in candidates if r.runbook.component.casefold() == wanted]
        candidates = narrowed or candidates
    matching = [r for r in candidates if route_matches(r, labels)]
    return max(matching, key=precedence, default=None)


_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def alert_words(alertname: str) -> list[str]:
    """The words of an alert name, lower-cased, for finding related runbooks:
    `CephMonQuorumLost` → ceph, mon, quorum, lost; `KubeAPIDown` → kube, api, down."""
    words = [w.lower() for w in _WORD.findall(alertname)]
    return list(dict.fromkeys(w for w in words if len(w) >= 3))
