"""A provider's events in its chat room: Matrix (client-server API) or a JSON webhook, chosen
and configured by the provider's admins. Only events about what every member of the provider
may read are sent (a room's audience is the provider at most); each delivery once, with the
same transaction id on every retry so Matrix keeps one message."""

import ipaddress
import logging
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from runbooks import inputs, links, outgoing
from runbooks.kinds.events import EVENT_KINDS, place
from runbooks.models import ChatDelivery, ChatTarget, Document, Event
from runbooks.visibility import administers

from .base import require, user_or_none

log = logging.getLogger(__name__)
TIMEOUT = (5, 10)  # seconds: connect, read
MAX_ATTEMPTS = 6
CHOOSABLE = {value for value, _ in ChatTarget.EVENT_CHOICES}
ADMINS_ONLY = "Only the provider's admins choose where its events go."


def reachable_publicly(url: str) -> bool:
    """Does the address resolve to public addresses only? A chat room on a private network
    (127.0.0.1, 10.x, the metadata service…) would let an admin make the worker call inside
    the deployment; OPENOPS_CHAT_ALLOW_PRIVATE=true allows it (tests, an internal homeserver)."""
    if settings.OPENOPS_CHAT_ALLOW_PRIVATE:
        return True
    try:
        infos = socket.getaddrinfo(urlsplit(url).hostname, None)
    except (socket.gaierror, UnicodeError, ValueError):
        return False
    return all(ipaddress.ip_address(info[4][0]).is_global for info in infos)


def require_admin(provider, *, actor) -> None:
    """NotAllowed unless `actor` administers `provider` (`visibility.administers`): asked by
    the services here, and by the page before it shows the rooms."""
    require(actor, administers, provider, message=ADMINS_ONLY)


@transaction.atomic
def add_target(provider, *, actor, kind, name, url, room_id="", access_token="", events=()):
    require_admin(provider, actor=actor)
    if kind not in ChatTarget.Kind.values:
        raise ValidationError({"kind": "A Matrix room or a JSON webhook."})
    if not inputs.is_http_url(url):
        raise ValidationError({"url": "An http(s) address."})
    if not reachable_publicly(url):
        raise ValidationError({"url": "This address is not public (or does not resolve)."})
    chosen = list(dict.fromkeys(events))
    if not chosen or set(chosen) - CHOOSABLE:
        raise ValidationError({"events": "Choose what to send."})
    if kind == ChatTarget.Kind.MATRIX and not (room_id.startswith("!") and access_token):
        raise ValidationError({"room_id": "A room id (!…:server) and an access token."})
    return ChatTarget.objects.create(
        provider=provider,
        kind=kind,
        name=" ".join(name.split())[:100] or kind,
        url=url.rstrip("/"),
        room_id=room_id.strip(),
        access_token=access_token.strip(),
        events=chosen,
        created_by=user_or_none(actor),
    )


@transaction.atomic
def remove_target(target: ChatTarget, *, actor) -> None:
    require_admin(target.provider, actor=actor)
    target.delete()


def deliveries_for_event(event_id: int) -> list[int]:
    """New deliveries (once per room) of an event to the rooms that asked for its kind, when
    every member of the provider may read what it is about."""
    event = Event.objects.select_related("document").filter(pk=event_id).first()
    if event is None:
        return []
    provider_id = event.provider_id or event.document.provider_id
    if provider_id is None or event.kind not in CHOOSABLE:
        return []
    targets = ChatTarget.objects.filter(provider_id=provider_id).select_related("provider")
    targets = [target for target in targets if event.kind in target.events]
    if not targets:
        return []
    readable = Document.objects.visible_to_provider(targets[0].provider)
    if not readable.filter(pk=event.document_id).exists():
        return []
    made = []
    for target in targets:
        delivery, created = ChatDelivery.objects.get_or_create(target=target, event=event)
        if created:
            made.append(delivery.pk)
    return made


def message(event: Event) -> tuple[str, str, dict]:
    """(plain text, HTML, JSON) of an event: what happened, to what, with its link."""
    document = event.document
    who = event.actor.get_username() if event.actor else "OpenOps"
    url = links.absolute(place(event))
    what = event.get_kind_display()
    text = f"{who} {what} “{document.title}”: {url}"
    html = f'{escape(who)} {escape(what)} <a href="{escape(url)}">{escape(document.title)}</a>'
    data = {
        "event": event.kind,
        "actor": who,
        "document": {"kind": document.kind, "slug": document.slug, "title": document.title},
        "url": url,
        "at": event.created_at.isoformat(),
    }
    return text, html, data


def _send(method: str, url: str, body: dict, headers: dict):
    """To the address entered and nowhere else: public addresses only (checked on the
    connection itself, so a name that changes what it resolves to gains nothing), and no
    redirect followed (it could point inside the network; a room's API has no reason to move)."""
    public_only = not settings.OPENOPS_CHAT_ALLOW_PRIVATE
    return outgoing.send(
        method, url, json=body, headers=headers, timeout=TIMEOUT, public_only=public_only
    )


def _not_public(delivery, target) -> bool:
    ChatDelivery.objects.filter(pk=delivery.pk).update(failed_at=timezone.now())
    ChatTarget.objects.filter(pk=target.pk).update(last_error="The address is not public.")
    return False


def deliver(delivery_id: int) -> bool:
    """Send one delivery; True once sent. Raises requests.RequestException for the task to
    retry with backoff; after MAX_ATTEMPTS it is given up (recorded on the target)."""
    delivery = (
        ChatDelivery.objects.select_related(
            "target", "event__document", "event__actor", "event__comment"
        )
        .filter(pk=delivery_id, sent_at=None, failed_at=None)
        .first()
    )
    if delivery is None:
        return False
    target, event = delivery.target, delivery.event
    if EVENT_KINDS[event.kind].silenced(event):
        ChatDelivery.objects.filter(pk=delivery.pk).update(failed_at=timezone.now())
        return False  # removed before it was sent: say nothing
    ChatDelivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    if not reachable_publicly(target.url):  # checked again: names can change what they mean
        return _not_public(delivery, target)
    text, html, data = message(event)
    try:
        if target.kind == ChatTarget.Kind.MATRIX:
            url = (
                f"{target.url}/_matrix/client/v3/rooms/{requests.utils.quote(target.room_id)}"
                f"/send/m.room.message/openops-{delivery.pk}"
            )
            body = {
                "msgtype": "m.notice",
                "body": text,
                "format": "org.matrix.custom.html",
                "formatted_body": html,
            }
            headers = {"Authorization": f"Bearer {target.access_token}"}
            response = _send("PUT", url, body, headers)
        else:
            headers = {"Idempotency-Key": f"openops-{delivery.pk}"}
            response = _send("POST", target.url, data, headers)
        response.raise_for_status()
    except outgoing.PrivateAddress:
        return _not_public(delivery, target)
    except requests.RequestException as exc:
        reason = f"{type(exc).__name__}: {exc}"[:500]
        ChatTarget.objects.filter(pk=target.pk).update(last_error=reason)
        if delivery.attempts + 1 >= MAX_ATTEMPTS:
            ChatDelivery.objects.filter(pk=delivery.pk).update(failed_at=timezone.now())
            log.warning("Gave up sending event %s to %s: %s", event.pk, target, reason)
            return False
        raise
    now = timezone.now()
    ChatDelivery.objects.filter(pk=delivery.pk).update(sent_at=now)
    ChatTarget.objects.filter(pk=target.pk).update(last_sent_at=now, last_error="")
    return True
