"""Sign-in: the page, and the username that failed sign-ins are counted under (django-axes)."""

from django.conf import settings
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url

from runbooks.inputs import clean_text

MAX_USERNAME = 150  # Django's username length; axes stores it in a 255-character column


def counted_username(request, credentials: dict | None = None) -> str | None:
    """The username axes counts failures under, as sent, but storable: no NUL or lone
    surrogates, and no longer than a username can be (a longer one can match no account)."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username") if source else None
    if not isinstance(username, str):
        return None
    return clean_text(username)[:MAX_USERNAME]


class SignInView(LoginView):
    """Django's sign-in page, with a button for each OpenID Connect issuer (runbooks/oidc.py)."""

    def get_context_data(self, **kwargs):
        apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
        issuers = [{"id": app["provider_id"], "name": app["name"]} for app in apps]
        return super().get_context_data(issuers=issuers, **kwargs)


class SignOutView(LogoutView):
    """Ends the local session, and the issuer's too when the user came from one that offers
    it (runbooks/oidc.py): the browser goes on to the issuer, which sends it back home."""

    def post(self, request, *args, **kwargs):
        from runbooks import oidc

        issuer = request.session.get(oidc.LOGOUT_SESSION_KEY)
        response = super().post(request, *args, **kwargs)
        url = oidc.issuer_logout_url(request, issuer, resolve_url(settings.LOGOUT_REDIRECT_URL))
        return HttpResponseRedirect(url) if url else response
