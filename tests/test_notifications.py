"""Subscriptions and notifications (issue 16): who is told what about each event and who must
not be; mails once, at once or in a daily digest; unsubscribe in one click; the periodic work
registered with beat."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from runbooks import tasks
from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import Event, MailPreference, Notification, Subscription
from runbooks.services import comments, documents, events, postmortems
from runbooks.services import notifications as notify
from tests.conftest import client_for


@pytest.fixture(autouse=True)
def addresses(alice, bob, dave, erin, carol):
    for user in (alice, bob, dave, erin, carol):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run what commits schedule (the fan-out, then the mails), as a worker would."""

    def run(write):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            result = write()
        return result, callbacks

    return run


def told(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("event__kind", flat=True))


def test_authors_and_commenters_watch_automatically(alice, bob, make_runbook):
    runbook = make_runbook(alice, title="Ceph OSD down")
    assert Subscription.objects.filter(user=alice, document=runbook).exists()
    comments.add_comment(runbook, actor=bob, body="Step 3?")
    assert Subscription.objects.filter(user=bob, document=runbook).exists()


def test_a_comment_tells_watchers_the_replied_and_the_mentioned_once_each(
    alice, bob, dave, carol, make_runbook, run_tasks
):
    runbook = make_runbook(alice, title="Ceph OSD down")  # alice watches it
    events.watch(carol, document=runbook)
    top, _ = run_tasks(lambda: comments.add_comment(runbook, actor=bob, body="Is step 3 right?"))
    assert told(alice) == ["comment"] and told(carol) == ["comment"] and told(bob) == []
    mail.outbox.clear()
    run_tasks(
        lambda: comments.add_comment(runbook, actor=alice, body="Yes, @dave checked", parent=top)
    )
    reasons = dict(
        Notification.objects.filter(event__kind="comment")
        .values_list("recipient__username", "reason")
        .order_by("pk")[2:]
    )
    assert reasons == {"bob": "replied", "dave": "mentioned", "carol": "watching"}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "bob@example.org",
        "carol@example.org",
        "dave@example.org",
    ]
    to_bob = next(m for m in mail.outbox if m.to == ["bob@example.org"])
    assert to_bob.subject == "alice replied to you on “Ceph OSD down”"
    assert "Yes, @dave checked" in to_bob.body and "http://127.0.0.1:8000/runbooks/" in to_bob.body
    html = to_bob.alternatives[0][0]
    assert "Yes, @dave checked" in html and 'href="http://127.0.0.1:8000/runbooks/' in html
    assert to_bob.extra_headers["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:8000/notifications/unsubscribe/"
    )


def test_nothing_about_a_private_draft_reaches_another_providers_subscriber(
    alice, bob, dave, provider_a, run_tasks
):
    events.watch(bob, provider=provider_a)  # bob watches provider A…
    events.watch(dave, provider=provider_a)
    draft, _ = run_tasks(
        lambda: documents.create_document(
            actor=alice, kind=Kind.POSTMORTEM, title="Secret outage", body="x", provider=provider_a
        )
    )
    run_tasks(lambda: comments.add_comment(draft, actor=dave, body="Looks right"))
    assert told(bob) == []  # …but may not see A's drafts
    assert "comment" in told(alice)
    assert all("Secret outage" not in m.subject for m in mail.outbox if m.to == ["bob@example.org"])
    documents.publish(draft, actor=alice, visibility=Visibility.COMMUNITY)
    run_tasks(lambda: events.record(Event.Kind.PUBLISHED, draft, actor=alice))
    assert "published" in told(bob)


def test_a_hidden_comment_tells_nobody(
    alice, bob, carol, make_runbook, django_capture_on_commit_callbacks
):
    runbook = make_runbook(alice, title="Ceph OSD down")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        comment = comments.add_comment(runbook, actor=bob, body="spam spam")
        comments.hide_comment(comment, actor=carol, reason="spam")
    for callback in callbacks:  # the fan-out runs after the moderator was quicker
        callback()
    assert told(alice) == [] and not mail.outbox


def test_a_new_revision_is_told_with_a_short_diff(alice, bob, make_runbook, run_tasks):
    runbook = make_runbook(alice, title="Ceph OSD down", body="## Check\n\nold step\n")
    events.watch(bob, document=runbook)
    run_tasks(
        lambda: documents.edit_document(
            runbook, actor=alice, base_revision=1, body="## Check\n\nnew step\n"
        )
    )
    notification = Notification.objects.get(recipient=bob)
    assert notification.excerpt == "-old step\n+new step"
    assert "diff/?from=1&to=2" in mail.outbox[0].body


def test_running_a_task_twice_mails_once(alice, bob, make_runbook, run_tasks):
    runbook = make_runbook(alice, title="Ceph OSD down")
    _, callbacks = run_tasks(lambda: comments.add_comment(runbook, actor=bob, body="hello"))
    event = Event.objects.get(kind="comment")
    assert tasks.fan_out_event(event.pk) == 0  # already fanned out
    notification = Notification.objects.get(recipient=alice)
    assert tasks.mail_notification(notification.pk) is False
    assert len(mail.outbox) == 1


