"""API tokens: issued (the secret shown once), revoked, and their last use recorded."""

import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from runbooks import audit
from runbooks.actors import SYSTEM
from runbooks.models import USER_SCOPES, Provider, Scope, Token, hash_token
from runbooks.visibility import administers, may_send_alerts, roles_of

from .base import NotAllowed

TOKEN_PREFIX = "oo_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _check_issuer(actor, user, provider, scopes: list[str]) -> None:
    """A user's token is made by that user (or the system); a provider's alerts token by an
    admin of the provider; a user's token names only a provider the user is a member of; and no
    token grants more than its owner may do."""
    if actor is SYSTEM:
        pass
    elif user is not None and actor != user and not actor.is_superuser:
        raise NotAllowed("Tokens that act as a user are made by that user.")
    elif user is None and not administers(actor, provider):
        raise NotAllowed("Only the provider's admins make tokens that belong to it.")
    if user is not None and provider is not None and provider.pk not in roles_of(user):
        raise ValidationError(
            {"provider": f"{user.get_username()} is not a member of {provider.name}."}
        )
    if Scope.ALERTS_WRITE in scopes and user is not None and not may_send_alerts(user, provider):
        raise ValidationError(
            {"provider": f"Only editors and admins of {provider.name} may send its alerts."}
        )


@transaction.atomic
def issue_token(
    *, actor, name: str, scopes: Iterable[str], user=None, provider: Provider | None = None
) -> tuple[Token, str]:
    """Create a token and return it with its secret, which is shown once and never stored."""
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(Scope.values)
    if not scopes or unknown:
        raise ValidationError(
            {"scopes": f"Unknown or missing scope; use {', '.join(Scope.values)}."}
        )
    if USER_SCOPES & set(scopes) and user is None:
        raise ValidationError({"user": "read and write tokens act as a user: name one."})
    if Scope.ALERTS_WRITE in scopes and provider is None:
        raise ValidationError({"provider": "alerts:write tokens send alerts for a provider."})
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise ValidationError({"name": "Give the token a name of at most 100 characters."})
    _check_issuer(actor, user, provider, scopes)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = Token.objects.create(
        name=name,
        user=user,
        provider=provider,
        prefix=secret[:10],
        digest=hash_token(secret),
        scopes=scopes,
    )
    audit.record(
        audit.Action.TOKEN_CREATED,
        actor=actor,
        target=name,
        provider=provider,
        detail={"token": token.pk, "scopes": scopes, "user": user.get_username() if user else None},
    )
    return token, secret


def revoke_token(token: Token, *, actor) -> None:
    """Revoke a token: its owner, an operator of the site, or the system."""
    owner_or_operator = actor is SYSTEM or actor.is_superuser or token.user_id == actor.pk
    if not owner_or_operator:
        raise NotAllowed("Only the token's owner revokes it.")
    if Token.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        audit.record(
            audit.Action.TOKEN_REVOKED,
            actor=actor,
            target=token.name,
            provider=token.provider,
            detail={"token": token.pk},
        )


def touch_token(token: Token) -> None:
    """Record use, at most about once a minute, so reads do not turn into writes."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    Token.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
