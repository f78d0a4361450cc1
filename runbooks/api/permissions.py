"""Who may call what. Document-level rules live in runbooks.visibility; this adds token scopes
and the rule that writing needs someone signed in."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from runbooks.models import Scope, Token


def token_of(request) -> Token | None:
    return request.auth if isinstance(request.auth, Token) else None


class TokenScopes(BasePermission):
    """A token reads with `read` (or `write`) and writes with `write`; sessions are unaffected."""

    message = "This token's scopes do not allow this request."

    def has_permission(self, request, view) -> bool:
        token = token_of(request)
        if token is None:
            return True
        if request.method in SAFE_METHODS:
            return token.has_scope(Scope.READ) or token.has_scope(Scope.WRITE)
        return token.has_scope(Scope.WRITE)


class SignedInToWrite(BasePermission):
    """Anonymous callers read what anonymous visitors see; writing needs a user (401)."""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or bool(
            request.user and request.user.is_authenticated
        )