def test_a_daily_digest_batches_and_is_sent_once(alice, bob, make_runbook, run_tasks):
    notify.set_mode(alice, MailPreference.Mode.DAILY)
    runbook = make_runbook(alice, title="Ceph OSD down")
    for n in range(3):
        run_tasks(lambda n=n: comments.add_comment(runbook, actor=bob, body=f"note {n}"))
    assert not mail.outbox  # nothing at once
    assert notify.send_digests() == 1 and notify.send_digests() == 0
    (digest,) = mail.outbox
    assert digest.subject == "OpenOps: 3 things since yesterday"
    assert all(f"note {n}" in digest.body for n in range(3))


def test_one_click_unsubscribe(alice, bob, make_runbook, run_tasks):
    runbook = make_runbook(alice, title="Ceph OSD down")
    run_tasks(lambda: comments.add_comment(runbook, actor=bob, body="hello"))
    link = (
        mail.outbox[0]
        .extra_headers["List-Unsubscribe"]
        .strip("<>")
        .replace("http://127.0.0.1:8000", "")
    )
    assert client_for(None).get(link).status_code == 200  # asks first
    assert Subscription.objects.filter(user=alice, document=runbook).exists()
    done = client_for(None).post(link)  # what a mail client's one-click sends
    assert done.status_code == 200 and "no longer watch" in done.content.decode()
    assert not Subscription.objects.filter(user=alice, document=runbook).exists()
    assert client_for(None).get(link[:-3] + "xx/").status_code == 404  # a forged token


def test_an_action_item_assigned_and_overdue_tells_its_owner(alice, dave, provider_a, run_tasks):
    postmortem = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Outage", body="x", provider=provider_a
    )
    run_tasks(
        lambda: postmortems.add_action_item(
            postmortem, actor=alice, title="Add an alert", owner="dave", due_date=date(2026, 1, 5)
        )
    )
    assert told(dave) == ["action_assigned"]
    run_tasks(lambda: notify.overdue_action_items(date(2026, 1, 9)))
    run_tasks(lambda: notify.overdue_action_items(date(2026, 1, 10)))  # once per due date
    assert sorted(told(dave)) == ["action_assigned", "action_overdue"]
    assert mail.outbox[-1].subject == "Overdue action item in “Outage”"


def test_the_notifications_page_and_the_unread_count(alice, bob, make_runbook, run_tasks):
    runbook = make_runbook(alice, title="Ceph OSD down")
    run_tasks(lambda: comments.add_comment(runbook, actor=bob, body="A <b>bold</b> question"))
    home = client_for(alice).get("/").content.decode()
    assert 'aria-label="1 unread notifications"' in home
    page = client_for(alice).get("/notifications/").content.decode()
    assert "bob" in page and "A bold question" in page and "<b>bold</b>" not in page
    assert "unread" not in client_for(alice).get("/").content.decode().split("</summary>")[0]
    response = client_for(alice).post("/notifications/mail/", {"mode": "daily"})
    assert response.status_code == 302 and notify.mode_of(alice) == "daily"


def test_the_watch_button(alice, bob, provider_a, make_runbook):
    runbook = make_runbook(alice, title="Ceph OSD down")
    page = client_for(bob).get(runbook.get_absolute_url()).content.decode()
    assert 'name="target" value="document"' in page and "Watch</button>" in page
    client_for(bob).post("/watch/", {"target": "document", "id": runbook.pk, "next": "/"})
    assert Subscription.objects.filter(user=bob, document=runbook).exists()
    client_for(bob).post("/watch/", {"target": "provider", "id": provider_a.pk})
    assert Subscription.objects.filter(user=bob, provider=provider_a).exists()
    draft = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Draft", body="x", provider=provider_a
    )
    assert (
        client_for(bob).post("/watch/", {"target": "document", "id": draft.pk}).status_code == 404
    )
    out = client_for(bob).post(
        "/watch/",
        {
            "target": "document",
            "id": runbook.pk,
            "action": "unwatch",
            "next": "https://evil.example/",
        },
    )
    assert out["Location"] == "/notifications/"  # never off-site


def test_stale_runbooks_that_fire_tell_the_providers_editors(
    alice, erin, dave, provider_a, make_runbook, run_tasks
):
    from runbooks.models import Runbook
    from runbooks.services import intake, routes
    from runbooks.services import runbooks as runbook_services

    runbook = make_runbook(alice, title="Disk full")
    routes.save_route(actor=SYSTEM, alertname="DiskFull", runbook=runbook)
    runbook_services.mark_reviewed(runbook, actor=alice, when=timezone.now() - timedelta(days=400))
    body = {
        "receiver": "openops",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "DiskFull", "severity": "critical"},
                "annotations": {},
                "startsAt": "2026-11-29T03:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "aa11",
            }
        ],
    }
    import json

    from runbooks.models import InboxEntry

    entry = InboxEntry.objects.create(
        provider=provider_a, source="alertmanager", body=json.dumps(body).encode()
    )
    run_tasks(lambda: intake.process(entry.pk))
    assert told(erin) == ["stale_fired"] and told(dave) == []  # editors and admins only
    assert told(alice) == ["stale_fired"]
    runbook = Runbook.objects.get(pk=runbook.pk)
    assert runbook.review_interval_days == 90 and runbook.critical_since is not None


