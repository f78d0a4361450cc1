"""A provider's events in its chat rooms (issue 16): a JSON webhook and Matrix's client-server
API, both served here by a small local HTTP server that records what it receives."""

import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.core.exceptions import ValidationError

from runbooks import tasks
from runbooks.choices import Kind, Visibility
from runbooks.models import ChatDelivery, ChatTarget
from runbooks.services import chat, comments, documents
from tests.conftest import client_for


@pytest.fixture(autouse=True)
def loopback_rooms(settings):
    settings.OPENOPS_CHAT_ALLOW_PRIVATE = True  # the test's room listens on 127.0.0.1


@pytest.fixture
def room():
    """A local endpoint: records (method, path, headers, JSON body); answers 500 to the first
    `fail_first` requests."""
    received, state = [], {"fail_first": 0}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            received.append((self.command, self.path, dict(self.headers), body))
            failing = state["fail_first"] > 0
            state["fail_first"] -= 1
            self.send_response(500 if failing else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"event_id": "$1"}')

        do_POST = do_PUT = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "received": received, "state": state}
    server.shutdown()


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    def run(write):
        with django_capture_on_commit_callbacks(execute=True):
            return write()

    return run


def test_an_admin_sends_published_post_mortems_to_a_webhook(
    alice, erin, provider_a, room, run_tasks
):
    page = client_for(erin).post(
        f"/providers/{provider_a.slug}/chat/",
        {"kind": "webhook", "name": "ops", "url": room["url"] + "/hook", "events": ["published"]},
    )
    assert page.status_code == 302, page.content.decode()[:400]
    postmortem = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Scheduler outage", body="x", provider=provider_a
    )
    run_tasks(lambda: documents.publish(postmortem, actor=alice, visibility=Visibility.COMMUNITY))
    ((method, path, headers, body),) = room["received"]
    assert (method, path) == ("POST", "/hook")
    assert body["event"] == "published" and body["document"]["title"] == "Scheduler outage"
    assert body["url"] == f"http://127.0.0.1:8000/postmortems/{postmortem.slug}/"
    assert headers["Idempotency-Key"].startswith("openops-")
    assert ChatTarget.objects.get().last_sent_at is not None


def test_matrix_gets_one_message_even_when_retried(alice, bob, erin, provider_a, room, run_tasks):
    chat.add_target(
        provider_a,
        actor=erin,
        kind="matrix",
        name="#ops",
        url=room["url"],
        room_id="!ops:example.org",
        access_token="syt_secret",
        events=["comment"],
    )
    runbook = documents.create_document(
        actor=alice, kind=Kind.RUNBOOK, title="Disk full", body="x", provider=provider_a
    )
    room["state"]["fail_first"] = 1  # the homeserver is away once
    run_tasks(lambda: comments.add_comment(runbook, actor=bob, body="Step 2 <b>failed</b>"))
    delivery = ChatDelivery.objects.get()
    assert len(room["received"]) == 1 and delivery.sent_at is None
    assert ChatTarget.objects.get().last_error.startswith("HTTPError")
    assert tasks.deliver_chat.apply(args=[delivery.pk]).get() is True  # the retry, later
    assert tasks.deliver_chat.apply(args=[delivery.pk]).get() is False  # once is enough
    assert len(room["received"]) == 2
    paths = {path for _, path, _, _ in room["received"]}
    assert len(paths) == 1  # the same transaction id: Matrix keeps one message
    method, path, headers, body = room["received"][-1]
    assert method == "PUT" and path.startswith("/_matrix/client/v3/rooms/%21ops%3Aexample.org/")
    assert headers["Authorization"] == "Bearer syt_secret"
    assert body["msgtype"] == "m.notice" and "Disk full" in body["body"]
    assert "<b>failed</b>" not in body["formatted_body"]  # no comment text, and escaped
    assert ChatDelivery.objects.get().sent_at is not None


