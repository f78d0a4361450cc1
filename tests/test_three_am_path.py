"""The 3 am path as a new user meets it (issue 12): signed out at an alert link, routes that one
click must not break, "write this runbook" that remembers the alert, safe defaults, no dead
ends, and absolute links that work on any address."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.models import AlertRoute, RouteChange, Runbook, RunbookMiss, Scope
from runbooks.services import routes, tokens
from tests.api import ApiClient
from tests.conftest import PASSWORD, client_for


@pytest.fixture
def private_runbook(alice, provider_a, make_runbook):
    """Provider A's runbook for CephOSDFull, private to A, with a route scoped to A."""
    runbook = make_runbook(
        alice,
        title="Ceph OSD full",
        body="## Check\n\n```\nceph osd df $HOSTNAME\n```\n",
        provider=provider_a,
        visibility=Visibility.PROVIDER,
    )
    routes.save_route(actor=alice, alertname="CephOSDFull", runbook=runbook, provider=provider_a)
    return runbook


# --- 1. Signed out, an existing runbook must not look missing -------------------------------


def test_signed_out_the_miss_page_asks_to_sign_in_and_counts_nothing(private_runbook):
    response = Client().get("/r/CephOSDFull?hostname=stor07")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Sign in to look for your provider's runbook" in page
    assert "Write this runbook" not in page
    login = re.search(r'href="(/accounts/login/\?next=[^"]+)"', page).group(1)
    assert parse_qs(urlsplit(login.replace("&amp;", "&")).query)["next"] == [
        "/r/CephOSDFull?hostname=stor07"
    ]
    assert not RunbookMiss.objects.exists()


def test_the_sign_in_round_trip_lands_on_the_runbook_with_its_labels(private_runbook, alice):
    client = Client()
    page = client.get("/r/CephOSDFull?hostname=stor07").content.decode()
    login = re.search(r'href="(/accounts/login/\?next=[^"]+)"', page).group(1).replace("&amp;", "&")
    signed_in = client.post(login, {"username": "alice", "password": PASSWORD}, follow=True)
    final, _ = signed_in.redirect_chain[-1]
    assert final.startswith(private_runbook.get_absolute_url())
    assert "alert=CephOSDFull" in final and "label.hostname=stor07" in final
    assert signed_in.status_code == 200 and "Opened from alert" in signed_in.content.decode()


def test_signed_in_misses_are_still_counted(alice, provider_a):
    assert client_for(alice).get("/r/NoSuchAlert").status_code == 404
    assert RunbookMiss.objects.get().provider == provider_a
    assert ApiClient().get("/api/v1/resolve/?alertname=Other").status_code in (401, 404)
    assert RunbookMiss.objects.count() == 1


def test_members_get_the_runbook_url_hint_with_their_provider(private_runbook, alice, provider_a):
    page = client_for(alice).get(private_runbook.get_absolute_url()).content.decode()
    assert "$labels.alertname }}?provider=provider-a" in page


# --- 2. One click must not break an alert link for everyone ---------------------------------


@pytest.fixture
def community_route(alice, make_runbook):
    runbook = make_runbook(alice, title="Pod crash looping")
    return routes.save_route(actor=alice, alertname="KubePodCrashLooping", runbook=runbook)


def test_an_editor_of_another_provider_cannot_remove_a_community_route(community_route, bob):
    runbook = community_route.runbook
    page = client_for(bob).get(runbook.get_absolute_url()).content.decode()
    assert "remove_route=" not in page
    url = f"{runbook.get_absolute_url()}routes/{community_route.pk}/delete/"
    assert client_for(bob).post(url).status_code == 403
    secret = tokens.issue_token(actor=SYSTEM, name="t", scopes=[Scope.READ, Scope.WRITE], user=bob)
    api = ApiClient(token=secret[1])
    assert api.delete(f"/api/v1/alert-routes/{community_route.pk}/").status_code == 403
    patch = {"alertname": "Elsewhere"}
    assert api.patch(f"/api/v1/alert-routes/{community_route.pk}/", patch).status_code == 403
    assert Client().get("/r/KubePodCrashLooping").status_code == 302


def test_removal_asks_first_and_names_the_links_that_stop_working(community_route, alice):
    runbook = community_route.runbook
    page = client_for(alice).get(f"{runbook.get_absolute_url()}?remove_route={community_route.pk}")
    text = page.content.decode()
    assert "Remove the route for <code>KubePodCrashLooping</code>?" in text
    assert "/r/KubePodCrashLooping</code>" in text
    assert AlertRoute.objects.filter(pk=community_route.pk).exists()


