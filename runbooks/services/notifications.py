"""Telling people: each recorded event fanned out once to those it concerns and who may still
see it (watchers of the document, its tags and its provider; the replied-to, the mentioned,
the assignee; the editors of a provider whose alert fired on a stale runbook), then mailed —
at once or in a daily digest, as each recipient prefers. Every step takes ids and may run
twice: the database keeps one notification per person and event, and one mail each."""

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from runbooks import links
from runbooks.choices import Status
from runbooks.kinds.events import EVENT_KINDS, link
from runbooks.models import (
    ROLE_RANK,
    ActionItem,
    Document,
    Event,
    MailPreference,
    Membership,
    Notification,
    Role,
    Runbook,
    Subscription,
)

from . import events

log = logging.getLogger(__name__)
Reason = Notification.Reason
UNSUBSCRIBE_SALT = "openops.unsubscribe"
EMBARGO_LIFTED = "embargo-lifted:"


# --- Fan-out ----------------------------------------------------------------------------------


def _watchers(document: Document) -> set[int]:
    tags = list(document.tags.values_list("pk", flat=True))
    watching = Q(document=document) | Q(tag__in=tags)
    if document.provider_id:
        watching |= Q(provider_id=document.provider_id)
    return set(Subscription.objects.filter(watching).values_list("user_id", flat=True))


def _replied_to(event: Event) -> list[int]:
    parent = event.comment.parent if event.comment.parent_id else None
    return [parent.author_id] if parent and parent.author_id else []


def _mentioned(event: Event) -> list[int]:
    return list(event.comment.mentions.values_list("pk", flat=True))


def _assignee(event: Event) -> list[int]:
    return [event.action_item.owner_id] if event.action_item.owner_id else []


def _provider_editors(event: Event) -> list[int]:
    """The editors of the provider whose alert fired (not the document's)."""
    if not event.provider_id:
        return []
    editors = Membership.objects.filter(
        provider_id=event.provider_id,
        role__in=[r for r in ROLE_RANK if ROLE_RANK[r] >= ROLE_RANK[Role.EDITOR]],
    )
    return list(editors.values_list("user_id", flat=True))


# Who each reason names, for an event; an event kind says which reasons it is told for
# (`runbooks.kinds.events`).
AUDIENCES: dict[str, Callable[[Event], Iterable[int]]] = {
    Reason.WATCHING: lambda event: _watchers(event.document),
    Reason.REPLIED: _replied_to,
    Reason.MENTIONED: _mentioned,
    Reason.ASSIGNED: _assignee,
    Reason.COLLEAGUE: lambda event: _colleagues(event.document),
    Reason.EDITOR: _provider_editors,
}


def _recipients(event: Event) -> dict[int, str]:
    """user id → why they are told (the strongest reason wins)."""
    told: dict[int, str] = {}
    for reason in EVENT_KINDS[event.kind].told:
        told |= dict.fromkeys(AUDIENCES[reason](event), reason)
    if (event.key or "").startswith(EMBARGO_LIFTED) and event.document.provider_id:
        members = Membership.objects.filter(provider_id=event.document.provider_id)
        for user_id in members.values_list("user_id", flat=True):  # told when it was published
            told.pop(user_id, None)
    told.pop(event.actor_id, None)  # nobody is told what they did themselves
    return told


def _colleagues(document: Document) -> set[int]:
    """Who a request for review goes to: the provider's members (moderators for a community
    draft)."""
    if document.provider_id is None:
        staff = get_user_model().objects.filter(is_staff=True, is_active=True)
        return set(staff.values_list("pk", flat=True))
    members = Membership.objects.filter(provider_id=document.provider_id)
    return set(members.values_list("user_id", flat=True))


def _silenced(event: Event) -> bool:
    """Events that say nothing any more: a comment hidden or deleted before it was told."""
    return EVENT_KINDS[event.kind].silenced(event)


def may_see(user, event: Event) -> bool:
    if not user.is_active:
        return False
    if not Document.objects.visible_to(user).filter(pk=event.document_id).exists():
        return False
    return not _silenced(event)


def fan_out(event_id: int) -> list[int]:
    """Notifications for one event (once); returns those to mail at once."""
    with transaction.atomic():
        event = (
            Event.objects.select_for_update(of=("self",))
            .select_related("document", "comment__parent", "action_item", "revision", "actor")
            .filter(pk=event_id, fanned_out_at=None)
            .first()
        )
        if event is None:
            return []
        event.fanned_out_at = timezone.now()
        event.save(update_fields=["fanned_out_at"])
        if _silenced(event):
            return []
        recipients = _recipients(event)
        users = get_user_model().objects.filter(pk__in=recipients, is_active=True)
        excerpt = excerpt_of(event)
        Notification.objects.bulk_create(
            [
                Notification(recipient=u, event=event, reason=recipients[u.pk], excerpt=excerpt)
                for u in users
                if may_see(u, event)
            ],
            ignore_conflicts=True,
        )
        at_once = Notification.objects.filter(event=event, mailed_at=None).exclude(
            recipient__mail_preference__mode__in=[
                MailPreference.Mode.DAILY,
                MailPreference.Mode.OFF,
            ]
        )
        return list(at_once.values_list("pk", flat=True))


