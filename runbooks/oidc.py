"""Sign-in with the operators' own OpenID Connect issuers (django-allauth's openid_connect
provider; issuers from OPENOPS_OIDC_PROVIDERS).

What OpenOps adds to the library:
- the ID token's signature is checked against the issuer's JWKS always, also when the token
  came straight from the token endpoint (allauth skips that check then, which the specification
  allows only over TLS; our tests and some deployments reach issuers over plain loopback HTTP),
  and only with asymmetric algorithms;
- users are made on first sign-in from `preferred_username` (else the e-mail's local part, else
  the subject), never matched to an existing local account;
- at every sign-in the groups claim (OPENOPS_OIDC_GROUPS_CLAIM) sets memberships: a group
  `openops:<provider-slug>:<reader|editor|admin>` makes the user a member with that role (the
  highest wins); a membership the claim made goes when its group goes; others stay as they are.
"""

import logging
from urllib.parse import urlencode, urlsplit

import jwt
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.decorators import login_not_required
from allauth.account.signals import user_logged_in
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthError
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import include, path

from runbooks import audit
from runbooks.actors import SYSTEM
from runbooks.models import ROLE_RANK, Membership, Provider
from runbooks.services import people

logger = logging.getLogger("openops.oidc")
LOGOUT_SESSION_KEY = "openops_oidc_logout"
SIGNING_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"}
GROUP_PREFIX = "openops:"


class VerifyingAdapter(OpenIDConnectOAuth2Adapter):
    """allauth's adapter, with the ID token's signature always checked."""

    def _decode_id_token(self, app, id_token: str) -> dict:
        try:
            algorithm = jwt.get_unverified_header(id_token).get("alg")
        except jwt.PyJWTError as exc:
            raise OAuth2Error("The ID token is not a JWT.") from exc
        if algorithm not in SIGNING_ALGORITHMS:
            raise OAuth2Error(f"The ID token is signed with {algorithm!r}, which is not allowed.")
        claims = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )
        self._remember_for_logout(app, id_token)
        return claims

    def _remember_for_logout(self, app, id_token: str) -> None:
        """Where signing out also ends the issuer's session (RP-initiated logout), when the
        issuer offers it on its own origin (the only one the CSP lets a form go on to)."""
        endpoint = self.openid_config.get("end_session_endpoint")
        if isinstance(endpoint, str) and _origin(endpoint) == _origin(
            self.get_provider().server_url
        ):
            self.request.session[LOGOUT_SESSION_KEY] = {
                "endpoint": endpoint,
                "id_token_hint": id_token,
                "client_id": app.client_id,
            }


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def issuer_logout_url(request, session_data, after: str) -> str | None:
    """The issuer's end-session address for the session being closed, or None."""
    if not isinstance(session_data, dict) or not session_data.get("endpoint"):
        return None
    query = urlencode(
        {
            "id_token_hint": session_data.get("id_token_hint", ""),
            "client_id": session_data.get("client_id", ""),
            "post_logout_redirect_uri": request.build_absolute_uri(after),
        }
    )
    separator = "&" if "?" in session_data["endpoint"] else "?"
    return f"{session_data['endpoint']}{separator}{query}"


def _adapter_view(view_class):
    @login_not_required
    def view(request, provider_id):
        try:
            return view_class.adapter_view(VerifyingAdapter(request, provider_id))(request)
        except SocialApp.DoesNotExist:
            raise Http404("No such sign-in provider.") from None

    return view


_start = _adapter_view(OAuth2LoginView)
callback = _adapter_view(OAuth2CallbackView)


def login(request, provider_id):
    """Sign in only: connecting an issuer's identity to the account already signed in here
    (allauth's `process=connect`) is not offered."""
    if request.GET.get("process", request.POST.get("process", "login")) != "login":
        return HttpResponseBadRequest("Only signing in is offered here.", content_type="text/plain")
    return _start(request, provider_id)


