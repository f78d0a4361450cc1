"""Label matchers pinned to Alertmanager's semantics (DESIGN §4; issue 38), as a table: every
operator, an absent label read as "", and regexes anchored as Alertmanager anchors them,
`^(?:<regex>)$`, so that each branch of an alternation is anchored, not only the first and last.

Alertmanager's documentation (configuration, "<matcher>"): `=` equal, `!=` not equal, `=~`
regex-match, `!~` regex-not-match; "regex matchers are fully anchored"; a label that is
missing matches as the empty string (`foo=""` selects alerts without `foo`). The same table is
then run through `/r/`, so the page answers as the matcher does.
"""

from urllib.parse import urlencode

import pytest

from runbooks.actors import SYSTEM
from runbooks.alerting import Matcher, best_route, parse_matchers, route_matches
from runbooks.services import routes
from tests.conftest import client_for

ABSENT = None  # the label is not on the alert at all

# (label op value, the alert's value of that label, does it match)
TABLE = [
    # = and != : exact, case-sensitive; an absent label is ""
    ('env="prod"', "prod", True),
    ('env="prod"', "Prod", False),
    ('env="prod"', "production", False),
    ('env="prod"', ABSENT, False),
    ('env=""', ABSENT, True),
    ('env=""', "", True),
    ('env=""', "prod", False),
    ('env!="prod"', "staging", True),
    ('env!="prod"', "prod", False),
    ('env!="prod"', ABSENT, True),  # absent is "", which is not "prod"
    ('env!=""', ABSENT, False),  # `foo!=""`: only alerts that carry the label
    ('env!=""', "prod", True),
    # =~ : anchored at both ends, as a whole
    ('env=~"prod"', "prod", True),
    ('env=~"prod"', "production", False),
    ('env=~"prod"', "preprod", False),
    ('env=~"prod.*"', "production", True),
    ('env=~".*prod"', "preprod", True),
    ('env=~".*"', ABSENT, True),
    ('env=~".+"', ABSENT, False),
    ('env=~""', ABSENT, True),
    ('env=~""', "prod", False),
    # =~ with several branches: each branch is anchored at both ends
    ('env=~"a|b"', "a", True),
    ('env=~"a|b"', "b", True),
    ('env=~"a|b"', "ax", False),
    ('env=~"a|b"', "xb", False),
    ('env=~"a|b"', "xa", False),
    ('env=~"a|b"', "bx", False),
    ('env=~"a|b"', "ab", False),
    ('env=~"a|b"', ABSENT, False),
    ('env=~"prod|staging|dev"', "staging", True),
    ('env=~"prod|staging|dev"', "staging-2", False),
    ('env=~"prod|staging|dev"', "my-staging", False),
    ('env=~"prod|staging|dev"', "production", False),
    ('env=~"prod|staging|dev"', "olddev", False),
    ('env=~"|prod"', ABSENT, True),  # an empty branch matches the absent label
    ('env=~"|prod"', "prod", True),
    ('env=~"|prod"', "xprod", False),
    ('env=~"(?i)prod|dev"', "PROD", True),
    ('env=~"(?i)prod|dev"', "DEVX", False),
    # !~ : the negation of the same anchored match
    ('env!~"a|b"', "a", False),
    ('env!~"a|b"', "b", False),
    ('env!~"a|b"', "ax", True),
    ('env!~"a|b"', "xb", True),
    ('env!~"a|b"', ABSENT, True),
    ('env!~".+"', ABSENT, True),
    ('env!~".+"', "prod", False),
    ('env!~""', ABSENT, False),
    ('env!~"prod|staging"', "prod-eu", True),
    ('env!~"prod|staging"', "eu-staging", True),
    ('env!~"prod|staging"', "staging", False),
]


def labels_with(value) -> dict:
    return {"alertname": "DiskFull"} | ({} if value is ABSENT else {"env": value})


@pytest.mark.parametrize(("text", "value", "expected"), TABLE)
def test_each_matcher_answers_as_alertmanager_does(text, value, expected):
    (matcher,) = parse_matchers(text)
    assert matcher.matches(labels_with(value)) is expected


@pytest.mark.parametrize(("text", "value", "expected"), TABLE)
def test_the_negated_operator_answers_the_opposite(text, value, expected):
    (matcher,) = parse_matchers(text)
    opposite = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}[matcher.op]
    assert Matcher(matcher.label, opposite, matcher.value).matches(labels_with(value)) is (
        not expected
    )


def test_a_route_matches_when_all_of_its_matchers_do():
    route_labels = [m.as_dict() for m in parse_matchers('env=~"a|b", team!="db", tier!~"x|y"')]

    class Route:
        pk, provider_id, priority, matchers, runbook = 1, None, 0, route_labels, None

    assert route_matches(Route, {"env": "a"})
    assert route_matches(Route, {"env": "b", "team": "web", "tier": "xy"})
    assert not route_matches(Route, {"env": "ax"})
    assert not route_matches(Route, {"env": "a", "team": "db"})
    assert not route_matches(Route, {"env": "a", "tier": "y"})
    assert best_route([Route], {"env": "xb"}) is None


# --- The same rule at /r/ --------------------------------------------------------------------


@pytest.fixture
def routed(alice, make_runbook):
    """One community runbook per operator, each behind a route with one multi-branch matcher."""
    made = {}
    for op in ("=~", "!~"):
        runbook = make_runbook(alice, title=f"Disk full {op}")
        matcher = parse_matchers(f'env{op}"a|b"')[0].as_dict()
        routes.save_route(
            alertname=f"DiskFull{'Match' if op == '=~' else 'Other'}",
            runbook=runbook,
            matchers=[matcher],
            actor=SYSTEM,
        )
        made[op] = runbook
    return made


@pytest.mark.parametrize(
    ("value", "matches"), [("a", True), ("b", True), ("ax", False), ("xb", False), ("ab", False)]
)
def test_r_opens_the_runbook_exactly_when_the_regex_matches(routed, alice, value, matches):
    client = client_for(alice)
    for op, alertname, expected in (
        ("=~", "DiskFullMatch", matches),
        ("!~", "DiskFullOther", not matches),
    ):
        response = client.get(f"/r/{alertname}?{urlencode({'env': value})}")
        if expected:
            assert response.status_code == 302, (op, value)
            assert response["Location"].startswith(routed[op].get_absolute_url())
        else:
            assert response.status_code == 404, (op, value)


@pytest.mark.parametrize(
    "value", ["a|b", r"a\.b", r"C:\\temp", 'say "hi"', r"\"", r"\\", "plain", "ü.*", ""]
)
@pytest.mark.parametrize("op", ["=", "!=", "=~", "!~"])
def test_a_matcher_written_as_text_reads_back_the_same(op, value):
    matcher = Matcher("path", op, value)
    assert parse_matchers(str(matcher)) == [matcher]
    assert parse_matchers("{" + ", ".join([str(matcher)] * 2) + "}") == [matcher, matcher]