def test_periodic_work_is_registered_with_beat():
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"runbooks.tasks.sweep_events", "runbooks.tasks.daily_mail"} <= tasks_scheduled


def test_subscriptions_in_the_api(alice, bob, provider_a, make_runbook):
    runbook = make_runbook(bob, title="Community runbook")
    draft = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Draft", body="x", provider=provider_a
    )
    api = client_for(bob)
    made = api.post(
        "/api/v1/subscriptions/",
        {"document": f"runbooks/{runbook.slug}"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["document"] == f"runbooks/{runbook.slug}"
    hidden = api.post(
        "/api/v1/subscriptions/",
        {"document": f"postmortems/{draft.slug}"},
        content_type="application/json",
    )
    assert hidden.status_code == 400 and "document" in hidden.json()
    both = api.post(
        "/api/v1/subscriptions/",
        {"tag": "x", "provider": "provider-a"},
        content_type="application/json",
    )
    assert both.status_code == 400
    mine = events.watch(alice, provider=provider_a)
    assert api.delete(f"/api/v1/subscriptions/{mine.pk}/").status_code == 404  # alice's
    assert Subscription.objects.filter(pk=mine.pk).exists()
    assert client_for(alice).delete(f"/api/v1/subscriptions/{mine.pk}/").status_code == 204
    assert client_for(None).get("/api/v1/subscriptions/").status_code in (401, 403)


def test_asking_for_review_tells_the_colleagues_of_the_provider(
    alice, bob, dave, erin, provider_a, run_tasks
):
    draft = documents.create_document(
        actor=alice, kind=Kind.POSTMORTEM, title="Outage", body="x", provider=provider_a
    )
    run_tasks(lambda: documents.set_status(draft, "in_review", actor=alice))
    assert told(dave) == ["review_requested"] and told(erin) == ["review_requested"]
    assert told(bob) == [] and told(alice) == []
    assert any(m.subject == "alice asks you to review “Outage”" for m in mail.outbox)


def test_each_editor_gets_one_daily_list_of_what_is_stale_in_their_providers(
    alice, bob, dave, erin, provider_a, provider_b, make_runbook
):
    from runbooks.services import runbooks as runbook_services

    old = timezone.now() - timedelta(days=400)
    ours = make_runbook(alice, title="Stale at A", provider=provider_a)
    theirs = make_runbook(bob, title="Stale at B", provider=provider_b)
    for runbook in (ours, theirs):
        runbook_services.mark_reviewed(runbook, actor=SYSTEM, when=old)
    make_runbook(alice, title="Fresh at A", provider=provider_a)
    mail.outbox.clear()
    assert notify.stale_digests() == 3  # alice and erin (A), bob (B); dave only reads
    assert notify.stale_digests() == 0  # once a day
    to = {m.to[0]: m for m in mail.outbox}
    assert set(to) == {"alice@example.org", "erin@example.org", "bob@example.org"}
    assert "Stale at A" in to["alice@example.org"].body
    assert (
        "Stale at B" not in to["alice@example.org"].body
        and "Fresh" not in to["alice@example.org"].body
    )
    assert to["bob@example.org"].subject == "OpenOps: 1 runbook due for review"
    assert "http://127.0.0.1:8000/review/" in to["erin@example.org"].body


def test_outsiders_who_watch_are_told_when_an_embargo_ends(alice, bob, dave, provider_a, run_tasks):
    from runbooks.models import Document

    events.watch(bob, provider=provider_a)
    events.watch(dave, provider=provider_a)
    postmortem = documents.create_document(
        actor=alice,
        kind=Kind.POSTMORTEM,
        title="Expired certificate",
        body="x",
        provider=provider_a,
    )
    until = timezone.now() + timedelta(days=3)
    run_tasks(lambda: documents.publish(postmortem, actor=alice, embargo_until=until))
    assert told(dave) == ["published"] and told(bob) == []  # bob may not read it yet
    assert run_tasks(lambda: notify.lifted_embargoes())[0] == 0  # not yet
    # Three days later (the embargo is compared with the clock; move it instead of the clock):
    Document.objects.filter(pk=postmortem.pk).update(
        embargo_until=timezone.now() - timedelta(minutes=1)
    )
    assert run_tasks(lambda: notify.lifted_embargoes())[0] == 1
    assert run_tasks(lambda: notify.lifted_embargoes())[0] == 0  # once per embargo
    assert told(bob) == ["published"]
    assert told(dave) == ["published"]  # a member was told at publication, not again
