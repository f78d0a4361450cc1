"""Schemathesis fuzzes every API operation from the generated schema (fixed seed, bounded).

`make test` gives each operation a small budget (FUZZ_EXAMPLES, 12 by default; the examples
and fuzzing phases only) so the suite fits the machine; `make fuzz` runs every phase, the
coverage phase's boundary cases included, with 300 (OPENOPS_FUZZ_EXAMPLES).
It signs in as an editor with a read+write token over real seeded data, and fails on any 500,
any undocumented status code or content type, and any response that breaks the schema.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from openops.wsgi import application
from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import Scope
from runbooks.services import documents, tokens

FUZZ_EXAMPLES = int(os.environ.get("OPENOPS_FUZZ_EXAMPLES", "12"))
FUZZ_EVERY_PHASE = os.environ.get("OPENOPS_FUZZ_EVERY_PHASE") == "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db):
    # Requests go through the real WSGI handler, which closes "old" connections when a request
    # ends; inside a test transaction that would close the test's own connection. Django's
    # test client disconnects the same signal handlers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    # The coverage phase's boundary cases take most of a run whatever the budget: `make fuzz`
    # runs every phase, `make test` the schema's examples and the budgeted fuzzing.
    if not FUZZ_EVERY_PHASE:
        schema.config.phases.update(phases=["examples", "fuzzing"])
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def editor_token(alice, bob, provider_a, provider_b, settings):
    """Data worth exploring, and a token that may change some of it (as many times as the
    fuzzer likes: the write rate is tested in test_rate_limits.py)."""
    settings.OPENOPS_API_WRITE_RATE = 10**9
    for title, provider, visibility in [
        ("Ceph OSD down", provider_a, Visibility.PUBLIC),
        ("Private runbook", provider_a, Visibility.PROVIDER),
        ("Other provider", provider_b, Visibility.COMMUNITY),
        ("Community runbook", None, Visibility.PUBLIC),
    ]:
        author = bob if provider == provider_b else alice
        documents.create_document(
            kind=Kind.RUNBOOK,
            title=title,
            body="## Meaning\n\nx\n",
            actor=author,
            provider=provider,
            visibility=visibility,
            tags=["ceph"],
        )
    documents.create_document(
        kind=Kind.POSTMORTEM, title="Outage", body="x", actor=alice, provider=provider_a
    )
    return tokens.issue_token(
        name="fuzz", scopes=[Scope.READ, Scope.WRITE], user=alice, actor=SYSTEM
    )[1]


schema = schemathesis.pytest.from_fixture("api_schema")


@schemathesis.serializer("message/rfc822")
def _whole_mail(ctx, value) -> bytes:
    """The alarm-mail receiver takes a mail as it is: send the generated value's bytes."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema_under_fuzzing(case, editor_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {editor_token}"}, checks=CHECKS)