def pending_events(older_than: timedelta = timedelta(minutes=1)):
    """Events whose fan-out did not happen (a broker away): the periodic sweep does them."""
    cutoff = timezone.now() - older_than
    return Event.objects.filter(fanned_out_at=None, created_at__lte=cutoff).order_by("pk")


def unmailed(older_than: timedelta = timedelta(minutes=1)):
    """Ids of notifications wanted at once whose mail task never ran."""
    cutoff = timezone.now() - older_than
    waiting = Notification.objects.filter(mailed_at=None, created_at__lte=cutoff).exclude(
        recipient__mail_preference__mode__in=[MailPreference.Mode.DAILY, MailPreference.Mode.OFF]
    )
    return waiting.order_by("pk").values_list("pk", flat=True)


def excerpt_of(event: Event) -> str:
    return EVENT_KINDS[event.kind].excerpt(event)


# --- Mail -------------------------------------------------------------------------------------


def mark_read(user, ids) -> int:
    """The user's own notifications among `ids` are read now (shown on /notifications/)."""
    unread = Notification.objects.filter(recipient=user, pk__in=list(ids), read_at=None)
    return unread.update(read_at=timezone.now())


def mode_of(user) -> str:
    preference = MailPreference.objects.filter(user=user).first()
    return preference.mode if preference else MailPreference.Mode.IMMEDIATE


def set_mode(user, mode: str) -> MailPreference:
    if mode not in MailPreference.Mode.values:
        raise ValueError(mode)
    preference, _ = MailPreference.objects.update_or_create(user=user, defaults={"mode": mode})
    return preference


def unsubscribe_token(notification: Notification) -> str:
    """What one click in this mail stops: watching the thing, or (mentions, assignments) all
    mail."""
    target = {"u": notification.recipient_id}
    if notification.reason == Reason.WATCHING:
        target["d"] = notification.event.document_id
    return signing.dumps(target, salt=UNSUBSCRIBE_SALT)


def unsubscribe(token: str) -> str:
    """Carry out an unsubscribe link; what it did, in words. BadSignature for a forged one."""
    target = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=timedelta(days=365))
    user = get_user_model().objects.get(pk=target["u"])
    if "d" in target:
        document = Document.objects.filter(pk=target["d"]).first()
        Subscription.objects.filter(user=user, document_id=target["d"]).delete()
        return f"You no longer watch “{document.title}”." if document else "Done."
    set_mode(user, MailPreference.Mode.OFF)
    return "You get no more mail from OpenOps; /notifications/ still lists what happens."


def _context(notifications: list[Notification]) -> dict:
    items = []
    for n in notifications:
        event = n.event
        items.append(
            {
                "notification": n,
                "event": event,
                "url": links.absolute(link(event)),
                "unsubscribe": _unsubscribe_url(unsubscribe_token(n)),
            }
        )
    return {"items": items, "settings_url": links.absolute(reverse("notification-list"))}


def _unsubscribe_url(token: str) -> str:
    return links.absolute(reverse("notification-unsubscribe", args=[token]))


def _send(user, subject: str, template: str, context: dict, unsubscribe_url: str) -> None:
    text = render_to_string(f"mail/{template}.txt", context)
    html = render_to_string(f"mail/{template}.html", context)
    mail = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    mail.attach_alternative(html, "text/html")
    mail.send()


def subject_of(notification: Notification) -> str:
    event = notification.event
    who = event.actor.get_username() if event.actor else "OpenOps"
    title = event.document.title
    own = EVENT_KINDS[event.kind].subject
    if own:
        return own.format(title=title)
    if notification.reason == Reason.MENTIONED:
        return f"{who} mentioned you on “{title}”"
    if notification.reason == Reason.REPLIED:
        return f"{who} replied to you on “{title}”"
    return f"{who} {event.get_kind_display()} “{title}”"


