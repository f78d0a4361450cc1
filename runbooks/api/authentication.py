"""`Authorization: Bearer <token>` authentication against hashed tokens."""

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

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
            raise AuthenticationFailed("The token is not valid.") from None
        token = token_for_secret(secret)
        return (token.user or AnonymousUser(), token)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="openops"'


def token_for_secret(secret: str) -> Token:
    """The live token with this secret (marked as used), or AuthenticationFailed (401)."""
    token = (
        Token.objects.select_related("user", "provider")
        .filter(digest=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or (token.user is not None and not token.user.is_active):
        raise AuthenticationFailed("The token is not valid or was revoked.")
    touch_token(token)
    return token
