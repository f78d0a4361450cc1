"""Issue 29, finding 6 (LOW): token failures that locked out valid tokens, chat deliveries that
followed redirects, look-alike tag labels, fixed-window rate limits, tokens for non-members, and
YAML scalars that PyYAML cannot build."""

import contextlib
import io
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from runbooks import ratelimit
from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import ChatDelivery, ChatTarget, Document, Scope, Tag, Token
from runbooks.services import chat, documents, tokens
from tests.conftest import client_for

ALERTMANAGER_BODY = json.dumps(
    {
        "version": "4",
        "status": "firing",
        "alerts": [
            {"status": "firing", "labels": {"alertname": "X"}, "startsAt": "2026-11-30T03:00:00Z"}
        ],
    }
)
# A minute's start, far from any real clock: the tests below hold time still around it.
MINUTE = 1_900_000_020.0
assert MINUTE % 60 == 0


def _secret(user, *scopes, provider=None) -> str:
    return tokens.issue_token(actor=SYSTEM, name="t", scopes=scopes, user=user, provider=provider)[
        1
    ]


def _bearer(secret: str, address: str = "203.0.113.7") -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "REMOTE_ADDR": address}


# --- (a) others' failed guesses never lock a valid token out --------------------------------


@pytest.fixture
def failure_rate(settings):
    settings.OPENOPS_TOKEN_FAILURE_RATE = 3


@pytest.fixture
def still_clock():
    with time_machine.travel(MINUTE + 10, tick=False) as traveller:
        yield traveller


def test_guesses_from_a_shared_address_do_not_stop_the_alert_receiver(
    db, alice, provider_a, failure_rate, still_clock
):
    reader = _secret(alice, Scope.READ)
    receiver = _secret(None, Scope.ALERTS_WRITE, provider=provider_a)
    client = Client()
    guesses = [client.get("/api/v1/runbooks/", **_bearer(f"oo_guess{n}")) for n in range(10)]
    assert [g.status_code for g in guesses] == [401] * 3 + [429] * 7
    assert "failed token" in guesses[-1].json()["detail"]
    assert 0 < int(guesses[-1]["Retry-After"]) <= 120
    # Behind the same address, the alert receiver and a reader go on as if nothing happened.
    webhook = client.post(
        "/api/v1/alerts/alertmanager/",
        ALERTMANAGER_BODY,
        content_type="application/json",
        **_bearer(receiver),
    )
    assert webhook.status_code == 202
    assert client.get("/api/v1/runbooks/", **_bearer(reader)).status_code == 200
    # ... while guessing stays refused, and valid tokens did not use up anyone's budget.
    assert client.get("/api/v1/runbooks/", **_bearer("oo_again")).status_code == 429


def test_a_routing_key_that_is_right_passes_a_locked_address(
    db, provider_a, failure_rate, still_clock
):
    key = _secret(None, Scope.ALERTS_WRITE, provider=provider_a)
    client = Client(REMOTE_ADDR="203.0.113.8")

    def event(routing_key):
        payload = {"summary": "x", "source": "node-1", "severity": "critical"}
        body = {"routing_key": routing_key, "event_action": "trigger", "payload": payload}
        return client.post("/api/v1/alerts/events/", body, content_type="application/json")

    assert [event(f"guess{n}").status_code for n in range(4)] == [401, 401, 401, 429]
    assert event(key).status_code == 202


# --- (d) a limit of N a minute is N in any sixty seconds -------------------------------------


