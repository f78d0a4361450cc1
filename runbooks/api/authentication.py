"""`Authorization: Bearer <token>` authentication against hashed tokens."""

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled

from runbooks import ratelimit
from runbooks.models import Token, hash_token
from runbooks.services.tokens import touch_token


class BearerTokenAuthentication(BaseAuthentication):
    """A token acts as its user; an alerts-only token may have no user (then it is anonymous
    as far as documents go, and its scopes keep it away from them anyway)."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Use the header 'Authorization: Bearer <token>'.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            secret = ""  # never valid: counted as a failure like any wrong token
        token = token_for_secret(secret, request)
        return (token.user or AnonymousUser(), token)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="openops"'


def token_for_secret(secret: str, request) -> Token:
    """The live token with this secret (marked as used), or AuthenticationFailed (401).

    A token that authenticates always passes: others' failures from the same address (a NAT,
    a shared proxy) never lock it out, so nobody can stop an alert receiver by guessing next to
    it. Failures are counted per client address (OPENOPS_TOKEN_FAILURE_RATE in any sixty
    seconds); over it a failed guess answers 429 instead of 401. Guessing stays pointless: a
    secret holds 256 random bits, and each guess costs one indexed lookup of its digest."""
    token = (
        Token.objects.select_related("user", "provider")
        .filter(digest=hash_token(secret), revoked_at__isnull=True)
        .first()
        if secret
        else None
    )
    if token is None or (token.user is not None and not token.user.is_active):
        key = f"token-failures:{get_client_ip_address(request) or 'unknown'}"
        allowed, retry_after = ratelimit.hit(key, settings.OPENOPS_TOKEN_FAILURE_RATE)
        if not allowed:
            raise Throttled(retry_after, "Too many failed token authentications from this address.")
        raise AuthenticationFailed("The token is not valid or was revoked.")
    touch_token(token)
    return token
