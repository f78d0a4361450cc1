"""The one access helper: fetch what a user asks for, for an action, or refuse (DESIGN §3).

Pages and API both fetch documents through `get_document(user, kind, slug, action)`: what the
user may not see is `Http404`, exactly like what does not exist; what they may see but not do
is `PermissionDenied` (403). The API turns an anonymous caller's 404 into a 401.
"""

from datetime import UTC, datetime

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone

from runbooks import audit
from runbooks.compiled import CompiledQuery
from runbooks.kinds.registry import KINDS
from runbooks.models import AuditEntry, Document, Provider, Role, Subscription, Tag, roles_of
from runbooks.visibility import can_delete, can_edit, can_publish

VIEW, EDIT, PUBLISH, DELETE = "view", "edit", "publish", "delete"
RULES = {
    VIEW: (None, ""),
    EDIT: (can_edit, "You may read this document but not change it."),
    PUBLISH: (can_publish, "Only the creator or an admin of its provider publishes it."),
    DELETE: (can_delete, "Only admins of the document's provider delete it."),
}


def documents(user, kind: str):
    """The documents of `kind` that `user` may see, as the kind's own model."""
    return KINDS[kind].model.objects.visible_to(user).filter(kind=kind)


def allows(user, action: str, document: Document) -> bool:
    rule, _ = RULES[action]
    return rule is None or rule(user, document)


def check(user, action: str, document: Document) -> None:
    """PermissionDenied unless `user` may do `action` to a document they can see."""
    if not allows(user, action, document):
        raise PermissionDenied(RULES[action][1])


def page_stamp(user, kind: str, slug: str) -> tuple[int, datetime]:
    """(id, page_changed_at) of the document `user` may see, without loading it: the same
    check as `get_document` for reading, for a page served from the cache."""
    if user.is_authenticated:
        found = next(iter(_stamp_query(user, kind, slug)), None)
    else:
        found = anonymous_page_stamp(kind, slug)
    if found is None:
        raise refused(user, kind, slug)
    return found


def anonymous_page_stamp(kind: str, slug: str) -> tuple[int, datetime] | None:
    """`page_stamp` for anonymous visitors, None (not refused, nothing counted) for a document
    they may not see. Every anonymous visitor asks the same question: compiled once per kind,
    run with their slug and time."""
    found = _AnonymousStamp.of(kind).run(slug=slug, now=timezone.now())
    return found[0] if found else None


def _stamp_query(user, kind: str, slug: str, now=None):
    # The shared table alone (the kind's own row is not needed to decide), unordered.
    visible = Document.objects.visible_to(user, now=now).filter(kind=kind, slug=slug).order_by()
    return visible.values_list("pk", "page_changed_at")[:1]


class _AnonymousStamp:
    """`_stamp_query` for anonymous visitors, its SQL compiled once per kind (building and
    compiling the visibility query was half of a cached page's cost), from `visible_to` itself
    with marker values for the slug and the time."""

    SLUG = "\x00openops-slug-marker"
    NOW = datetime(1999, 12, 31, 23, 59, 58, 123457, tzinfo=UTC)
    _compiled: dict[tuple[str, str], CompiledQuery] = {}

    @classmethod
    def of(cls, kind: str) -> CompiledQuery:
        key = (connection.alias, kind)
        if key not in cls._compiled:
            query = _stamp_query(AnonymousUser(), kind, cls.SLUG, now=cls.NOW)
            cls._compiled[key] = CompiledQuery(query, {"slug": cls.SLUG, "now": cls.NOW})
        return cls._compiled[key]


def get_document(user, kind: str, slug: str, action: str = VIEW, *, related=None) -> Document:
    """The document of `kind` with `slug`, if `user` may see it and do `action` to it.
    `related(queryset)` adds what the caller reads with it (the API's serializers read more
    than the pages); which document, and whether, stays decided here."""
    queryset = documents(user, kind)
    if related is None:
        queryset = queryset.select_related("provider", "current_revision__author", "creator")
    else:
        queryset = related(queryset)
    try:
        document = queryset.get(slug=slug)
    except queryset.model.DoesNotExist:
        raise refused(user, kind, slug) from None
    check(user, action, document)
    return document


def watchable(user, target: str):
    """What `user` may start watching, by kind of target: documents and tags they may see, and
    any provider (providers are public). Anything else answers like what does not exist."""
    if target == "document":
        return Document.objects.visible_to(user)
    return Tag.objects.visible_to(user) if target == "tag" else Provider.objects.all()


def subscriptions(user):
    """What `user` watches, each marked `document_visible`: a document they may no longer read
    is listed without its title or slug (they may still stop watching it)."""
    readable = Document.objects.visible_to(user).filter(pk=OuterRef("document_id"))
    return (
        Subscription.objects.filter(user=user)
        .select_related("document", "tag", "provider")
        .annotate(document_visible=Exists(readable))
    )


def audit_entries(user):
    """The audit entries `user` may read: staff every provider's and the site's, a provider's
    admins that provider's; None for everyone else (the page is then a 404)."""
    if not user.is_authenticated:
        return None
    if user.is_staff or user.is_superuser:
        return AuditEntry.objects.all()
    administered = [pk for pk, role in roles_of(user).items() if role == Role.ADMIN]
    return AuditEntry.objects.filter(provider_id__in=administered) if administered else None


def audit_target(user, entry: AuditEntry) -> str:
    """What the entry was done to, as `user` may read it: the title of a document private to a
    provider they are not in is withheld."""
    if entry.private and entry.provider_id not in roles_of(user):
        provider = entry.provider.name if entry.provider else "a provider"
        return f"a private document of {provider}"
    return entry.target


def refused(user, kind: str, slug: str) -> Http404:
    """The 404 for a document `user` may not see; when it exists (it is private to someone),
    the attempt is counted in the audit log (one entry per reader, document and hour, however
    many requests). The answer is the same either way."""
    hidden = Document.objects.filter(kind=kind, slug=slug).values_list("pk", flat=True).first()
    if hidden is not None:
        audit.count_refused_read(user if user.is_authenticated else None, hidden)
    return Http404(f"No {kind} with this address is visible to you.")