def mail_one(notification_id: int) -> bool:
    """Mail one notification, once, if its recipient wants mail now and may still see it."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "event__document", "event__actor", "event__comment")
            .filter(pk=notification_id, mailed_at=None)
            .first()
        )
        if notification is None:
            return False
        notification.mailed_at = timezone.now()  # handled, sent or not: never twice
        notification.save(update_fields=["mailed_at"])
        user = notification.recipient
        if not user.email or mode_of(user) != MailPreference.Mode.IMMEDIATE:
            return False
        if not may_see(user, notification.event):
            return False
        context = _context([notification])
        _send(
            user,
            subject_of(notification),
            "notification",
            context,
            context["items"][0]["unsubscribe"],
        )
        return True


def send_digests(now=None) -> int:
    """One mail per daily-digest reader with news since their last digest."""
    now = now or timezone.now()
    due = MailPreference.objects.filter(mode=MailPreference.Mode.DAILY).filter(
        Q(last_digest_at=None) | Q(last_digest_at__lte=now - timedelta(hours=23))
    )
    sent = 0
    for preference in due.select_related("user"):
        with transaction.atomic():
            locked = MailPreference.objects.select_for_update().get(pk=preference.pk)
            if locked.last_digest_at and locked.last_digest_at > now - timedelta(hours=23):
                continue  # another run did it
            pending = list(
                Notification.objects.select_for_update(of=("self",))
                .filter(recipient_id=locked.user_id, mailed_at=None)
                .select_related("event__document", "event__actor", "event__comment")
                .order_by("created_at")
            )
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(mailed_at=now)
            locked.last_digest_at = now
            locked.save(update_fields=["last_digest_at"])
            user = preference.user
            shown = [n for n in pending if may_see(user, n.event)]
            if shown and user.email and user.is_active:
                context = _context(shown)
                everything = signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT)
                context["unsubscribe_all"] = _unsubscribe_url(everything)
                subject = f"OpenOps: {len(shown)} thing{'s' * (len(shown) != 1)} since yesterday"
                _send(user, subject, "digest", context, context["unsubscribe_all"])
                sent += 1
    return sent


# --- Freshness --------------------------------------------------------------------------------


def overdue_action_items(today=None) -> int:
    """An event for each open action item past its due date (once per due date)."""
    today = today or timezone.localdate()
    overdue = ActionItem.objects.filter(
        status=ActionItem.Status.OPEN, due_date__lt=today, owner__isnull=False
    ).select_related("postmortem")
    made = 0
    for item in overdue:
        key = f"overdue:{item.pk}:{item.due_date:%Y-%m-%d}"
        made += bool(
            events.record(Event.Kind.ACTION_OVERDUE, item.postmortem, action_item=item, key=key)
        )
    return made


def lifted_embargoes(now=None, within: timedelta = timedelta(days=1)) -> int:
    """A publication event for each embargo that ended lately: those outside the provider who
    watch it (its tags, its provider) are told when they may read it — once per embargo."""
    now = now or timezone.now()
    lifted = Document.objects.filter(
        status__in=[Status.PUBLISHED, Status.ARCHIVED],
        embargo_until__lte=now,
        embargo_until__gt=now - within,
    )
    made = 0
    for document in lifted:
        key = f"{EMBARGO_LIFTED}{document.pk}:{document.embargo_until:%Y%m%dT%H%M%S}"
        made += bool(events.record(Event.Kind.PUBLISHED, document, key=key))
    return made


def stale_digests(now=None) -> int:
    """Each editor, once a day: the runbooks of their providers that are due for review."""
    now = now or timezone.now()
    editors = Membership.objects.filter(
        role__in=[r for r in ROLE_RANK if ROLE_RANK[r] >= ROLE_RANK[Role.EDITOR]],
        user__is_active=True,
    ).exclude(user__email="")
    sent = 0
    for user_id in sorted(set(editors.values_list("user_id", flat=True))):
        with transaction.atomic():
            preference, _ = MailPreference.objects.select_for_update().get_or_create(
                user_id=user_id
            )
            last = preference.last_stale_digest_at
            if preference.mode == MailPreference.Mode.OFF or (
                last and last > now - timedelta(hours=23)
            ):
                continue
            providers = editors.filter(user_id=user_id).values_list("provider_id", flat=True)
            stale = list(
                Runbook.objects.filter(provider_id__in=list(providers))
                .stale()
                .select_related("provider")
                .order_by("review_due_at")[:50]
            )
            preference.last_stale_digest_at = now
            preference.save(update_fields=["last_stale_digest_at"])
            if not stale:
                continue
            user = preference.user
            token = signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT)
            context = {
                "runbooks": [(r, links.absolute(r.get_absolute_url())) for r in stale],
                "review_url": links.absolute(reverse("review")),
                "settings_url": links.absolute(reverse("notification-list")),
                "unsubscribe_all": _unsubscribe_url(token),
            }
            subject = f"OpenOps: {len(stale)} runbook{'s' * (len(stale) != 1)} due for review"
            _send(user, subject, "stale", context, context["unsubscribe_all"])
            sent += 1
    return sent
