"""Who may call what. Document-level rules live in runbooks.visibility; this adds token scopes
and the rule that writing needs someone signed in."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from runbooks import access
from runbooks.models import Scope, Token
from runbooks.visibility import can_change_route

# What each API action does to a document, in the terms of `runbooks.access` (the pages use
# the same names); anything not listed only reads it.
DOCUMENT_ACTIONS = {
    "partial_update": access.EDIT,
    "restore": access.EDIT,
    "review": access.EDIT,
    "publish": access.PUBLISH,
    "destroy": access.DELETE,
}


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


class DocumentActions(BasePermission):
    """The document rules of `runbooks.access`, by viewset action (403 with the reason)."""

    def has_object_permission(self, request, view, obj) -> bool:
        action = DOCUMENT_ACTIONS.get(view.action, access.VIEW)
        if access.allows(request.user, action, obj):
            return True
        self.message = access.RULES[action][1]
        return False


class RouteActions(BasePermission):
    """Changing or deleting a route is for its creator, its provider's editors and moderators
    (`runbooks.visibility.can_change_route`); others who see it get 403."""

    message = (
        "Only the route's creator, the editors of its provider and moderators change or remove it."
    )

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_change_route(request.user, obj)
