"""Label matching and route precedence as pure functions (DESIGN §4), no database."""

from dataclasses import dataclass, field

import pytest

from runbooks.alerting import Matcher, MatcherError, best_route, parse_matchers

LABELS = {"alertname": "KubePodCrashLooping", "namespace": "kube-system", "severity": "warning"}


@pytest.mark.parametrize(
    "label,op,value,expected",
    [
        ("severity", "=", "warning", True),
        ("severity", "=", "Warning", False),
        ("severity", "!=", "critical", True),
        ("severity", "!=", "warning", False),
        ("namespace", "=~", "kube-.*", True),
        ("namespace", "=~", "kube", False),  # fully anchored: no partial match
        ("namespace", "=~", "system", False),
        ("namespace", "=~", ".*system", True),
        ("namespace", "!~", "kube-.*", False),
        ("namespace", "!~", "default|monitoring", True),
        ("namespace", "=~", "kube-system|default", True),  # alternation is anchored as a whole
        ("team", "=", "", True),  # an absent label is ""
        ("team", "!=", "", False),
        ("team", "=~", ".*", True),
        ("team", "=~", ".+", False),
        ("team", "!~", "x", True),
    ],
)
def test_each_operator_follows_alertmanager(label, op, value, expected):
    assert Matcher(label, op, value).matches(LABELS) is expected


@pytest.mark.parametrize(
    "label,op,value,message",
    [
        ("severity", "==", "x", "not an operator"),
        ("9lives", "=", "x", "not a label name"),
        ("a", "=~", "(unclosed", "not a valid regular expression"),
        ("a", "=~", "(?<=look)behind", "not a valid regular expression"),  # not in RE2
        ("a", "=~", "x" * 1025, "1024 characters"),
    ],
)
def test_invalid_matchers_are_refused_with_a_reason(label, op, value, message):
    with pytest.raises(MatcherError, match=message):
        Matcher(label, op, value)


def test_pathological_regexes_run_in_linear_time():
    # Catastrophic for a backtracking engine; RE2 answers at once. No timing assertion here:
    # a backtracking engine would not finish this test at all.
    matcher = Matcher("instance", "=~", "(a+)+$")
    assert not matcher.matches({"instance": "a" * 50_000 + "!"})
    assert Matcher("i", "=~", "(x|x)*y").matches({"i": "x" * 10_000 + "y"})


def test_unicode_and_odd_values():
    assert Matcher("osd", "=~", "ü.*").matches({"osd": "über"})
    assert Matcher("name", "=", "10% OSDs down").matches({"name": "10% OSDs down"})


def test_parse_alertmanager_text_matchers():
    parsed = parse_matchers(
        '{severity="critical", namespace=~"kube-.*",team!=platform, x!~"a\\"b"}'
    )
    assert [str(m) for m in parsed] == [
        'severity="critical"',
        'namespace=~"kube-.*"',
        'team!="platform"',
        'x!~"a\\"b"',
    ]
    assert parse_matchers("") == []
    with pytest.raises(MatcherError, match="Cannot read"):
        parse_matchers("severity")
    with pytest.raises(MatcherError, match="comma"):
        parse_matchers('a="1" b="2"')


@dataclass
class FakeRunbook:
    component: str = ""


@dataclass
class FakeRoute:
    pk: int
    provider_id: int | None = None
    priority: int = 0
    matchers: list = field(default_factory=list)
    runbook: FakeRunbook = field(default_factory=FakeRunbook)


def m(label, op, value):
    return {"label": label, "op": op, "value": value}


def test_a_route_matches_only_when_all_its_matchers_do():
    route = FakeRoute(1, matchers=[m("severity", "=", "warning"), m("namespace", "=", "default")])
    assert best_route([route], LABELS) is None


def test_a_route_scoped_to_the_provider_beats_a_community_route():
    community = FakeRoute(1, matchers=[m("severity", "=", "warning"), m("namespace", "=~", ".+")])
    scoped = FakeRoute(2, provider_id=7)
    assert best_route([community, scoped], LABELS) is scoped


def test_more_matchers_beat_fewer():
    one = FakeRoute(1, priority=100, matchers=[m("severity", "=", "warning")])
    two = FakeRoute(2, matchers=[m("severity", "=", "warning"), m("namespace", "=~", "kube-.*")])
    assert best_route([one, two], LABELS) is two


def test_higher_priority_breaks_a_tie_of_matchers():
    low, high = FakeRoute(1, priority=1), FakeRoute(2, priority=5)
    assert best_route([low, high], LABELS) is high


def test_the_older_route_breaks_a_full_tie():
    older, newer = FakeRoute(3), FakeRoute(9)
    assert best_route([newer, older], LABELS) is older


def test_a_component_narrows_the_candidates_when_any_has_it():
    ceph = FakeRoute(2, runbook=FakeRunbook("Ceph"))
    nova = FakeRoute(1, priority=9, runbook=FakeRunbook("nova"))
    assert best_route([ceph, nova], LABELS, component="ceph") is ceph
    assert best_route([ceph, nova], LABELS, component="kubernetes") is nova  # ignored
    assert best_route([ceph, nova], LABELS) is nova
