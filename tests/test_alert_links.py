"""Alert routes, resolution and /r/ links through the database and real HTTP (DESIGN §4)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from runbooks import resolution
from runbooks.actors import SYSTEM
from runbooks.choices import Status, Visibility
from runbooks.models import AlertRoute, Provider, RunbookMiss, Scope
from runbooks.services import routes, tokens
from tests.api import ApiClient, validate
from tests.conftest import client_for


@pytest.fixture
def community(alice, make_runbook):
    return make_runbook(alice, title="Pod crash looping", component="kubernetes")


@pytest.fixture
def route(alice, community):
    return routes.save_route(alertname="KubePodCrashLooping", runbook=community, actor=alice)


def _resolve(name, labels=None, provider=None, component=None):
    found = resolution.resolve(name, labels or {}, provider, component)
    return found.runbook.slug if found else None


def test_names_match_case_insensitively_and_odd_names_work(alice, make_runbook):
    runbook = make_runbook(alice, title="OSDs down")
    for name in ["10% OSDs down", "ceph.osd.down", "Überlast", "name with  spaces"]:
        routes.save_route(alertname=name, runbook=runbook, actor=alice)
        assert _resolve(name.upper()) == runbook.slug


def test_another_providers_routes_are_never_used(alice, bob, provider_a, provider_b, make_runbook):
    of_b = make_runbook(bob, title="B's own", provider=provider_b)
    routes.save_route(alertname="NodeDown", runbook=of_b, provider=provider_b, actor=bob)
    assert _resolve("NodeDown", provider=provider_b) == of_b.slug
    assert _resolve("NodeDown", provider=provider_a) is None
    assert _resolve("NodeDown") is None


def test_a_scoped_route_wins_for_its_provider_only(
    alice, provider_a, community, route, make_runbook
):
    own = make_runbook(alice, title="A's crash loop runbook", provider=provider_a)
    routes.save_route(
        alertname="KubePodCrashLooping", runbook=own, provider=provider_a, actor=SYSTEM
    )
    assert _resolve("KubePodCrashLooping", provider=provider_a) == own.slug
    assert _resolve("KubePodCrashLooping") == community.slug


def test_invisible_runbooks_are_never_resolved(alice, provider_a, make_runbook):
    private = make_runbook(alice, provider=provider_a, visibility=Visibility.PROVIDER)
    routes.save_route(alertname="Secret", runbook=private, provider=provider_a, actor=SYSTEM)
    draft = make_runbook(alice, title="Draft", status=Status.DRAFT)
    routes.save_route(alertname="Drafty", runbook=draft, actor=SYSTEM)
    assert _resolve("Secret", provider=provider_a) == private.slug
    assert _resolve("Secret") is None
    assert _resolve("Drafty", provider=provider_a) is None


def test_matchers_and_absent_labels(alice, community, make_runbook):
    critical = make_runbook(alice, title="Critical crash loop")
    routes.save_route(alertname="KubePodCrashLooping", runbook=community, actor=SYSTEM)
    routes.save_route(
        alertname="KubePodCrashLooping",
        runbook=critical,
        matchers=[{"label": "severity", "op": "=", "value": "critical"}],
        actor=SYSTEM,
    )
    assert _resolve("KubePodCrashLooping", {"severity": "critical"}) == critical.slug
    assert _resolve("KubePodCrashLooping", {"severity": "warning"}) == community.slug
    assert _resolve("KubePodCrashLooping", {}) == community.slug


def test_resolution_costs_one_query_whatever_the_number_of_routes(alice, community):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            resolution.resolve("KubePodCrashLooping", {"severity": "x"}, None)
        return len(captured)

    routes.save_route(alertname="KubePodCrashLooping", runbook=community, actor=SYSTEM)
    few = queries()
    AlertRoute.objects.bulk_create(
        AlertRoute(alertname=f"Other{i}", alertname_key=f"other{i}", runbook=community)
        for i in range(2000)
    )
    assert queries() == few == 1


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"alertname": "  "}, "alertname"),
        ({"matchers": [{"label": "a", "op": "=~", "value": "("}]}, "matchers"),
        ({"matchers": [{"label": "a", "op": "=="}]}, "matchers"),
        ({"provider": "b"}, "runbook"),
    ],
)
def test_bad_routes_are_refused_at_save(alice, provider_b, community, make_runbook, changes, field):
    from django.core.exceptions import ValidationError

    of_a = make_runbook(alice, title="Of A", provider=Provider.objects.get(slug="provider-a"))
    arguments = {"alertname": "X", "runbook": community, **changes}
    if arguments.get("provider") == "b":
        arguments.update(provider=provider_b, runbook=of_a)
    with pytest.raises(ValidationError) as error:
        routes.save_route(**arguments, actor=SYSTEM)
    assert field in error.value.message_dict
    assert not AlertRoute.objects.exists()


# --- /r/ links ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/r/KubePodCrashLooping",
        "/r/KubePodCrashLooping/",
        "/r/kubepodcrashlooping",
        "/r/kubernetes/KubePodCrashLooping",
        "/r/Kubernetes/KubePodCrashLooping/",
        "/r/?alertname=KubePodCrashLooping",
        "/r?alertname=KubePodCrashLooping",
    ],
)
def test_every_link_form_answers_302_directly(route, community, path):
    response = client_for(None).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/runbooks/{community.slug}/?")


def test_the_redirect_carries_the_alert_and_the_page_shows_it(route, community):
    response = client_for(None).get(
        "/r/KubePodCrashLooping?namespace=demo&pod=%3Cscript%3Ealert(1)%3C/script%3E"
    )
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query == {
        "alert": ["KubePodCrashLooping"],
        "label.namespace": ["demo"],
        "label.pod": ["<script>alert(1)</script>"],
    }
    page = client_for(None).get(response["Location"]).content.decode()
    assert "Opened from alert <code>KubePodCrashLooping</code>" in page
    assert 'namespace="demo"' in page
    assert "<script>alert(1)</script>" not in page  # escaped in the banner and the JSON
    assert '<script id="alert-labels" type="application/json">' in page


def test_names_with_a_slash_percent_and_unicode(alice, make_runbook):
    runbook = make_runbook(alice, title="Ceph")
    routes.save_route(alertname="10% OSDs down", runbook=runbook, actor=SYSTEM)
    routes.save_route(alertname="ceph/osd down", runbook=runbook, actor=SYSTEM)
    routes.save_route(alertname="Überlast", runbook=runbook, actor=SYSTEM)
    client = client_for(None)
    assert client.get("/r/10%25%20OSDs%20down").status_code == 302
    assert client.get("/r/?alertname=ceph%2Fosd%20down").status_code == 302
    assert client.get("/r/%C3%BCberlast/").status_code == 302


def test_no_match_is_a_helpful_404_that_counts_the_miss(alice, provider_a, make_runbook):
    make_runbook(alice, title="EtcdNoLeader handling")
    client = client_for(alice)
    response = client.get("/r/etcd/EtcdNoLeader")
    page = response.content.decode()
    assert response.status_code == 404
    assert "No runbook for <code>EtcdNoLeader</code> yet" in page
    assert (
        'href="/runbooks/new/?title=EtcdNoLeader&amp;alertname=EtcdNoLeader&amp;component=etcd"'
        in page
    )
    assert "EtcdNoLeader handling" in page  # a suggestion
    client.get("/r/etcdnoleader")
    miss = RunbookMiss.objects.get()
    assert (miss.alertname_key, miss.count, miss.provider) == ("etcdnoleader", 2, provider_a)


def test_the_provider_comes_from_the_parameter_else_the_only_membership(
    alice, bob, provider_a, provider_b, make_runbook
):
    own = make_runbook(alice, title="A's", provider=provider_a)
    routes.save_route(alertname="Disk", runbook=own, provider=provider_a, actor=SYSTEM)
    assert client_for(alice).get("/r/Disk").status_code == 302  # alice's only membership
    assert client_for(bob).get("/r/Disk").status_code == 404  # bob's is B
    assert client_for(bob).get("/r/Disk?provider=provider-a").status_code == 302  # public
    anonymous = client_for(None).get("/r/Disk?provider=PROVIDER-A")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/runbooks/")
    assert client_for(None).get("/r/Disk?provider=nowhere").status_code == 404


def test_an_anonymous_caller_is_offered_sign_in_for_a_private_runbook_as_for_none(
    alice, provider_a, make_runbook
):
    """The same answer as for no runbook at all (tests/test_no_oracle.py asks it of many)."""
    private = make_runbook(alice, provider=provider_a, visibility=Visibility.PROVIDER)
    routes.save_route(alertname="Private", runbook=private, provider=provider_a, actor=SYSTEM)
    response = client_for(None).get("/r/Private?provider=provider-a")
    assert response.status_code == 404 and "/accounts/login/?next=" in response.content.decode()
    assert private.slug not in response.content.decode()


def test_too_many_or_too_long_labels_are_refused(route):
    many = "&".join(f"l{i}=v" for i in range(65))
    assert client_for(None).get(f"/r/KubePodCrashLooping?{many}").status_code == 400
    long = "x" * 1025
    assert client_for(None).get(f"/r/KubePodCrashLooping?pod={long}").status_code == 400


# --- JSON resolver and alert-routes API ------------------------------------------------------


def test_resolve_answers_the_same_as_json(route, community, alice):
    response = validate(ApiClient().get("/api/v1/resolve/?alertname=kubepodcrashlooping&pod=x"))
    assert response.status_code == 200
    body = response.json()
    assert body["runbook"]["slug"] == community.slug
    assert body["runbook"]["url"] == f"http://127.0.0.1:8000/runbooks/{community.slug}/"
    assert body["route"]["alertname"] == "KubePodCrashLooping"
    missing = validate(ApiClient().get("/api/v1/resolve/?alertname=Nothing"))
    assert missing.status_code == 401  # signed out, like a private runbook's (no oracle)
    signed_in = ApiClient(
        token=tokens.issue_token(name="t", scopes=[Scope.READ], user=alice, actor=SYSTEM)[1]
    )
    missing = validate(signed_in.get("/api/v1/resolve/?alertname=Nothing"))
    assert missing.status_code == 404 and "Nothing" in missing.json()["detail"]
    assert validate(ApiClient().get("/api/v1/resolve/")).status_code == 400


def test_resolve_uses_the_tokens_provider_and_hides_what_the_caller_may_not_see(
    alice, provider_a, make_runbook
):
    private = make_runbook(alice, provider=provider_a, visibility=Visibility.PROVIDER)
    routes.save_route(alertname="Private", runbook=private, provider=provider_a, actor=SYSTEM)
    token = tokens.issue_token(
        name="t", scopes=[Scope.READ], user=alice, provider=provider_a, actor=SYSTEM
    )[1]
    assert ApiClient(token=token).get("/api/v1/resolve/?alertname=Private").status_code == 200
    anonymous = ApiClient().get("/api/v1/resolve/?alertname=Private&provider=provider-a")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")


def test_alert_routes_api(alice, bob, provider_a, provider_b, community, make_runbook):
    of_a = make_runbook(alice, title="Of A", provider=provider_a)
    alice_api = ApiClient(
        token=tokens.issue_token(
            name="t", scopes=[Scope.READ, Scope.WRITE], user=alice, actor=SYSTEM
        )[1]
    )
    bob_api = ApiClient(
        token=tokens.issue_token(
            name="t", scopes=[Scope.READ, Scope.WRITE], user=bob, actor=SYSTEM
        )[1]
    )
    created = validate(
        alice_api.post(
            "/api/v1/alert-routes/",
            {
                "runbook": of_a.slug,
                "alertname": "CephOSDDown",
                "provider": "provider-a",
                "matchers": [{"label": "severity", "op": "=~", "value": "critical|major"}],
                "priority": 5,
            },
        )
    )
    assert created.status_code == 201 and created["Location"].endswith(f"/{created.json()['id']}/")
    url = f"/api/v1/alert-routes/{created.json()['id']}/"
    assert bob_api.get(url).status_code == 404  # another provider's route
    assert [r["alertname"] for r in bob_api.get("/api/v1/alert-routes/").json()["results"]] == []
    refused = validate(
        bob_api.post(
            "/api/v1/alert-routes/",
            {"runbook": community.slug, "alertname": "X", "provider": "provider-a"},
        )
    )
    assert refused.status_code == 403
    bad = validate(
        alice_api.post(
            "/api/v1/alert-routes/",
            {
                "runbook": of_a.slug,
                "alertname": "X",
                "provider": "provider-a",
                "matchers": [{"label": "a", "op": "=~", "value": "(x"}],
            },
        )
    )
    assert bad.status_code == 400 and "matchers" in bad.json()
    community_route = validate(
        bob_api.post("/api/v1/alert-routes/", {"runbook": community.slug, "alertname": "Y"})
    )
    assert community_route.status_code == 201 and community_route.json()["provider"] is None
    patched = validate(alice_api.patch(url, {"priority": 9}))
    assert (
        patched.json()["priority"] == 9
        and patched.json()["matchers"][0]["value"] == "critical|major"
    )
    assert validate(alice_api.delete(url)).status_code == 204


def test_routes_are_managed_from_the_runbook_page(alice, bob, dave, provider_a, community):
    client = client_for(alice)
    page = client.get(f"/runbooks/{community.slug}/").content.decode()
    assert "Add an alert route" in page
    response = client.post(
        f"/runbooks/{community.slug}/routes/",
        {
            "alertname": "KubePodNotReady",
            "matchers": 'namespace=~"kube-.*"',
            "scope": "community",
            "priority": 0,
        },
    )
    assert response.status_code == 302
    added = AlertRoute.objects.get(alertname="KubePodNotReady")
    assert added.matchers == [{"label": "namespace", "op": "=~", "value": "kube-.*"}]
    page = client.get(f"/runbooks/{community.slug}/").content.decode()
    assert "<code>KubePodNotReady</code>" in page
    bad = client.post(
        f"/runbooks/{community.slug}/routes/",
        {"alertname": "X", "matchers": 'a=~"("', "scope": "community", "priority": 0},
    )
    assert bad.status_code == 302 and AlertRoute.objects.count() == 1
    assert (
        "Add an alert route"
        not in client_for(dave).get(f"/runbooks/{community.slug}/").content.decode()
    )
    assert (
        client_for(dave).post(f"/runbooks/{community.slug}/routes/{added.pk}/delete/").status_code
        == 403
    )
    assert client.post(f"/runbooks/{community.slug}/routes/{added.pk}/delete/").status_code == 302
    assert not AlertRoute.objects.exists()
