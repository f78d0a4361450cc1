"""Issue 29, findings 2 and 4: the alarm mail receivers and the diff pages do bounded work.

A MIME bomb (50,000 parts, deep nesting, a flood of header fields or lines, a Content-Type of
thousands of parameters) is refused at once with a 400 that names the limit, a bounce (65)
from the MTA pipe, and nothing stored; the worker parses a stored body before it opens the
transaction that writes (on SQLite that transaction holds the one write lock). The diff of two
large revisions is not rendered on the page but offered as a download, and difflib's matcher
stops at a work cap on texts that would make it quadratic.
"""

import base64
import codecs
import random
import re
import time
from email.message import EmailMessage

import pytest
from django.db import connection

from runbooks import diffing
from runbooks.choices import Visibility
from runbooks.models import Alert, InboxEntry, Notification
from runbooks.services import documents, events
from tests.conftest import client_for
from tests.test_alarm_sources import (  # noqa: F401 (fixtures)
    BOOT,
    CLOUD,
    RUN,
    alerts_token,
    hm_mail,
    pipe_mail,
    post_mail,
)

SUBJECT = f"Subject: {CLOUD}/{RUN}: ALARM 1 {BOOT}\n".encode()


def _many_parts(count: int) -> bytes:
    """The reported bomb: one multipart of `count` tiny parts (50,000 make 1.6 MB)."""
    parts = b"".join(b"--B\nContent-Type: text/plain\n\nx\n" for _ in range(count))
    return SUBJECT + b'Content-Type: multipart/mixed; boundary="B"\n\n' + parts + b"--B--\n"


def _nested(depth: int) -> bytes:
    head = b""
    for level in range(depth):
        head += f'Content-Type: multipart/mixed; boundary="b{level}"\n\n--b{level}\n'.encode()
    return SUBJECT + head + b"Content-Type: text/plain\n\nALARM 1\n"


def _base64_text(text: bytes) -> bytes:
    return (
        SUBJECT
        + b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(text)
    )