@pytest.fixture(params=["database", "redis"])
def store(request, settings):
    """Both stores every worker shares: database rows, or Redis (a prefix of this test's own)."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/0",
                "KEY_PREFIX": f"test-low-{uuid.uuid4().hex}",
            }
        }
        assert ratelimit.uses_shared_cache()
    return request.param


def _hits(key: str, n: int, limit: int) -> list[bool]:
    return [ratelimit.hit(key, limit)[0] for _ in range(n)]


def test_the_turn_of_a_minute_does_not_double_the_limit(db, store):
    key = f"turn:{uuid.uuid4().hex}"
    with time_machine.travel(MINUTE - 1, tick=False):  # second 59
        assert _hits(key, 10, 10) == [True] * 10
    with time_machine.travel(MINUTE, tick=False):  # second 0 of the next minute
        assert _hits(key, 10, 10) == [False] * 10
    with time_machine.travel(MINUTE + 30, tick=False):  # half of the last minute's weight left
        assert _hits(key, 10, 10) == [True] * 5 + [False] * 5
    with time_machine.travel(MINUTE + 120, tick=False):  # a quiet minute later: all again
        assert _hits(key, 10, 10) == [True] * 10


def test_refused_requests_are_not_counted(db, store):
    """A client that keeps asking over the limit still gets the limit, not less."""
    key = f"steady:{uuid.uuid4().hex}"
    with time_machine.travel(MINUTE + 1, tick=False):
        assert _hits(key, 30, 10).count(True) == 10
    with time_machine.travel(MINUTE + 61, tick=False):  # 1/60 of the last minute is gone
        assert _hits(key, 30, 10).count(True) == 0
    with time_machine.travel(MINUTE + 90, tick=False):
        assert _hits(key, 30, 10).count(True) == 5  # 10 * (1 - 30/60) + n <= 10
        # One more fits once the last minute's weight is 4 of 10: 6 seconds on.
        assert ratelimit.hit(key, 10) == (False, 6)
    with time_machine.travel(MINUTE + 96, tick=False):
        assert _hits(key, 2, 10) == [True, False]


def test_api_writes_at_a_minute_boundary_stay_within_the_rate(db, alice, settings):
    settings.OPENOPS_API_WRITE_RATE = 3
    secret, client = _secret(alice, Scope.READ, Scope.WRITE), Client()

    def create(n):
        body = {"title": f"Boundary {n}", "body": "x", "visibility": "public"}
        return client.post(
            "/api/v1/runbooks/", body, content_type="application/json", **_bearer(secret)
        )

    with time_machine.travel(MINUTE - 1, tick=False):
        assert [create(n).status_code for n in range(3)] == [201] * 3
    with time_machine.travel(MINUTE, tick=False):
        refused = create(9)
        assert [refused.status_code] + [create(n).status_code for n in range(2)] == [429] * 3
        # Once a third of this minute has passed, a third of the last minute's three is gone.
        assert int(refused["Retry-After"]) in (20, 21)
    with time_machine.travel(MINUTE + 21, tick=False):
        assert [create(n).status_code for n in range(10, 12)] == [201, 429]
    assert Document.objects.filter(title__startswith="Boundary").count() == 4


def test_webhook_bodies_at_a_minute_boundary_stay_within_the_rate(db, provider_a, settings):
    settings.OPENOPS_WEBHOOK_RATE = 2
    secret, client = _secret(None, Scope.ALERTS_WRITE, provider=provider_a), Client()

    def send():
        return client.post(
            "/api/v1/alerts/alertmanager/",
            ALERTMANAGER_BODY,
            content_type="application/json",
            **_bearer(secret),
        ).status_code

    with time_machine.travel(MINUTE - 1, tick=False):
        assert [send(), send()] == [202, 202]
    with time_machine.travel(MINUTE, tick=False):
        assert [send(), send()] == [503, 503]


# --- (b) chat deliveries go to the address entered, nowhere else ---------------------------


def _serve(status: int, headers: dict, received: list):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length", 0))
            received.append((self.command, self.path, self.rfile.read(length)))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def inside_and_redirect():
    """An endpoint "inside the network", and a room that answers 307 pointing at it."""
    inside_received, room_received = [], []
    inside, inside_url = _serve(200, {}, inside_received)
    room, room_url = _serve(307, {"Location": inside_url + "/metadata"}, room_received)
    yield {"room": room_url, "room_got": room_received, "inside_got": inside_received}
    room.shutdown()
    inside.shutdown()


def test_a_chat_delivery_does_not_follow_a_redirect(
    alice, erin, provider_a, settings, django_capture_on_commit_callbacks, inside_and_redirect
):
    settings.OPENOPS_CHAT_ALLOW_PRIVATE = True  # both test servers listen on 127.0.0.1
    chat.add_target(
        provider_a,
        actor=erin,
        kind="webhook",
        name="ops",
        url=inside_and_redirect["room"] + "/hook",
        events=["published"],
    )
    postmortem = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Outage", body="x", provider=provider_a
    )
    with django_capture_on_commit_callbacks(execute=True):
        documents.publish(postmortem, actor=alice, visibility=Visibility.COMMUNITY)
    assert len(inside_and_redirect["room_got"]) == 1
    assert inside_and_redirect["inside_got"] == []  # never reached
    delivery, target = ChatDelivery.objects.get(), ChatTarget.objects.get()
    assert delivery.sent_at is None
    assert "307 redirect" in target.last_error and "not followed" in target.last_error
    assert "/metadata" in target.last_error  # the admin sees where it pointed
    # Given up after its attempts like any other failure, never sent elsewhere.
    for _ in range(chat.MAX_ATTEMPTS):  # the task's retries, one after another
        with contextlib.suppress(requests.RequestException):
            chat.deliver(delivery.pk)
    assert ChatDelivery.objects.get().failed_at is not None
    assert inside_and_redirect["inside_got"] == []


def test_a_public_only_request_refuses_a_private_peer_on_the_connection_itself():
    """The name was checked before; what it resolves to when connecting is checked again, on
    the socket, before a byte is sent (DNS rebinding gains nothing)."""
    from runbooks import outgoing

    received = []
    server, url = _serve(200, {}, received)
    try:
        with pytest.raises(outgoing.PrivateAddress, match="127.0.0.1 is not a public address"):
            outgoing.send("POST", url + "/hook", json={"a": 1}, timeout=5, public_only=True)
        assert received == []
        assert outgoing.send("POST", url, json={}, timeout=5, public_only=False).status_code == 200
    finally:
        server.shutdown()


# --- (c) tag labels that pass for another tag ------------------------------------------------


def _api_create(user, tags):
    body = {"title": f"Tagged {uuid.uuid4().hex[:6]}", "body": "x", "tags": tags}
    return client_for(user).post("/api/v1/runbooks/", body, content_type="application/json")


@pytest.mark.parametrize(
    "label, what",
    [
        ("c\u0435ph", "CYRILLIC SMALL LETTER IE"),  # "cеph"
        ("ceph\u200b", "ZERO WIDTH SPACE"),
        ("ceph\u2010osd", "HYPHEN"),  # looks like "ceph-osd", slug "cephosd"
        ("\u0441eph", "CYRILLIC SMALL LETTER ES"),
        ("k\u0131be", "LATIN SMALL LETTER DOTLESS I"),
        ("ceph\u0301", "COMBINING ACUTE ACCENT"),
    ],
)
def test_look_alike_tag_labels_are_refused_by_api_and_page(alice, label, what):
    answer = _api_create(alice, [label])
    assert answer.status_code == 400 and what in json.dumps(answer.json())
    page = client_for(alice).post(
        "/runbooks/new/", {"title": "Look-alike", "body": "x", "tags": label}
    )
    assert page.status_code in (200, 400) and what in page.content.decode()
    assert not Document.objects.filter(title="Look-alike").exists()
    assert not Tag.objects.exists()


def test_styled_letters_are_normalised_and_an_existing_label_is_never_changed(alice, bob):
    assert _api_create(alice, ["ceph"]).status_code == 201
    for styled in ["\uff23\uff25\uff30\uff28", "Ceph", "\u2102eph", "c\u00e9ph"]:  # ＣＥＰＨ, ℂeph
        assert _api_create(bob, [styled]).status_code == 201
    assert list(Tag.objects.values_list("slug", "label")) == [("ceph", "ceph")]
    created = _api_create(bob, ["\uff2b\uff55\uff42\uff45"])  # full-width "Kube"
    assert created.status_code == 201 and Tag.objects.get(slug="kube").label == "Kube"


def test_accented_latin_labels_still_work(alice):
    assert _api_create(alice, ["Caf\u00e9 na\u00efve"]).status_code == 201
    assert Tag.objects.get().label == "Caf\u00e9 na\u00efve"


# --- (e) a token for a non-member --------------------------------------------------------------


def test_issue_token_refuses_a_user_who_is_not_a_member(alice, provider_b):
    with pytest.raises(CommandError, match="alice is not a member of Provider B") as raised:
        call_command(
            "issue_token",
            provider="provider-b",
            name="ci",
            scopes=["read"],
            user="alice",
            stdout=io.StringIO(),
        )
    assert raised.value.returncode == 1
    with pytest.raises(ValidationError, match="not a member"):
        tokens.issue_token(
            actor=SYSTEM, name="x", scopes=[Scope.READ], user=alice, provider=provider_b
        )
    assert not Token.objects.exists()
    # A member still gets one.
    out = io.StringIO()
    call_command(
        "issue_token", provider="provider-a", name="ci", scopes=["read"], user="alice", stdout=out
    )
    assert out.getvalue().splitlines()[-1].startswith("oo_")


# --- (f) YAML scalars PyYAML cannot build ------------------------------------------------------

HUGE = "1" * 4301


def _rules(value: str) -> str:
    return (
        "groups:\n- name: g\n  rules:\n  - alert: Odd\n    expr: up == 0\n"
        f"    annotations:\n      since: {value}\n      summary: x\n"
    )


@pytest.mark.parametrize(
    "value",
    [HUGE, "2026-13-01", "2026-02-30", "0x" + "f" * 4000],
    ids=["4301-digits", "month-13", "february-30", "4000-hex-digits"],
)
def test_numbers_and_dates_pyyaml_cannot_build_are_read_as_text(alice, tmp_path, value):
    text = _rules(value)
    page = client_for(alice).post("/coverage/", {"text": text})
    assert page.status_code == 200 and "Odd" in page.content.decode()
    api = client_for(alice).post("/api/v1/coverage/", text, content_type="application/yaml")
    assert api.status_code == 200 and api.json()["total"] == 1
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    out = io.StringIO()
    call_command("rule_coverage", str(path), format="json", stdout=out)
    assert json.loads(out.getvalue())["total"] == 1


def test_a_scalar_that_cannot_be_built_is_a_clear_error_naming_its_line(alice, tmp_path):
    text = _rules("!!bool maybe")
    page = client_for(alice).post("/coverage/", {"text": text})
    assert page.status_code == 400 and "line 7" in page.content.decode()
    api = client_for(alice).post("/api/v1/coverage/", text, content_type="application/yaml")
    assert api.status_code == 400 and "line 7" in json.dumps(api.json())
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(CommandError, match="line 7") as raised:
        call_command("rule_coverage", str(path), stdout=io.StringIO())
    assert raised.value.returncode == 1


def test_label_values_keep_the_text_prometheus_reads(alice):
    text = (
        "groups:\n- name: g\n  rules:\n  - alert: Odd\n    expr: up\n"
        "    labels: {code: 0x1F, at: 2026-01-01, ratio: 1:30}\n"
    )
    api = client_for(alice).post("/api/v1/coverage/", text, content_type="application/yaml")
    assert api.status_code == 200
    (alert,) = api.json()["alerts"]
    assert alert["labels"] == {"code": "0x1F", "at": "2026-01-01", "ratio": "1:30"}


def test_import_runbooks_reads_front_matter_with_such_values(db, tmp_path):
    folder = tmp_path / "ceph"
    folder.mkdir()
    (folder / "CephDown.md").write_text(
        f"---\ntitle: 2026-02-30\nreviewed: 2026-13-01\nnumber: {HUGE}\n---\n\n## Check\n\nx\n"
    )
    call_command("import_runbooks", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Document.objects.get().title == "2026-02-30"
