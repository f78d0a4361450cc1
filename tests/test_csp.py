"""A strict Content Security Policy on every response, and pages that live within it
(settings.CONTENT_SECURITY_POLICY): no inline script or style, no event-handler attributes, no
`javascript:` links. Walks every page of the permission harness as those who see the most."""

import json
import logging
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests import access
from tests.conftest import client_for

STRICT = {
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PATTERNS = [
    (name, pattern)
    for name, pattern in access.patterns()
    if name not in access.PERSONAL_OBJECTS and name != "csp-report"
]


def _policy(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return dict(directives)


class _InlineFinder(HTMLParser):
    """What a strict policy would block in a page: inline scripts and styles, handlers."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                self.found.append(f"{name} handler on <{tag}>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"javascript: URL on <{tag}>")


def _inline_in(response) -> list[str]:
    if "text/html" not in response.get("Content-Type", ""):
        return []
    finder = _InlineFinder()
    finder.feed(response.content.decode(errors="replace"))
    return finder.found


@pytest.mark.parametrize("persona", ["alice", "carol", "anonymous"])
def test_every_page_has_a_strict_policy_and_nothing_inline(personas, provider_a, persona):
    secrets = access.make_secrets(provider_a, personas["alice"])
    client = client_for(personas[persona])
    checked = 0
    for name, pattern in PATTERNS:
        for secret in secrets.values():
            url = access.url_for(name, pattern, secret, provider_a)
            if url is None:
                continue
            response = client.get(url)
            policy = _policy(response)
            for directive, value in STRICT.items():
                assert policy.get(directive) == value or (
                    name == "api-docs" and directive == "style-src"
                ), f"{url}: {directive} is {policy.get(directive)!r}"
            assert "unsafe-eval" not in policy["script-src"]
            assert "unsafe-inline" not in policy["script-src"]
            inline = _inline_in(response)
            if name == "api-docs":  # its styles may be inline (see openops/urls.py)
                inline = [found for found in inline if "style" not in found]
            assert not inline, f"{url} as {persona}: {inline}"
            checked += 1
            break  # one secret a pattern is enough for the page's markup
    assert checked > 100  # the walk could fail: it reached the whole harness


def test_only_the_api_docs_relax_style_src_and_keep_scripts_strict(client, db):
    docs = _policy(client.get(reverse("api-docs")))
    assert docs["style-src"] == "'self' 'unsafe-inline'"
    assert docs["script-src"] == "'self'"
    assert _policy(client.get("/"))["style-src"] == "'self'"


def test_errors_and_api_answers_carry_the_policy_too(client, db):
    assert _policy(client.get("/runbooks/no-such-runbook/"))["frame-ancestors"] == "'none'"
    assert _policy(client.get("/api/v1/runbooks/"))["object-src"] == "'none'"


# --- Violation reports ------------------------------------------------------------------------

REPORT = {
    "csp-report": {
        "document-uri": "https://openops.example/runbooks/ceph-osd-down/",
        "violated-directive": "style-src-attr",
        "blocked-uri": "inline",
        "line-number": 12,
        "script-sample": "x" * 5000,
    }
}


def _report(client, body, content_type="application/csp-report"):
    return client.post(reverse("csp-report"), body, content_type=content_type)


def test_a_violation_report_is_logged_in_brief(client, db, caplog):
    with caplog.at_level(logging.WARNING, logger="openops.csp"):
        response = _report(client, json.dumps(REPORT))
    assert response.status_code == 204
    (record,) = [r for r in caplog.records if r.name == "openops.csp"]
    assert "style-src-attr" in record.getMessage()
    assert "ceph-osd-down" in record.getMessage()
    assert "xxxxx" not in record.getMessage()  # only the known fields, bounded


def test_reporting_api_lists_are_read_too(client, db, caplog):
    body = [{"type": "csp-violation", "body": {"effectiveDirective": "script-src-elem"}}]
    with caplog.at_level(logging.WARNING, logger="openops.csp"):
        assert _report(client, json.dumps(body), "application/reports+json").status_code == 204
    assert "script-src-elem" in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"csp-report": "\\ud800"}',
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps({"csp-report": {"blocked-uri": "\ud800" * 10}}).encode(),
        b"1e999999",
        b"[1, 2, 3]",
    ],
    ids=["not-json", "not-an-object", "deep", "surrogates", "huge-number", "list-of-numbers"],
)
def test_a_hostile_report_is_answered_204_and_logs_nothing_broken(client, db, body):
    assert _report(client, body).status_code in {204, 413}


def test_a_huge_report_is_refused(client, db):
    assert _report(client, b"{" + b" " * 20_000 + b"}").status_code == 413


def test_reports_are_rate_limited_per_address(client, db, settings):
    settings.OPENOPS_CSP_REPORT_RATE = 3
    answers = [_report(client, json.dumps(REPORT)).status_code for _ in range(5)]
    assert answers == [204, 204, 204, 429, 429]
    assert int(_report(client, "{}")["Retry-After"]) > 0


def test_only_post_is_accepted(client, db):
    assert client.get(reverse("csp-report")).status_code == 405