BOMBS = {
    "5,000 parts": (_many_parts(5_000), "more than 20 MIME parts"),
    "50,000 parts (the reported 1.6 MB)": (_many_parts(50_000), "more than 100000 lines"),
    "nesting 2,000 deep": (_nested(2000), "deeper than 5 levels"),
    "50,000 header fields": (SUBJECT + b"X-H: v\n" * 50_000 + b"\nx\n", "300 header fields"),
    "a Content-Type of 5,000 parameters": (
        SUBJECT
        + b"Content-Type: text/plain; "
        + b"; ".join(b"a%d=b" % n for n in range(5000))
        + b"\n\nALARM 1\n",
        "Content-Type header is longer than 500",
    ),
    "a Subject of 300,000 words": (
        b"Subject: " + f"{CLOUD}/{RUN}: ALARM 1 ".encode() + b"ab " * 300_000 + b"\n\nx\n",
        "Subject is longer than 8192",
    ),
    "a million empty lines": (SUBJECT + b"\n" * 1_000_000, "more than 100000 lines"),
    "a million form feeds, base64-encoded": (
        _base64_text(b"x\x0c" * 1_000_000),
        "text has more than 100000 lines",
    ),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_mime_bomb_is_refused_naming_its_limit_and_nothing_is_stored(post_mail, name):  # noqa: F811
    mail, limit = BOMBS[name]
    started = time.monotonic()
    response = post_mail(mail)
    assert time.monotonic() - started < 20  # a hang guard only: the refusal comes at once
    assert response.status_code == 400, response.content[:300]
    assert limit in response.json()["detail"]
    assert not InboxEntry.objects.exists() and not Alert.objects.exists()


@pytest.mark.parametrize("name", ["5,000 parts", "nesting 2,000 deep", "50,000 header fields"])
def test_the_mta_pipe_bounces_a_mime_bomb(pipe_mail, name):  # noqa: F811
    assert pipe_mail(BOMBS[name][0]) == 65
    assert not InboxEntry.objects.exists()


def test_a_relayed_alarm_with_attachments_and_many_hops_still_becomes_an_alert(post_mail):  # noqa: F811
    """The limits leave room for what a relay makes of a real alarm: an HTML twin, the
    original forwarded as an attachment, a log file, dozens of Received lines."""
    inner = EmailMessage()
    inner["Subject"] = "the original"
    inner.set_content("ALARM 1\n")
    mail = EmailMessage()
    for hop in range(60):
        mail["Received"] = f"from relay{hop}.example.net by relay{hop + 1}.example.net"
    mail["Subject"] = f"{CLOUD}/{RUN}: ALARM 1 {BOOT}"
    mail.set_content(f"ALARM 1 on {CLOUD}\n\n{RUN} on jumphost:\n{BOOT}\nNo valid host\n")
    mail.add_alternative("<p>ALARM 1</p>", subtype="html")
    mail.add_attachment(inner)
    mail.add_attachment(b"log\n" * 20_000, maintype="text", subtype="plain", filename="run.log")
    response = post_mail(bytes(mail))
    assert response.status_code == 202, response.content[:300]
    alert = Alert.objects.get()
    assert alert.alertname == "HealthMonitor: nova boot"
    assert alert.annotations["output"] == "No valid host"


PROBE_CHARSET = "x-openops-parse-probe"


@pytest.fixture
def parse_probe():
    """Where each parse of a mail naming PROBE_CHARSET happens: the email package looks the
    charset up in Python's codec registry while it decodes the body, so a codec search function
    (Python's own hook, registered for this test only) sees every parse and records whether
    the database connection is inside a transaction at that moment."""
    seen = []

    def search(name):
        if name.replace("_", "-") == PROBE_CHARSET:
            seen.append(connection.in_atomic_block)
        return None  # unknown: the receiver reads the text as UTF-8

    codecs.register(search)
    yield seen
    codecs.unregister(search)


@pytest.mark.django_db(transaction=True)
def test_the_worker_parses_a_stored_mail_before_its_write_transaction(post_mail, parse_probe):  # noqa: F811
    """transaction=True: no test transaction around it, so `in_atomic_block` is exactly the
    code's own transactions (on SQLite, IMMEDIATE: the write lock from the first statement)."""
    mail = hm_mail("ALARM 1", BOOT).replace(
        b"Date:", f'Content-Type: text/plain; charset="{PROBE_CHARSET}"\nDate:'.encode()
    )
    assert post_mail(mail).status_code == 202
    entry = InboxEntry.objects.get()
    assert entry.processed_at is not None, entry.error
    assert Alert.objects.get().alertname == "HealthMonitor: nova boot"
    assert len(parse_probe) == 2  # the web worker's check, then the worker's processing
    assert parse_probe == [False, False]


# --- Finding 4: diffs -------------------------------------------------------------------


@pytest.fixture
def huge_change(alice, provider_a, make_runbook):
    """The reported pair: "a\\n" * 120000, then "b\\n" * 120000 (public runbook)."""
    runbook = make_runbook(alice, title="Big", body="a\n" * 120_000, provider=provider_a)
    documents.add_revision(runbook, title="Big", body="b\n" * 120_000, actor=alice, base_revision=1)
    return runbook


def test_the_diff_page_of_two_huge_revisions_offers_a_download_instead(huge_change):
    response = client_for(None).get(f"/runbooks/{huge_change.slug}/diff/?from=1&to=2")
    page = response.content.decode()
    assert response.status_code == 200
    assert "The diff is too large to show here (120000 lines added, 120000 removed)" in page
    assert len(response.content) < 50_000  # was 7 MB
    link = f"/runbooks/{huge_change.slug}/diff/download/?from=1&amp;to=2"
    assert f'href="{link}"' in page
    download = client_for(None).get(link.replace("&amp;", "&"))
    assert download.status_code == 200
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert 'filename="big-1-2.diff"' in download["Content-Disposition"]
    api = client_for(None).get(f"/api/v1/runbooks/{huge_change.slug}/diff/?from=1&to=2").json()
    assert download.content.decode() == api["unified"] + "\n"  # the API's text, as a file


def test_a_small_diff_is_still_shown_whole(alice, provider_a, make_runbook):
    runbook = make_runbook(alice, title="Small", body="one\ntwo\n", provider=provider_a)
    documents.add_revision(runbook, title="Small", body="one\n2\n", actor=alice, base_revision=1)
    page = client_for(None).get(f"/runbooks/{runbook.slug}/diff/").content.decode()
    assert '<span class="d-del">-two</span><span class="d-add">+2</span>' in page
    assert "too large" not in page


def test_the_diff_download_is_seen_exactly_by_who_sees_the_document(
    alice, bob, dave, provider_a, make_runbook
):
    runbook = make_runbook(
        alice, title="Private", body="x\n", provider=provider_a, visibility=Visibility.PROVIDER
    )
    documents.add_revision(runbook, title="Private", body="SECRET\n", actor=alice, base_revision=1)
    url = f"/runbooks/{runbook.slug}/diff/download/?from=1&to=2"
    for outsider in (None, bob):
        response = client_for(outsider).get(url)
        assert response.status_code == 404 and b"SECRET" not in response.content
    assert b"+SECRET" in client_for(dave).get(url).content
    assert client_for(dave).get(url.replace("from=1", "from=3")).status_code == 400


def test_the_conflict_page_does_not_render_a_huge_difference(alice, huge_change):
    data = {
        "title": "Big",
        "body": "c\n" * 120_000,
        "tags": "",
        "component": "ceph",
        "review_interval_days": 180,
        "base_revision": 1,
        "message": "",
    }
    response = client_for(alice).post(f"/runbooks/{huge_change.slug}/edit/", data)
    page = response.content.decode()
    assert response.status_code == 409
    assert page.count("The diff is too large to show here") == 2
    assert f"/runbooks/{huge_change.slug}/diff/download/?from=1&amp;to=2" in page
    assert 'class="d-add"' not in page
    assert "c\nc\nc\n" in page.replace("\r\n", "\n")  # the user's text is kept in the form


def _cycling(count: int, step: int) -> str:
    """Lines cycling through 101 values: each occurs too rarely for difflib's junk heuristic,
    so its matcher looks at every occurrence of every line, again and again."""
    return "".join(f"{(n * step) % 101}\n" for n in range(count))


def test_a_diff_that_would_make_difflib_quadratic_stops_at_the_work_cap(alice, make_runbook):
    """5,000 such lines took difflib 5 s (10,000 took 44 s, from the API too); past the cap
    the middle is one change: no line of it is matched, and the diff still applies."""
    old, new = "head\n" + _cycling(5000, 1) + "tail\n", "head\n" + _cycling(5000, 7) + "tail\n"
    runbook = make_runbook(alice, title="Cycles", body=old)
    documents.add_revision(runbook, title="Cycles", body=new, actor=alice, base_revision=1)
    started = time.monotonic()
    text = client_for(None).get(f"/api/v1/runbooks/{runbook.slug}/diff/").json()["unified"]
    assert time.monotonic() - started < 20  # a hang guard only
    kinds = "".join(line[0] for line in text.splitlines()[3:])
    assert text.count("\n@@") == 1 and re.fullmatch(r" {0,3}-+\++ {0,3}", kinds), kinds[:200]
    assert _apply(old, text) == new.splitlines()


def _apply(old: str, diff: str) -> list[str]:
    """Apply a unified diff (as `patch` would), to check that a diff is correct."""
    source, result, at = old.splitlines(), [], 0
    for line in diff.splitlines()[2:]:
        if line.startswith("@@"):
            start = int(line.split()[1][1:].split(",")[0])
            length = line.split()[1].split(",")
            start = start - 1 if len(length) == 1 or length[1] != "0" else start
            result += source[at:start]
            at = start
        elif line.startswith((" ", "-")):
            assert source[at] == line[1:]
            at += 1
            if line.startswith(" "):
                result.append(line[1:])
        else:
            result.append(line[1:])
    return result + source[at:]


@pytest.mark.parametrize("seed", range(40))
def test_every_bounded_diff_applies(seed):
    rng = random.Random(seed)
    old = [rng.choice("abcde") for _ in range(rng.randrange(0, 40))]
    new = list(old)
    for _ in range(rng.randrange(0, 6)):
        at = rng.randrange(len(new) + 1)
        if rng.random() < 0.4 or not new:
            new.insert(at, rng.choice("abcdefxyz"))
        elif rng.random() < 0.5:
            del new[min(at, len(new) - 1)]
        else:
            new[min(at, len(new) - 1)] = rng.choice("xyz")
    for context in (0, 3):
        diff = diffing.unified("\n".join(old), "\n".join(new), "a", "b", context)
        assert _apply("\n".join(old), diff) == new


def test_the_notification_of_such_an_edit_uses_the_bounded_diff(
    alice, bob, make_runbook, django_capture_on_commit_callbacks
):
    """The watchers' excerpt ("-old / +new, … N more") came from difflib too: the worker's
    fan-out of this edit took 20 s. Past the cap, every line between the common beginning and
    end counts as changed (4,999 out, 4,999 in)."""
    runbook = make_runbook(alice, title="Cycles", body=_cycling(5000, 1))
    events.watch(bob, document=runbook)
    with django_capture_on_commit_callbacks(execute=True):
        documents.edit_document(runbook, actor=alice, base_revision=1, body=_cycling(5000, 7))
    excerpt = Notification.objects.get(recipient=bob).excerpt
    assert excerpt.startswith("-1\n-2\n") and excerpt.endswith("… 9986 more changed lines")
