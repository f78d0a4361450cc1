"""Federated sign-in over a real OpenID Connect flow on loopback (tests/oidc_issuer.py):
discovery, PKCE, the token endpoint, an RS256 ID token checked against the issuer's JWKS, users
made at first sign-in, memberships from the groups claim."""

import http.client
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from runbooks.actors import SYSTEM
from runbooks.models import AuditEntry, Membership, Role
from runbooks.services import people
from tests.oidc_issuer import CLIENT_ID, CLIENT_SECRET, Issuer

LOGIN = "/accounts/oidc/local/login/"


@pytest.fixture
def issuer(settings, db):
    running = Issuer()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "local",
                    "name": "Local Keycloak",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": running.url},
                }
            ],
        }
    }
    yield running
    running.stop()


def _sign_in(client: Client, issuer: Issuer, **form):
    """The browser's part: start at OpenOps, visit the issuer, come back with the code."""
    start = client.post(LOGIN, form)
    assert start.status_code == 302, start.content[:300]
    authorize = urlsplit(start["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == issuer.url
    connection = http.client.HTTPConnection(authorize.hostname, authorize.port, timeout=10)
    connection.request("GET", f"{authorize.path}?{authorize.query}")
    answer = connection.getresponse()
    assert answer.status == 302
    back = urlsplit(answer.getheader("Location"))
    return client.get(f"{back.path}?{back.query}")


def _user():
    return get_user_model().objects.get(username="olaf")


def test_the_sign_in_page_offers_the_issuer(issuer):
    page = Client().get("/accounts/login/").content.decode()
    assert f'action="{LOGIN}"' in page and "Sign in with Local Keycloak" in page


def test_first_sign_in_makes_the_user_and_their_memberships(issuer, provider_a, provider_b):
    issuer.groups = ["openops:provider-a:editor", "openops:provider-b:reader", "unrelated"]
    client = Client()
    done = _sign_in(client, issuer)
    assert done.status_code == 302 and done["Location"] == "/"
    user = _user()
    assert client.get("/").context["user"] == user
    assert {(m.provider.slug, m.role, m.from_claim) for m in user.memberships.all()} == {
        ("provider-a", Role.EDITOR, True),
        ("provider-b", Role.READER, True),
    }
    assert not user.has_usable_password()
    # PKCE was used, and the ID token came from the token endpoint and was verified
    assert issuer.token_requests[-1].get("code_verifier")
    signed_in = AuditEntry.objects.filter(action=AuditEntry.Action.SIGNED_IN, actor=user)
    assert signed_in.exists()
    roles = AuditEntry.objects.filter(action=AuditEntry.Action.ROLE_CHANGED, target="olaf")
    assert {(e.actor_name, e.via) for e in roles} == {("oidc local", "web")}


def test_the_highest_role_wins_and_a_changed_claim_changes_memberships(
    issuer, provider_a, provider_b
):
    issuer.groups = ["openops:provider-a:reader", "openops:provider-a:admin"]
    _sign_in(Client(), issuer)
    assert Membership.objects.get(user=_user()).role == Role.ADMIN
    issuer.groups = ["openops:provider-b:editor"]
    _sign_in(Client(), issuer)
    assert {(m.provider.slug, m.role) for m in _user().memberships.all()} == {
        ("provider-b", Role.EDITOR)
    }


def test_memberships_the_claim_did_not_make_are_left_alone(issuer, provider_a, provider_b):
    _sign_in(Client(), issuer)
    people.set_membership(provider_a, _user(), Role.EDITOR, actor=SYSTEM)  # an admin's doing
    issuer.groups = []
    _sign_in(Client(), issuer)
    assert {(m.provider.slug, m.from_claim) for m in _user().memberships.all()} == {
        ("provider-a", False)
    }


def test_an_existing_local_account_of_the_same_name_is_never_taken_over(issuer, db):
    local = people.ensure_user("olaf", "local-password-1", actor=SYSTEM)
    client = Client()
    _sign_in(client, issuer)
    signed_in = client.get("/").context["user"]
    assert signed_in.is_authenticated and signed_in.pk != local.pk
    assert signed_in.username != "olaf"


def test_an_account_disabled_here_is_refused_clearly(issuer):
    _sign_in(Client(), issuer)
    get_user_model().objects.filter(username="olaf").update(is_active=False)
    client = Client()
    refused = _sign_in(client, issuer)
    assert (
        refused.status_code == 403 and "this account is disabled here" in refused.content.decode()
    )
    assert not client.get("/").context["user"].is_authenticated


def test_a_local_account_with_the_same_email_stays_a_different_user(issuer, db):
    local = people.ensure_user(
        "o.local", "local-password-1", actor=SYSTEM, email="olaf@example.org"
    )
    client = Client()
    assert _sign_in(client, issuer).status_code == 302
    assert client.get("/").context["user"].pk != local.pk


def test_connecting_an_identity_to_the_signed_in_account_is_not_offered(issuer, alice):
    client = Client()
    client.force_login(alice)
    assert client.post(LOGIN, {"process": "connect"}).status_code == 400


def test_unknown_providers_and_roles_in_groups_are_ignored(issuer, provider_a):
    issuer.groups = ["openops:nowhere:admin", "openops:provider-a:owner", "openops::admin"]
    assert _sign_in(Client(), issuer).status_code == 302
    assert not _user().memberships.exists()


@pytest.mark.parametrize(
    "spoil, reason",
    [
        ("signature", "Signature verification failed"),
        ("audience", "Audience doesn't match"),
        ("expired", "Signature has expired"),
        ("issuer", "Invalid issuer"),
    ],
)
def test_a_bad_id_token_is_refused_with_a_clear_message(issuer, spoil, reason):
    """Also when the token came straight from the token endpoint: the signature is checked."""
    issuer.spoil = spoil
    client = Client()
    refused = _sign_in(client, issuer)
    assert refused.status_code == 401
    page = refused.content.decode()
    assert "could not sign you in with Local Keycloak" in page
    assert reason in page.replace("&#x27;", "'")
    failed = AuditEntry.objects.get(action=AuditEntry.Action.SIGNIN_FAILED)
    assert failed.target == "Local Keycloak (OpenID Connect)"
    assert not get_user_model().objects.filter(username="olaf").exists()
    assert not client.get("/").context["user"].is_authenticated


def test_local_sign_in_keeps_working_beside_it(issuer, alice):
    from tests.conftest import PASSWORD

    client = Client()
    done = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert done.status_code == 302


def test_signing_out_ends_the_issuers_session_too(issuer):
    client = Client()
    _sign_in(client, issuer)
    out = client.post("/accounts/logout/")
    assert out.status_code == 302
    target = urlsplit(out["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{issuer.url}/logout"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert query["client_id"] == [CLIENT_ID] and query["id_token_hint"][0].count(".") == 2
    assert not client.get("/").context["user"].is_authenticated


def test_a_local_user_signs_out_locally(issuer, alice):
    client = Client()
    client.force_login(alice)
    out = client.post("/accounts/logout/")
    assert out.status_code == 302 and out["Location"] == "/"


@pytest.mark.parametrize(
    "query",
    ["code=x&state=y", "state=%ED%A0%80", "error=access_denied&state=z", "code=" + "x" * 5000],
    ids=["unknown-state", "surrogate", "issuer-refused", "huge-code"],
)
def test_a_forged_or_broken_callback_never_500s_and_signs_nobody_in(issuer, query):
    client = Client()
    response = client.get(f"{LOGIN}callback/?{query}")
    assert 400 <= response.status_code < 500
    assert not client.get("/").context["user"].is_authenticated


def test_an_unknown_issuer_id_is_a_404(issuer):
    assert Client().post("/accounts/oidc/nobody/login/").status_code == 404


def test_starting_a_sign_in_needs_a_post(issuer):
    """A plain GET (a link, a prefetch) only asks; the page's own form continues."""
    response = Client().get(LOGIN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Continue to Local Keycloak" in page and 'method="post"' in page


def test_sign_in_comes_back_to_where_it_was_asked_for(issuer):
    assert _sign_in(Client(), issuer, next="/alerts/")["Location"] == "/alerts/"


def test_next_never_leads_off_the_site(issuer):
    done = _sign_in(Client(), issuer, next="https://evil.example/")
    assert done.status_code == 302 and not done["Location"].startswith("https://evil")
