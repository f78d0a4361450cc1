"""The one door into the audit log (`models.AuditEntry`): `record(...)`.

Services call `record` where they act; who and from where come from the context the request
(`AuditContextMiddleware`) or the management command (`runbooks.management.base`) set, so a
service needs only its `actor`. Never a token or a password: callers pass names, not secrets.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import cache

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import IntegrityError, connection, transaction
from django.dispatch import receiver
from django.utils import timezone

from runbooks.actors import SYSTEM
from runbooks.models import AuditEntry, Document

Action = AuditEntry.Action


@dataclass(frozen=True)
class Context:
    via: str = AuditEntry.Via.SYSTEM
    address: str | None = None
    agent: str = ""  # who the system acts for: "command add_member", "oidc keycloak"


_context: ContextVar[Context | None] = ContextVar("openops_audit_context", default=None)


def record(action, *, actor, target: str = "", provider=None, document=None, detail=None):
    """Append one entry. `actor` is a user, SYSTEM (a command, a task) or None (nobody signed
    in); `document`, when given, also names the provider and the target."""
    entry = _entry(action, actor, target, provider, document, detail)
    entry.save()
    return entry


def count_refused_read(actor, document_id: int) -> None:
    """Count a refused read of a document into the entry of its reader and hour, so that a
    burst of refusals (a crawler, someone guessing addresses) adds one entry per reader,
    document and hour, not one per request. Anonymous readers share one count. Safe when two
    requests open the same hour at once: the loser of the insert adds to the winner's entry."""
    now = timezone.now()
    key = _refusal_key(actor, document_id, now)
    if _add_one(key):
        return
    document = Document.objects.select_related("provider").filter(pk=document_id).first()
    if document is None:  # deleted meanwhile: nothing left to refuse
        return
    entry = _entry(Action.ACCESS_REFUSED, actor, "", None, document, None)
    entry.at, entry.counter_key = now, key
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # another request opened this hour's entry a moment ago
        _add_one(key)


def _refusal_key(actor, document_id: int, moment) -> str:
    who = f"user {actor.pk}" if getattr(actor, "pk", None) else "anonymous"
    return f"refused {who} document {document_id} {moment.astimezone(UTC):%Y-%m-%dT%H}"


def _add_one(counter_key: str) -> bool:
    """One more on the counted entry `counter_key`, if it exists. The statement is written once:
    a burst runs it per request, and the ORM took 0.7 ms to build what runs in 0.04 ms."""
    with connection.cursor() as cursor:
        cursor.execute(_add_one_sql(), [counter_key])
        return cursor.rowcount > 0


@cache
def _add_one_sql() -> str:
    meta, name = AuditEntry._meta, connection.ops.quote_name
    table, count = name(meta.db_table), name(meta.get_field("count").column)
    key = name(meta.get_field("counter_key").column)
    return f"UPDATE {table} SET {count} = {count} + 1 WHERE {key} = %s"


def _entry(action, actor, target, provider, document, detail) -> AuditEntry:
    context = _context.get() or Context()
    if document is not None:
        provider = provider or document.provider
        target = target or document.title
    return AuditEntry(
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=_name_of(actor, context),
        via=context.via,
        address=context.address,
        provider=provider,
        document=document,
        target=target[:300],
        private=document is not None and _private(document),
        detail=detail or {},
    )


def _private(document) -> bool:
    """Whether only some may see the document (its title is withheld from the others)."""
    return not Document.objects.filter(pk=document.pk).shared().exists()


def _name_of(actor, context: Context) -> str:
    if actor is SYSTEM or actor is None:
        if context.agent:
            return context.agent
        return "system" if actor is SYSTEM else "anonymous"
    return actor.get_username()


@contextmanager
def as_command(name: str):
    """Entries written inside are the command's (its actor is the command)."""
    token = _context.set(Context(via=AuditEntry.Via.COMMAND, agent=f"command {name}"))
    try:
        yield
    finally:
        _context.reset(token)


@contextmanager
def acting_for(agent: str):
    """Entries the system writes inside are `agent`'s doing (e.g. an identity provider's
    claim), from the same request."""
    current = _context.get() or Context()
    token = _context.set(Context(via=current.via, address=current.address, agent=agent))
    try:
        yield
    finally:
        _context.reset(token)


class AuditContextMiddleware:
    """Who is asking, from where: the client address (the same as the sign-in limits use) and
    whether through the API or the pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        via = AuditEntry.Via.API if request.path.startswith("/api/") else AuditEntry.Via.WEB
        token = _context.set(Context(via=via, address=get_client_ip_address(request)))
        try:
            return self.get_response(request)
        finally:
            _context.reset(token)


def prune(now=None) -> int:
    """Delete entries older than OPENOPS_AUDIT_DAYS (the beat task calls this daily)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OPENOPS_AUDIT_DAYS)
    deleted, _ = AuditEntry.objects.filter(at__lt=cutoff).delete()
    return deleted


# --- Sign-in, from Django's own signals (pages, admin and any other sign-in alike) -------------


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    record(Action.SIGNED_IN, actor=user)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(Action.SIGNED_OUT, actor=user)


@receiver(user_login_failed)
def _signin_failed(sender, credentials, request=None, **kwargs):
    tried = str(credentials.get("username", ""))[:150].encode("utf-8", "replace").decode()
    tried = tried.replace("\x00", "")
    record(Action.SIGNIN_FAILED, actor=None, target=tried)
