"""API tokens (DESIGN §3, §8): issued by a command or on /account/tokens/, shown once, hashed."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from runbooks.actors import SYSTEM
from runbooks.models import Scope, Token, hash_token
from runbooks.services import tokens
from tests.conftest import client_for

URL = "/account/tokens/"


def issue(*args) -> str:
    out = StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue()


# --- The issue_token command -----------------------------------------------------------------


def test_the_command_prints_the_secret_alone_on_the_last_line_and_stores_only_its_hash(alice):
    args = "--provider provider-a --name CI --scope read --scope alerts:write --user alice"
    output = issue(*args.split())
    lines = output.splitlines()
    secret = lines[-1]
    assert len(lines) >= 2 and secret == secret.strip() and " " not in secret
    token = Token.objects.get()
    assert token.digest == hash_token(secret)
    assert token.prefix == secret[:10] and token.user == alice
    assert token.provider.slug == "provider-a"
    assert sorted(token.scopes) == ["alerts:write", "read"]
    assert not any(secret in str(value) for value in model_to_dict(token).values())


def test_an_alerts_only_token_may_belong_to_the_provider_alone(provider_a):
    secret = issue("--provider", "provider-a", "--name", "AM", "--scope", "alerts:write")
    token = Token.objects.get(digest=hash_token(secret.splitlines()[-1]))
    assert token.user is None and token.provider == provider_a


@pytest.mark.parametrize(
    "args,message",
    [
        (["--provider", "nowhere", "--scope", "alerts:write"], "Unknown provider 'nowhere'"),
        (["--provider", "provider-a", "--scope", "admin"], "Unknown scope 'admin'"),
        (["--provider", "provider-a", "--scope", "read", "--user", "zoe"], "Unknown user 'zoe'"),
        (["--provider", "provider-a", "--scope", "read"], "act as a user"),
        (["--provider", "provider-a", "--scope", "write"], "act as a user"),
    ],
)
def test_the_command_refuses_bad_names_and_creates_nothing(alice, args, message):
    with pytest.raises(CommandError, match=message):
        issue("--name", "CI", *args)
    assert not Token.objects.exists()


# --- /account/tokens/ ------------------------------------------------------------------------


def test_the_page_lists_only_the_users_own_tokens(alice, bob, provider_a):
    tokens.issue_token(
        name="alice-ci", scopes=[Scope.READ], user=alice, provider=provider_a, actor=SYSTEM
    )
    tokens.issue_token(name="bob-ci", scopes=[Scope.READ], user=bob, actor=SYSTEM)
    body = client_for(alice).get(URL).content.decode()
    assert "alice-ci" in body and "Provider A" in body
    assert "bob-ci" not in body


def test_creating_a_token_shows_its_secret_once(alice, provider_a):
    client = client_for(alice)
    response = client.post(
        URL, {"name": "Grafana", "scopes": ["read", "alerts:write"], "provider": provider_a.pk}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["secret"]
    assert secret in response.content.decode() and "not shown again" in response.content.decode()
    token = Token.objects.get(digest=hash_token(secret))
    assert (token.user, token.provider, token.name) == (alice, provider_a, "Grafana")
    assert sorted(token.scopes) == ["alerts:write", "read"]
    again = client.get(URL).content.decode()
    assert "Grafana" in again and token.prefix in again
    assert secret not in again


def test_a_reader_may_not_issue_a_token_that_sends_alerts(dave, provider_a):
    response = client_for(dave).post(
        URL, {"name": "AM", "scopes": ["alerts:write"], "provider": provider_a.pk}
    )
    assert response.status_code == 200
    assert "Only editors and admins of Provider A" in response.context["form"].errors["provider"][0]
    assert response.context["secret"] is None
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    "data,field",
    [
        ({"name": "AM", "scopes": ["alerts:write"]}, "provider"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["root"]}, "scopes"),
        ({"name": "   ", "scopes": ["read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["read"], "provider": "999999"}, "provider"),
    ],
)
def test_bad_input_re_renders_the_form_with_a_message(alice, data, field):
    response = client_for(alice).post(URL, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Token.objects.exists()


def test_only_the_users_own_providers_may_be_chosen(alice, provider_b):
    data = {"name": "x", "scopes": ["alerts:write"], "provider": provider_b.pk}
    response = client_for(alice).post(URL, data)
    assert "provider" in response.context["form"].errors
    assert "Provider B" not in response.content.decode()
    assert not Token.objects.exists()


def test_revoking_sets_revoked_at_and_shows_a_message(alice):
    token, _ = tokens.issue_token(name="old", scopes=[Scope.READ], user=alice, actor=SYSTEM)
    response = client_for(alice).post(f"{URL}{token.pk}/revoke/", follow=True)
    assert response.redirect_chain[-1][0] == URL
    token.refresh_from_db()
    assert token.revoked_at is not None and not token.is_active
    assert "Revoked “old”" in response.content.decode()


def test_revoke_answers_post_only(alice):
    token, _ = tokens.issue_token(name="old", scopes=[Scope.READ], user=alice, actor=SYSTEM)
    assert client_for(alice).get(f"{URL}{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.is_active


def test_bob_cannot_revoke_alices_token(alice, bob):
    token, _ = tokens.issue_token(name="alice-ci", scopes=[Scope.READ], user=alice, actor=SYSTEM)
    assert client_for(bob).post(f"{URL}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.is_active


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in(db, method):
    response = getattr(client_for(None), method)(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
