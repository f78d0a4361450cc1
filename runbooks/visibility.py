"""Who sees and who may change what (DESIGN §3). Pages, API, search and feeds all ask here.

What a user may not see is answered exactly like what does not exist (404): callers fetch
through `Document.objects.visible_to(user)` and never look at a row first and check later.
"""

from django.db.models import Q
from django.utils import timezone

from runbooks.choices import RELEASED_STATUSES, Visibility
from runbooks.models.providers import ROLE_RANK, Membership, Role


def roles_of(user) -> dict[int, str]:
    """{provider_id: role} for `user`, read once per request and kept on the user object."""
    if not user.is_authenticated:
        return {}
    cached = getattr(user, "_openops_roles", None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("provider_id", "role"))
        user._openops_roles = cached
    return cached


def has_role(user, provider_id: int | None, minimum: str) -> bool:
    role = roles_of(user).get(provider_id)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def _released_q() -> Q:
    """Published or archived, and out of any embargo."""
    return Q(status__in=RELEASED_STATUSES) & (
        Q(embargo_until__isnull=True) | Q(embargo_until__lte=timezone.now())
    )


def visible_documents_q(user) -> Q:
    """The filter behind `Document.objects.visible_to(user)`."""
    if not user.is_authenticated:
        return _released_q() & Q(visibility=Visibility.PUBLIC)
    # (b) released public and community documents, for anyone signed in
    q = _released_q() & Q(visibility__in=[Visibility.PUBLIC, Visibility.COMMUNITY])
    # (a) everything of the user's own providers
    provider_ids = list(roles_of(user))
    if provider_ids:
        q |= Q(provider_id__in=provider_ids)
    # (c) unreleased community documents: their creator, and moderators
    unreleased_community = Q(provider__isnull=True) & ~Q(status__in=RELEASED_STATUSES)
    q |= unreleased_community if user.is_staff else unreleased_community & Q(creator=user)
    return q


def provider_documents_q(provider) -> Q:
    """What every member of `provider` sees regardless of who they are; with no provider,
    what every signed-in user sees."""
    shared = _released_q() & Q(visibility__in=[Visibility.PUBLIC, Visibility.COMMUNITY])
    if provider is None:
        return shared
    return shared | Q(provider=provider)


# --- Actions on a document the user can already see ------------------------------------------


def can_write_in(user, provider) -> bool:
    """May `user` create documents in `provider` (None: community documents)?"""
    if not user.is_authenticated:
        return False
    if provider is None:
        return user.is_staff or any(
            ROLE_RANK[r] >= ROLE_RANK[Role.EDITOR] for r in roles_of(user).values()
        )
    return has_role(user, provider.pk, Role.EDITOR)


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


def writable_providers(user):
    """Providers where `user` may create documents, for forms and API validation."""
    from runbooks.models import Provider

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


def visible_routes_q(user) -> Q:
    """Routes a user may list: community routes and their own providers' routes, and only
    those pointing at runbooks they may see."""
    from runbooks.models import Document

    q = Q(provider__isnull=True)
    provider_ids = list(roles_of(user))
    if provider_ids:
        q |= Q(provider_id__in=provider_ids)
    return q & Q(runbook__in=Document.objects.visible_to(user))


def visible_alerts_q(user) -> Q:
    """Received alerts: members of the receiving provider, and staff (DESIGN §3)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    return Q(provider_id__in=list(roles_of(user)))


def visible_alerts(user):
    """Alerts `user` may see, each annotated `runbook_visible`: may `user` open its runbook?
    (Staff see every alert, but not other providers' private runbooks.)"""
    from django.db.models import Exists, OuterRef

    from runbooks.models import Alert, Document

    runbooks = Document.objects.visible_to(user).filter(pk=OuterRef("runbook_id"))
    return (
        Alert.objects.filter(visible_alerts_q(user))
        .select_related("provider", "runbook")
        .annotate(runbook_visible=Exists(runbooks))
    )