def test_nothing_the_providers_members_may_not_read_and_nothing_hidden(
    alice, bob, carol, erin, provider_a, room, run_tasks, make_runbook
):
    chat.add_target(
        provider_a, actor=erin, kind="webhook", name="ops", url=room["url"], events=["comment"]
    )
    community = make_runbook(bob, title="Community runbook")  # no provider: not A's room's
    run_tasks(lambda: comments.add_comment(community, actor=alice, body="hi"))
    ours = make_runbook(alice, title="Ours", provider=provider_a)

    def hidden_at_once():
        comment = comments.add_comment(ours, actor=bob, body="spam")
        comments.hide_comment(comment, actor=carol, reason="spam")

    run_tasks(hidden_at_once)
    assert room["received"] == []


def test_only_the_providers_admins_choose_rooms(alice, bob, erin, provider_a, room):
    url = f"/providers/{provider_a.slug}/chat/"
    assert client_for(alice).get(url).status_code == 403  # an editor
    assert client_for(bob).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302
    assert client_for(erin).get(url).status_code == 200
    bad = client_for(erin).post(
        url, {"kind": "webhook", "name": "x", "url": "javascript:alert(1)", "events": ["comment"]}
    )
    assert bad.status_code == 200 and not ChatTarget.objects.exists()
    matrix = client_for(erin).post(
        url, {"kind": "matrix", "name": "x", "url": room["url"], "events": ["comment"]}
    )
    assert matrix.status_code == 200 and "room id" in matrix.content.decode()
    chat.add_target(
        provider_a, actor=erin, kind="webhook", name="ops", url=room["url"], events=["comment"]
    )
    page = client_for(erin).get(url).content.decode()
    assert "syt_" not in page
    target = ChatTarget.objects.get()
    assert client_for(alice).post(url, {"remove": target.pk}).status_code == 403
    client_for(erin).post(url, {"remove": target.pk})
    assert not ChatTarget.objects.exists()


def test_rooms_on_private_addresses_are_refused_by_default(erin, provider_a, settings):
    settings.OPENOPS_CHAT_ALLOW_PRIVATE = False
    for url in ("http://127.0.0.1:8448", "http://10.0.0.5/hook", "http://169.254.169.254/"):
        with pytest.raises(ValidationError) as refused:
            chat.add_target(
                provider_a, actor=erin, kind="webhook", name="x", url=url, events=["comment"]
            )
        assert "url" in refused.value.error_dict
    assert not ChatTarget.objects.exists()


MATRIX = {
    name: os.environ.get(f"OPENOPS_TEST_MATRIX_{name.upper()}", "")
    for name in ("url", "token", "room")
}


@pytest.mark.skipif(
    not all(MATRIX.values()),
    reason="a real homeserver: set OPENOPS_TEST_MATRIX_URL, _TOKEN and _ROOM",
)
def test_a_real_homeserver_shows_the_event_once(alice, bob, erin, provider_a, run_tasks):
    """Against Synapse (pip install matrix-synapse; see the note of issue 16)."""
    chat.add_target(
        provider_a,
        actor=erin,
        kind="matrix",
        name="#ops",
        url=MATRIX["url"],
        room_id=MATRIX["room"],
        access_token=MATRIX["token"],
        events=["comment"],
    )
    runbook = documents.create_document(
        actor=alice,
        kind=Kind.RUNBOOK,
        title=f"Disk full {uuid.uuid4().hex[:6]}",
        body="x",
        provider=provider_a,
    )
    run_tasks(lambda: comments.add_comment(runbook, actor=bob, body="Step 2 failed"))
    delivery = ChatDelivery.objects.get()
    assert delivery.sent_at is not None
    ChatDelivery.objects.filter(pk=delivery.pk).update(sent_at=None)  # as if the ack was lost
    assert chat.deliver(delivery.pk) is True  # sent again, same transaction id
    room = requests.utils.quote(MATRIX["room"])
    messages = requests.get(
        f"{MATRIX['url']}/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=20",
        headers={"Authorization": f"Bearer {MATRIX['token']}"},
        timeout=10,
    ).json()["chunk"]
    bodies = [m["content"].get("body", "") for m in messages if m["type"] == "m.room.message"]
    assert sum(runbook.title in body for body in bodies) == 1  # one message, not two
