"""Who may call what. Document-level rules live in runbooks.visibility and are asked through
runbooks.access, as the pages ask them; this adds token scopes, the rule that writing needs
someone signed in, and the API's words for a refusal (`api_refusals`)."""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
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


@contextmanager
def api_refusals(request):
    """The access helper's refusals as the API answers them: what the caller may not see (404)
    is a 401 for an anonymous caller, since signing in might help, and a 404 for anyone else;
    what they may see but not do is a 403 with the rule's reason."""
    try:
        yield
    except Http404:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(
                "Sign in (or send a token) to see this, if it exists."
            ) from None
        raise exceptions.NotFound() from None
    except PermissionDenied as refusal:
        raise exceptions.PermissionDenied(str(refusal) or None) from None


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


class RouteActions(BasePermission):
    """Changing or deleting a route is for its creator, its provider's editors and moderators
    (`runbooks.visibility.can_change_route`); others who see it get 403."""

    message = (
        "Only the route's creator, the editors of its provider and moderators change or remove it."
    )

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_change_route(request.user, obj)
