"""Providers, the people who belong to them, and their roles."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from runbooks import audit, inputs, pagecache
from runbooks.models import Membership, Provider, Role
from runbooks.visibility import administers

from .base import changes_pages, require

ADMINS_ONLY = "Only the provider's admins do this."


def require_admin(provider: Provider, *, actor) -> None:
    """NotAllowed unless `actor` administers `provider` (`visibility.administers`): asked by
    every service here that changes a provider, and by its pages before they show a form."""
    require(actor, administers, provider, message=ADMINS_ONLY)


def _is_superuser(user) -> bool:
    return user.is_authenticated and user.is_superuser


@changes_pages
def create_provider(
    slug: str, name: str, website: str = "", *, actor, status_page_url: str | None = None
) -> tuple[Provider, bool]:
    """Create a provider, or update name and website (and the status page, when given) of an
    existing one (operators only)."""
    require(actor, _is_superuser, message="Only operators of this site create providers.")
    if slug != slugify(slug) or not slug:
        raise ValidationError(f"{slug!r} is not a valid slug: use lower-case letters, digits, -.")
    defaults = {"name": name, "website": _http_url(website, "website")}
    if status_page_url is not None:
        defaults["status_page_url"] = _http_url(status_page_url, "status_page_url")
    provider, created = Provider.objects.update_or_create(slug=slug, defaults=defaults)
    if not created:  # its documents' pages show its name
        pagecache.touch(provider.documents.values_list("pk", flat=True))
    return provider, created


@transaction.atomic
def set_status_page(provider: Provider, url: str, *, actor) -> Provider:
    """The provider's public status page, which its alert pages link to ("" for none)."""
    require_admin(provider, actor=actor)
    provider.status_page_url = _http_url(url.strip(), "status_page_url")
    provider.save(update_fields=["status_page_url"])
    return provider


def _http_url(value: str, field: str) -> str:
    try:
        inputs.validate_http_url(value)
    except ValidationError:
        raise ValidationError({field: f"{value[:80]!r} is not an http(s) URL."}) from None
    if len(value) > 2000:
        raise ValidationError({field: "At most 2000 characters."})
    return value


@transaction.atomic
def set_membership(provider: Provider, user, role: str, *, actor, from_claim: bool = False):
    """Give `user` `role` at `provider`, updating the role of an existing membership. A
    membership set here (not `from_claim`) is no longer the identity provider's to remove."""
    require_admin(provider, actor=actor)
    if role not in Role.values:
        raise ValidationError(f"{role!r} is not a role: use one of {', '.join(Role.values)}.")
    membership = Membership.objects.filter(user=user, provider=provider).first()
    before, created = (membership.role if membership else None), membership is None
    if created:
        membership = Membership.objects.create(
            user=user, provider=provider, role=role, from_claim=from_claim
        )
    elif before != role or (membership.from_claim and not from_claim):
        membership.role = role
        membership.from_claim = membership.from_claim and from_claim
        membership.save(update_fields=["role", "from_claim"])
    if before != role:
        _role_changed(provider, user, role, before, actor)
    return membership, created


@transaction.atomic
def remove_membership(provider: Provider, user, *, actor) -> bool:
    """End `user`'s membership at `provider`; False when there was none."""
    require_admin(provider, actor=actor)
    membership = Membership.objects.filter(user=user, provider=provider).first()
    if membership is None:
        return False
    membership.delete()
    _role_changed(provider, user, None, membership.role, actor)
    return True


def _role_changed(provider: Provider, user, role: str | None, before: str | None, actor) -> None:
    """Into the audit log; and the roles cached on this user object are stale now."""
    audit.record(
        audit.Action.ROLE_CHANGED,
        actor=actor,
        target=user.get_username(),
        provider=provider,
        detail={"user": user.get_username(), "role": role, "before": before},
    )
    if hasattr(user, "_openops_roles"):
        del user._openops_roles


@transaction.atomic
def ensure_user(username: str, password: str | None = None, *, actor, **fields):
    """Return the user called `username`, creating it if needed; set the password if given."""
    require(actor, _is_superuser, message="Only operators of this site create accounts.")
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