def test_a_removed_route_shows_in_the_history_and_comes_back_with_one_click(
    community_route, alice, carol
):
    runbook = community_route.runbook
    url = f"{runbook.get_absolute_url()}routes/{community_route.pk}/delete/"
    assert client_for(carol).post(url).status_code == 302  # moderators may
    assert Client().get("/r/KubePodCrashLooping").status_code == 404
    history = client_for(alice).get(f"{runbook.get_absolute_url()}history/").content.decode()
    assert "<strong>removed</strong>" in history and "by carol" in history
    removed = RouteChange.objects.get(action="removed")
    restore = f"{runbook.get_absolute_url()}routes/changes/{removed.pk}/restore/"
    assert client_for(alice).post(restore).status_code == 302
    assert Client().get("/r/KubePodCrashLooping").status_code == 302
    actions = list(RouteChange.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["added", "removed", "restored"]


def test_the_owning_providers_editors_may_change_its_routes(private_runbook, erin, dave):
    route = AlertRoute.objects.get()
    url = f"{private_runbook.get_absolute_url()}routes/{route.pk}/delete/"
    assert client_for(dave).post(url).status_code == 403  # a reader
    assert client_for(erin).post(url).status_code == 302  # an admin of A, not the creator


# --- 5. "Write this runbook" remembers the alert --------------------------------------------


def test_write_this_runbook_prefills_and_creates_the_route(alice, provider_a):
    miss = client_for(alice).get("/r/ceph/CephMonQuorumLost").content.decode()
    write = re.search(r'href="(/runbooks/new/\?[^"]+)"', miss).group(1).replace("&amp;", "&")
    form = client_for(alice).get(write).content.decode()
    assert 'value="CephMonQuorumLost"' in form and 'name="component" value="ceph"' in form
    response = client_for(alice).post(
        write,
        {
            "title": "Ceph monitors lost quorum",
            "provider": provider_a.pk,
            "visibility": Visibility.PROVIDER,
            "component": "ceph",
            "alertname": "CephMonQuorumLost",
            "review_interval_days": 180,
            "body": "## Check\n",
        },
    )
    assert response.status_code == 302
    runbook = Runbook.objects.get()
    assert (
        client_for(alice)
        .get("/r/CephMonQuorumLost")["Location"]
        .startswith(runbook.get_absolute_url())
    )
    assert "CephMonQuorumLost" not in client_for(alice).get("/alerts/missing/").content.decode()


def test_runbooks_that_might_help_share_the_alert_names_words(alice, make_runbook):
    make_runbook(alice, title="Monitor quorum trouble", body="When ceph monitors disagree…")
    make_runbook(alice, title="Unrelated DNS", body="resolv.conf")
    page = client_for(alice).get("/r/CephMonQuorumLost").content.decode()
    assert "Monitor quorum trouble" in page and "Unrelated DNS" not in page


# --- 6. No risky defaults -------------------------------------------------------------------


def test_the_new_form_preselects_no_visibility(alice):
    page = client_for(alice).get("/runbooks/new/").content.decode()
    radios = re.findall(r'<input type="radio" name="visibility"[^>]*>', page)
    assert len(radios) == 3 and not any("checked" in radio for radio in radios)
    assert "only members of this document" in page


def test_the_edit_form_shows_visibility_to_those_who_may_change_it(
    alice, erin, provider_a, make_runbook
):
    runbook = make_runbook(erin, provider=provider_a)
    assert (
        'name="visibility"'
        in client_for(erin).get(f"{runbook.get_absolute_url()}edit/").content.decode()
    )
    assert (
        'name="visibility"'
        not in client_for(alice).get(f"{runbook.get_absolute_url()}edit/").content.decode()
    )
    client_for(erin).post(
        f"{runbook.get_absolute_url()}edit/",
        {
            "title": runbook.title,
            "body": "same",
            "base_revision": 1,
            "review_interval_days": 180,
            "visibility": Visibility.PROVIDER,
        },
    )
    runbook.refresh_from_db()
    assert runbook.visibility == Visibility.PROVIDER


# --- 7. No dead ends by role ----------------------------------------------------------------


def test_readers_are_not_offered_what_they_cannot_do(dave, alice):
    assert "New runbook" not in client_for(dave).get("/runbooks/").content.decode()
    assert "New runbook" in client_for(alice).get("/runbooks/").content.decode()


# --- 9. Absolute links follow the address the request came to --------------------------------


def test_without_a_base_url_links_use_the_requests_address(settings, alice, make_runbook):
    settings.BASE_URL = ""
    runbook = make_runbook(alice, kind=Kind.RUNBOOK)
    data = ApiClient().get(f"/api/v1/runbooks/{runbook.slug}/").json()
    assert data["url"] == f"http://testserver/runbooks/{runbook.slug}/"
    page = client_for(alice).get(runbook.get_absolute_url()).content.decode()
    assert "runbook_url: http://testserver/r/" in page


def test_readers_get_no_write_links_on_the_alert_pages(dave, alice, provider_a):
    routes.record_miss("QueueGrowing", provider_a)
    assert "/runbooks/new/" not in client_for(dave).get("/alerts/missing/").content.decode()
    assert "/runbooks/new/" in client_for(alice).get("/alerts/missing/").content.decode()


# --- 7. `make run` serves as a small production would ---------------------------------------


def test_make_run_serves_without_debug_with_a_secret_key_made_once_and_a_worker():
    """What `make run` runs, read from the Makefile: DEBUG off unless asked, a key made once
    under var/, static files collected, and the serve command (gunicorn plus a worker)."""
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:") :].split("\n\n")[0]
    assert "DEBUG=$${DEBUG:-false}" in makefile and "var/secret_key" in run
    assert "collectstatic" in run and "manage.py serve --host $(HOST) --port $(PORT)" in run
    assert "CELERY_BROKER_URL=$${CELERY_BROKER_URL-filesystem://}" in makefile


def test_a_filesystem_broker_keeps_its_folders_under_var():
    env = {**os.environ, "CELERY_BROKER_URL": "filesystem://", "DEBUG": "false"}
    env.update(SECRET_KEY="test-only", DATABASE_URL="sqlite:///:memory:")
    code = "from django.conf import settings as s; print(s.CELERY_BROKER_TRANSPORT_OPTIONS)"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "var/celery/queue" in done.stdout, done.stderr
    assert "'polling_interval': 0.1" in done.stdout  # a backlog drains in seconds, not minutes


def test_without_debug_a_missing_page_is_the_styled_404(client):
    page = client.get("/no/such/page/")
    assert page.status_code == 404 and "URLconf" not in page.content.decode()
    assert '<link rel="stylesheet"' in page.content.decode()
