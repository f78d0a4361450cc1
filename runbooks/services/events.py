"""Recording what happened, in the writer's transaction (the outbox of notifications, the
record of /changes/ and the feeds). A Celery task fans each event out once it is committed
(`runbooks.tasks`), so a write never waits for mail."""

from django.db import IntegrityError, transaction

from runbooks.actors import SYSTEM
from runbooks.models import Event, Subscription

from .base import user_or_none


def record(kind: str, document, *, actor=SYSTEM, key: str | None = None, **links) -> Event | None:
    """An event (revision, comment, action_item: the things it is about). With `key`, at most
    one such event ever: a second is silently not recorded (None)."""
    event = Event(kind=kind, document_id=document.pk, actor=user_or_none(actor), key=key, **links)
    if key is None:
        event.save()
        return event
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        return None
    return event


def watch(user, *, document=None, tag=None, provider=None) -> Subscription:
    """`user` watches one document, tag or provider (again: nothing changes)."""
    target = {"document": document, "tag": tag, "provider": provider}
    target = {name: value for name, value in target.items() if value is not None}
    if len(target) != 1:
        raise ValueError("Watch one document, tag or provider.")
    subscription, _ = Subscription.objects.get_or_create(user=user, **target)
    return subscription


def unwatch(user, *, document=None, tag=None, provider=None) -> None:
    target = {"document": document, "tag": tag, "provider": provider}
    target = {name: value for name, value in target.items() if value is not None}
    Subscription.objects.filter(user=user, **target).delete()


def watch_as_author(actor, document) -> None:
    """Authors and commenters follow what they wrote on (they may unwatch it)."""
    if actor is not SYSTEM and getattr(actor, "is_authenticated", False):
        watch(actor, document=document)