# /accounts/oidc/<id>/login/ and its callback, under the names allauth reverses.
urlpatterns = [
    path(
        "<slug:provider_id>/",
        include(
            [
                path("login/", login, name="openid_connect_login"),
                path("login/callback/", callback, name="openid_connect_callback"),
            ]
        ),
    )
]


class AccountAdapter(DefaultAccountAdapter):
    """Local accounts are made by admins (`add_member`), never by a sign-up form."""

    def is_open_for_signup(self, request):
        return False

    def respond_user_inactive(self, request, user):
        context = {"issuer": "your identity provider", "reason": "this account is disabled here."}
        return render(request, "registration/oidc_error.html", context, status=403)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Users come into being at their first sign-in through an issuer."""

    def is_open_for_signup(self, request, sociallogin):
        return True

    def is_auto_signup_allowed(self, request, sociallogin):
        return True

    def on_authentication_error(self, request, provider, error=None, exception=None, **kwargs):
        """Our own page with the reason (a bad signature, audience or expiry, a refusal at
        the issuer…), in the audit log as a failed sign-in; never a 500."""
        reason = _reason(error, exception)
        app = getattr(provider, "app", None)
        logger.warning(
            "sign-in with %s failed: %s", app.provider_id if app else provider.id, reason
        )
        audit.record(
            audit.Action.SIGNIN_FAILED,
            actor=None,
            target=f"{provider.name} (OpenID Connect)",
            detail={"reason": reason},
        )
        context = {"issuer": provider.name, "reason": reason}
        status = 400 if error == AuthError.CANCELLED else 401
        page = render(request, "registration/oidc_error.html", context, status=status)
        raise ImmediateHttpResponse(page)

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        claims = _claims(sociallogin)
        wanted = claims.get("preferred_username") or (claims.get("email") or "").split("@")[0]
        user.username = str(wanted or f"oidc-{sociallogin.account.uid}")[:150]
        return user  # allauth makes the username unique before saving


def _reason(error, exception) -> str:
    if error == AuthError.CANCELLED:
        return "the sign-in was cancelled at the identity provider."
    cause = exception.__cause__ if exception is not None else None
    if isinstance(cause, jwt.PyJWTError):
        return f"its ID token was refused ({cause})."
    if exception is not None:
        return f"{str(exception)[:200] or type(exception).__name__}."
    return "the identity provider's answer could not be used."


def _claims(sociallogin) -> dict:
    """The user's claims: the ID token's, completed by the userinfo answer."""
    extra = sociallogin.account.extra_data or {}
    claims = dict(extra.get("userinfo") or {})
    claims.update(extra.get("id_token") or {})
    return claims


def roles_from_groups(groups) -> dict[str, str]:
    """{provider slug: role} from `openops:<slug>:<role>` groups; the highest role wins."""
    roles: dict[str, str] = {}
    for group in groups if isinstance(groups, list) else []:
        if not isinstance(group, str) or not group.startswith(GROUP_PREFIX):
            continue
        slug, _, role = group[len(GROUP_PREFIX) :].rpartition(":")
        if role in ROLE_RANK and slug and ROLE_RANK[role] > ROLE_RANK.get(roles.get(slug), -1):
            roles[slug] = role
    return roles


@receiver(user_logged_in)
def _memberships_from_claim(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is None:
        return
    wanted = roles_from_groups(_claims(sociallogin).get(settings.OPENOPS_OIDC_GROUPS_CLAIM))
    providers = {p.slug: p for p in Provider.objects.filter(slug__in=wanted)}
    for slug in sorted(set(wanted) - set(providers)):
        logger.warning("%s: group names provider %r, which does not exist", user, slug)
    made_by_claim = Membership.objects.filter(user=user, from_claim=True).select_related("provider")
    with audit.acting_for(f"oidc {sociallogin.account.provider}"):
        for slug, provider in providers.items():
            people.set_membership(provider, user, wanted[slug], actor=SYSTEM, from_claim=True)
        for membership in made_by_claim.exclude(provider__slug__in=providers):
            people.remove_membership(membership.provider, user, actor=SYSTEM)
