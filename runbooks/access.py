"""The one access helper: fetch what a user asks for, for an action, or refuse (DESIGN §3).

Pages and API both fetch documents through `get_document(user, kind, slug, action)`: what the
user may not see is `Http404`, exactly like what does not exist; what they may see but not do
is `PermissionDenied` (403). The API turns an anonymous caller's 404 into a 401.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404

from runbooks import audit
from runbooks.kinds.registry import KINDS
from runbooks.models import AuditEntry, Document, Role, roles_of
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
    # The shared table alone (the kind's own row is not needed to decide), unordered.
    visible = Document.objects.visible_to(user).filter(kind=kind, slug=slug).order_by()
    found = visible.values_list("pk", "page_changed_at")[:1]
    if not found:
        raise refused(user, kind, slug)
    return found[0]


def get_document(user, kind: str, slug: str, action: str = VIEW) -> Document:
    """The document of `kind` with `slug`, if `user` may see it and do `action` to it."""
    queryset = documents(user, kind).select_related(
        "provider", "current_revision__author", "creator"
    )
    try:
        document = queryset.get(slug=slug)
    except queryset.model.DoesNotExist:
        raise refused(user, kind, slug) from None
    check(user, action, document)
    return document


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
    the attempt goes to the audit log. The answer is the same either way."""
    hidden = Document.objects.filter(kind=kind, slug=slug).select_related("provider").first()
    if hidden is not None:
        actor = user if user.is_authenticated else None
        audit.record(audit.Action.ACCESS_REFUSED, actor=actor, document=hidden)
    return Http404(f"No {kind} with this address is visible to you.")
