"""Who may do what with what they can see (DESIGN §3). Pages, API and services all ask here.

What a user may *see* is decided by the querysets (`Document.objects.visible_to(user)`,
`Alert.objects.visible_to(user)`, `AlertRoute.objects.visible_to(user)`), with the models; this
module decides the *actions* on what is already visible. What a user may not see is answered
exactly like what does not exist (404), see `runbooks.access`.
"""

from runbooks.choices import RELEASED_STATUSES, Status
from runbooks.models import ROLE_RANK, Document, Provider, Role, roles_of

__all__ = ["roles_of"]


def has_role(user, provider_id: int | None, minimum: str) -> bool:
    role = roles_of(user).get(provider_id)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def can_write_in(user, provider) -> bool:
    """May `user` create documents in `provider` (None: community documents)?"""
    if not user.is_authenticated:
        return False
    if provider is None:
        return user.is_staff or any(
            ROLE_RANK[r] >= ROLE_RANK[Role.EDITOR] for r in roles_of(user).values()
        )
    return has_role(user, provider.pk, Role.EDITOR)


def can_create_any(user) -> bool:
    """May `user` create a document anywhere? Editors (of any provider: their provider's
    documents and community ones) and moderators; readers may not."""
    return can_write_in(user, None)


def can_edit(user, document) -> bool:
    """Editors and admins of the document's provider; for community documents any editor
    or admin of any provider, and moderators."""
    return can_write_in(user, document.provider)


def can_publish(user, document) -> bool:
    """The creator, or an admin of the document's provider (moderators for community ones)."""
    if not user.is_authenticated:
        return False
    if document.creator_id == user.pk:
        return True
    if document.provider_id is None:
        return user.is_staff
    return has_role(user, document.provider_id, Role.ADMIN)


def can_set_status(user, document, status: str) -> bool:
    """Releasing a document (draft or review → published or archived) or taking it back is a
    publisher's decision; moving between draft and review, or between published and archived,
    is an edit. So an editor can never release a colleague's draft by archiving it."""
    if (document.status in RELEASED_STATUSES) != (status in RELEASED_STATUSES):
        return can_publish(user, document)
    return can_edit(user, document)


# The status changes the read page offers as buttons (publishing has its own page).
STATUS_MOVES = {
    Status.DRAFT: (Status.IN_REVIEW,),
    Status.IN_REVIEW: (Status.DRAFT,),
    Status.PUBLISHED: (Status.ARCHIVED,),
    Status.ARCHIVED: (Status.PUBLISHED,),
}


def status_moves(user, document) -> list[str]:
    """The statuses `user` may move `document` to from its page."""
    moves = STATUS_MOVES.get(document.status, ())
    return [status for status in moves if can_set_status(user, document, status)]


def can_delete(user, document) -> bool:
    """Admins of the document's provider; moderators for community documents."""
    if not user.is_authenticated:
        return False
    if document.provider_id is None:
        return user.is_staff
    return has_role(user, document.provider_id, Role.ADMIN)


def may_send_alerts(user, provider) -> bool:
    """Alerts are sent for a provider by its editors and admins (and their tokens)."""
    return user.is_active and has_role(user, provider.pk, Role.EDITOR)


def token_may_send_alerts(token) -> bool:
    """alerts:write and a provider; a token made by a user never grants more than that user
    may do now: its owner must still be an editor or admin of the provider."""
    from_scope = token.has_scope("alerts:write") and token.provider_id is not None
    return from_scope and (token.user is None or may_send_alerts(token.user, token.provider))


def administers(user, provider) -> bool:
    """A provider's admin: its members with the admin role, and the site's operators
    (superusers). The one rule for its members, its tokens, its status page and its chat
    rooms; moderators (staff) are not admins of providers."""
    return user.is_authenticated and (user.is_superuser or has_role(user, provider.pk, Role.ADMIN))


def may_count_miss(user, provider) -> bool:
    """A signed-in caller's link that found nothing is counted for their own providers (or the
    community's list, with no provider), never for another provider's (DESIGN §4)."""
    if not user.is_authenticated:
        return False
    return provider is None or provider.pk in roles_of(user)


def member_providers(user):
    """Providers `user` is a member of, in any role: what a copy or a coverage check may be
    limited to (their routes lead to their private runbooks)."""
    return Provider.objects.filter(pk__in=roles_of(user))


def writable_providers(user):
    """Providers where `user` may create documents, for forms and API validation."""
    ids = [pid for pid, role in roles_of(user).items() if ROLE_RANK[role] >= ROLE_RANK[Role.EDITOR]]
    return Provider.objects.filter(pk__in=ids)


# --- Alert routes ------------------------------------------------------------------------------


def can_manage_route(user, provider, runbook) -> bool:
    """DESIGN §3: a route scoped to P points at P's or a community runbook and is P's editors'
    to manage; a community route points only at a community runbook, for any editor."""
    if provider is None:
        return runbook.provider_id is None and can_write_in(user, None)
    if runbook.provider_id not in (None, provider.pk):
        return False
    return has_role(user, provider.pk, Role.EDITOR)


def can_change_route(user, route) -> bool:
    """Changing or removing a route breaks the links it answers, so it is for the route's
    creator, the editors of the provider it is scoped to, and moderators — not for any editor
    who may add a community route (issue 12)."""
    if not user.is_authenticated:
        return False
    if user.is_staff or (route.created_by_id is not None and route.created_by_id == user.pk):
        return True
    return route.provider_id is not None and has_role(user, route.provider_id, Role.EDITOR)


def can_relabel_tags(user) -> bool:
    """Tags are shared by every provider: moderators (staff) relabel them."""
    return user.is_authenticated and user.is_staff


# --- Comments ----------------------------------------------------------------------------------


def can_comment(user, document) -> bool:
    """Anyone signed in who may see the document (DESIGN §3)."""
    return user.is_authenticated and (
        Document.objects.visible_to(user).filter(pk=document.pk).exists()
    )


def can_moderate(user, document) -> bool:
    """Hiding comments: moderators (staff) and the admins of the document's provider."""
    if not user.is_authenticated:
        return False
    return user.is_staff or has_role(user, document.provider_id, Role.ADMIN)
