"""Issue 22: runbook coverage of Prometheus alert rules — read in every shape, each alert
resolved as `/r/` resolves it, the rule files annotated without other changes, and bad input
answered clearly."""

import difflib
import io
import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import timezone

from runbooks.actors import SYSTEM
from runbooks.choices import Kind, Visibility
from runbooks.coverage import report, rulefiles
from runbooks.models import AlertRoute, Runbook, Scope
from runbooks.services import documents, routes, runbooks, tokens
from tests.api import ApiClient
from tests.conftest import client_for

RULES = Path(__file__).resolve().parent / "fixtures" / "rules"
STORAGE = RULES / "prometheus" / "storage.rules.yaml"
CLUSTER = RULES / "kube" / "cluster-prometheusRule.yaml"
SITE = "http://127.0.0.1:8000"


@pytest.fixture
def world(alice, provider_a):
    def runbook(title, component="", provider=None, **kwargs):
        return documents.create_document(
            kind=Kind.RUNBOOK,
            title=title,
            body="x",
            component=component,
            provider=provider,
            actor=alice,
            **kwargs,
        )

    def route(alertname, target, provider=None, matchers=()):
        routes.save_route(
            alertname=alertname,
            runbook=target,
            provider=provider,
            matchers=[dict(zip(("label", "op", "value"), m, strict=True)) for m in matchers],
            actor=alice,
        )

    found = {
        "any": runbook("Ceph OSD down", "ceph"),
        "critical": runbook(
            "Ceph OSD down, critical, at A",
            "ceph",
            provider_a,
            visibility=Visibility.PROVIDER,
        ),
        "pods": runbook("Pod crash looping", "kubernetes"),
        "nodes": runbook("Node not ready", "kubernetes"),
        "volumes": runbook("Volume stuck deleting", "cinder"),
        "nearfull": runbook("Ceph OSD near full", "ceph"),
    }
    route("CephOSDDown", found["any"])
    route("CephOSDDown", found["critical"], provider_a, [("severity", "=", "critical")])
    route("KubePodCrashLooping", found["pods"])
    route("KubeNodeNotReady", found["nodes"])
    route("VolumeStuckDeleting", found["volumes"])
    route("CephOSDNearFull", found["nearfull"])
    runbooks.mark_reviewed(found["nodes"], actor=alice, when=timezone.now() - timedelta(400))
    return found


def coverage_json(*paths, **options) -> dict:
    out = io.StringIO()
    call_command("rule_coverage", *map(str, paths), format="json", stdout=out, **options)
    return json.loads(out.getvalue())


# --- Reading rule files ------------------------------------------------------------------------


def test_every_shape_of_rule_file_is_read():
    plain = rulefiles.read("storage", STORAGE.read_text())
    assert [a.alert for a in plain.alerts] == [
        "CephOSDDown",
        "CephOSDDown",
        "Disk 95% full on control node",
        "VolumeStuckDeleting",
    ]
    assert plain.recording == 1  # skipped, counted
    assert plain.alerts[0].labels == {"severity": "critical"}
    assert plain.alerts[1].labels == {"severity": "warning", "team": "{{ $labels.team }}"}
    assert plain.alerts[2].runbook_url == "https://wiki.example.org/disk-full"
    bundle = rulefiles.read("cluster", CLUSTER.read_text())  # two PrometheusRules, a Deployment
    assert [(a.group, a.alert) for a in bundle.alerts] == [
        ("kubernetes-apps", "KubePodCrashLooping"),
        ("node", "KubeNodeNotReady"),
    ]
    assert bundle.skipped_documents == 1 and bundle.recording == 1
    assert [a.where for a in bundle.alerts] == [(0, 0, 0), (2, 0, 0)]


def test_a_folder_is_read_recursively_and_its_other_yaml_files_passed_over(world):
    found = coverage_json(RULES / "folder", provider="provider-a")
    assert [(a["file"].split("folder/")[1], a["alert"]) for a in found["alerts"]] == [
        ("apps/pods.yaml", "PodNotReady"),
        ("ceph/osd.yml", "CephOSDNearFull"),
    ]
    assert (found["total"], found["covered"], found["coverage"]) == (2, 1, 50.0)


# --- Coverage ----------------------------------------------------------------------------------


def test_each_alert_gets_the_runbook_r_opens_with_the_rules_labels(world, alice):
    found = coverage_json(STORAGE, CLUSTER, provider="provider-a")
    assert set(found) == {"total", "covered", "coverage", "alerts"}
    assert (found["total"], found["covered"], found["coverage"]) == (6, 5, 83.3)
    slugs = [a["runbook"] for a in found["alerts"]]
    assert slugs == [
        world["critical"].slug,  # severity=critical selects A's label-matched route
        world["any"].slug,  # severity=warning does not: the community route
        None,
        world["volumes"].slug,
        world["pods"].slug,
        world["nodes"].slug,
    ]
    client = client_for(alice)
    for alert in found["alerts"]:
        query = {**alert["labels"], "provider": "provider-a", "alertname": alert["alert"]}
        response = client.get(f"/r/?{urlencode(query)}")
        online = (
            urlsplit(response["Location"]).path.split("/")[2]
            if response.status_code == 302
            else None
        )
        assert online == alert["runbook"], alert["alert"]


def test_runbook_url_and_freshness_are_reported(world):
    found = coverage_json(STORAGE, CLUSTER, provider="provider-a")["alerts"]
    assert [a["runbook_url"] for a in found] == ["none", "none", "other", "openops", "none", "none"]
    assert [a["stale"] for a in found] == [False, False, None, False, False, True]


def test_without_a_provider_only_community_routes_count(world):
    found = coverage_json(STORAGE)
    assert found["alerts"][0]["runbook"] == world["any"].slug  # A's route is not for everyone


def test_text_output_has_totals_per_file_and_fail_under_exits_1(world):
    out = io.StringIO()
    call_command("rule_coverage", str(STORAGE), str(CLUSTER), provider="provider-a", stdout=out)
    text = out.getvalue()
    assert f"{STORAGE}  (3/4 with a runbook)" in text and f"{CLUSTER}  (2/2 with a runbook)" in text
    assert "NO RUNBOOK" in text and "review overdue" in text
    assert "5 of 6 alerts open a runbook (83.3 %), for provider-a." in text
    call_command("rule_coverage", str(STORAGE), fail_under=50, stdout=io.StringIO())
    with pytest.raises(CommandError, match="below 90 %") as refused:
        call_command("rule_coverage", str(STORAGE), fail_under=90, stdout=io.StringIO())
    assert refused.value.returncode == 1


# --- Annotating --------------------------------------------------------------------------------


def test_annotate_adds_runbook_url_and_changes_nothing_else(world, tmp_path):
    out = tmp_path / "out"
    coverage_json(STORAGE, CLUSTER, RULES / "folder", provider="provider-a", annotate=str(out))
    for original, copy in [
        (STORAGE, out / STORAGE.name),
        (CLUSTER, out / CLUSTER.name),
        (RULES / "folder/ceph/osd.yml", out / "ceph/osd.yml"),
    ]:
        before, after = original.read_text(), copy.read_text()
        changes = [
            line
            for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert changes and all(line.startswith("+") for line in changes), changes
        assert all(
            "runbook_url: " in line or line[1:].strip() == "annotations:" for line in changes
        )
    assert "# Recording rules are not alerts" in (out / STORAGE.name).read_text()
    annotated = rulefiles.read("x", (out / STORAGE.name).read_text())
    urls = [a.runbook_url for a in annotated.alerts]
    assert urls[2] == "https://wiki.example.org/disk-full"  # its own is kept
    assert urls[0] == f"{SITE}/r/CephOSDDown?provider=provider-a"
    pods = rulefiles.read("x", (out / CLUSTER.name).read_text()).alerts[0].runbook_url
    assert pods == f"{SITE}/r/kubernetes/KubePodCrashLooping?provider=provider-a"  # its group
    ready = rulefiles.read("x", (out / "apps/pods.yaml").read_text()).alerts[0].runbook_url
    assert ready == f"{SITE}/r/PodNotReady?provider=provider-a"  # no component named
    osd = rulefiles.read("x", (out / "ceph/osd.yml").read_text()).alerts[0].runbook_url
    assert osd == f"{SITE}/r/ceph/CephOSDNearFull?provider=provider-a"  # the folder names it


def test_annotated_links_open_the_runbook_the_report_names(world, alice, tmp_path):
    out = tmp_path / "out"
    found = coverage_json(STORAGE, provider="provider-a", annotate=str(out))["alerts"]
    annotated = rulefiles.read("x", (out / STORAGE.name).read_text()).alerts
    client = client_for(alice)
    for alert, rule in zip(found, annotated, strict=True):
        if alert["runbook_url"] != "none":
            continue
        parts = urlsplit(rule.runbook_url)
        response = client.get(parts.path, {**parse_qs(parts.query), **alert["labels"]})
        if alert["runbook"]:
            assert response.status_code == 302
            assert urlsplit(response["Location"]).path.split("/")[2] == alert["runbook"]
        else:
            assert response.status_code == 404  # the "write this runbook" page


def test_names_with_spaces_percent_and_slashes_get_working_links(world, alice, tmp_path):
    rules = tmp_path / "odd.yaml"
    rules.write_text(
        "groups:\n- name: odd\n  rules:\n  - alert: 'Ceph 100% down'\n  - alert: api/v1 errors\n"
    )
    for alertname in ("Ceph 100% down", "api/v1 errors"):
        routes.save_route(alertname=alertname, runbook=world["any"], actor=alice)
    out = tmp_path / "out"
    found = coverage_json(rules, annotate=str(out))
    assert found["covered"] == 2
    client = client_for(alice)
    for rule in rulefiles.read("x", (out / "odd.yaml").read_text()).alerts:
        parts = urlsplit(rule.runbook_url)
        response = client.get(parts.path, parse_qs(parts.query))
        assert response.status_code == 302, rule.runbook_url


def test_annotate_needs_the_sites_address(world, tmp_path, settings):
    settings.BASE_URL = ""
    with pytest.raises(CommandError, match="OPENOPS_BASE_URL"):
        coverage_json(STORAGE, annotate=str(tmp_path / "out"))


# --- Bad input ---------------------------------------------------------------------------------

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
r: &r {alert: Boom, expr: up}
s: &s [*r,*r,*r,*r,*r,*r,*r,*r,*r,*r,*r,*r,*r,*r,*r,*r,*r,*r,*r,*r]
t: &t {name: t, rules: *s}
groups: [*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t,*t]
"""
MANY = "s: &s [" + ",".join(["{alert: Boom, expr: up}"] * 1000) + "]\n"
MANY += "groups: [" + ",".join(["{name: g, rules: *s}"] * 100) + "]\n"

BAD = {
    "not-yaml": ("groups: [ {name: x", "not YAML"),
    "not-a-rule-file": ("- just\n- a list\n", "a mapping with `groups`"),
    "no-groups": ("replicas: 2\n", "no `groups`"),
    "rule-without-alert": ("groups:\n- name: g\n  rules:\n  - expr: up == 0\n", "needs `alert`"),
    "alert-and-record": ("groups:\n- name: g\n  rules:\n  - {alert: A, record: b}\n", "not both"),
    "group-without-name": ("groups:\n- rules: []\n", "needs a `name`"),
    "labels-not-a-map": ("groups:\n- name: g\n  rules:\n  - {alert: A, labels: [a]}\n", "mapping"),
    "deep": ("groups: " + "[" * 100 + "]" * 100 + "\n", "nested more than"),
    "python-tag": ("groups: !!python/object/apply:os.system ['true']\n", "not YAML"),
    "too-many-rules": (MANY, "more than 20000 rules"),
    "empty": ("", "no rule groups"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_rule_files_get_a_clear_error(tmp_path, world, case):
    text, message = BAD[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    with pytest.raises(CommandError, match=message):
        coverage_json(path)


def test_a_yaml_bomb_stays_small(tmp_path, world):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)  # 9^7 strings by reference, 500 alerts through two aliases
    found = coverage_json(path)
    assert found["total"] == 500 and found["covered"] == 0


def test_a_missing_path_and_an_unknown_provider_are_named(world):
    with pytest.raises(CommandError, match="no such file or folder"):
        coverage_json("/nonexistent/rules.yaml")
    with pytest.raises(CommandError, match="no provider"):
        coverage_json(STORAGE, provider="nowhere")


# --- The page ----------------------------------------------------------------------------------


def test_the_page_shows_uncovered_alerts_first_with_a_link_to_write_them(world, alice):
    client = client_for(alice)
    assert client_for(None).get("/coverage/").status_code == 302  # signed-in members only
    page = client.get("/coverage/")
    assert page.status_code == 200 and b'href="/coverage/"' in page.content  # in the menu
    with STORAGE.open("rb") as upload:
        answer = client.post("/coverage/", {"files": [upload], "provider": "provider-a"})
    html = answer.content.decode()
    assert answer.status_code == 200 and "3 of 4 alerts open a runbook (75.0 %)" in html
    assert html.index("Disk 95% full on control node") < html.index(world["critical"].title)
    assert "Write this runbook" in html and world["critical"].title in html


def test_write_this_runbook_prefills_and_creates_the_label_matched_route(world, alice):
    text = "groups:\n- name: ceph\n  rules:\n  - alert: CephMonDown\n"
    text += "    labels: {severity: critical}\n"
    client = client_for(alice)
    html = client.post("/coverage/", {"text": text, "provider": "provider-a"}).content.decode()
    link = html.split('class="button small" href="')[1].split('"')[0].replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query["alertname"] == ["CephMonDown"] and query["component"] == ["ceph"]
    assert query["matchers"] == ['severity="critical"']
    form = client.get(link)
    assert (
        form.status_code == 200 and 'value="severity=&quot;critical&quot;"' in form.content.decode()
    )
    created = client.post(
        "/runbooks/new/",
        {
            "title": "CephMonDown",
            "provider": str(world["critical"].provider_id),
            "visibility": "public",
            "component": "ceph",
            "alertname": "CephMonDown",
            "matchers": 'severity="critical"',
            "review_interval_days": "180",
            "body": "## Check the monitors\n",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    route = AlertRoute.objects.get(alertname="CephMonDown")
    assert route.matchers == [{"label": "severity", "op": "=", "value": "critical"}]
    again = client.post("/coverage/", {"text": text, "provider": "provider-a"}).content.decode()
    assert "1 of 1 alert open a runbook" in again


def test_the_page_downloads_the_annotated_files(world, alice):
    client = client_for(alice)
    sources = {"source_name": ["storage.yaml"], "source": [STORAGE.read_text()]}
    one = client.post("/coverage/", {**sources, "provider": "provider-a", "annotate": "1"})
    assert one["Content-Disposition"] == 'attachment; filename="storage.yaml"'
    assert "runbook_url: http://127.0.0.1:8000/r/CephOSDDown?provider=provider-a" in (
        one.content.decode()
    )
    both = {
        "source_name": ["storage.yaml", "cluster.yaml"],
        "source": [STORAGE.read_text(), CLUSTER.read_text()],
    }
    two = client.post("/coverage/", {**both, "annotate": "1"})
    assert two["Content-Type"] == "application/zip"


@pytest.mark.parametrize("case", ["not-yaml", "rule-without-alert", "deep", "python-tag"])
def test_the_page_and_the_api_answer_bad_files_clearly(world, alice, case):
    text, message = BAD[case]
    page = client_for(alice).post("/coverage/", {"text": text})
    assert page.status_code == 400 and message.split("`")[0] in page.content.decode()
    api = client_for(alice).post("/api/v1/coverage/", text, content_type="application/yaml")
    assert api.status_code == 400 and message.split("`")[0] in json.dumps(api.json())


def test_uploads_over_2_mb_are_refused_before_they_are_read(world, alice):
    big = "# padding\n" * 300_000  # 3 MB
    page = client_for(alice).post("/coverage/", {"text": big})
    assert page.status_code == 413
    api = client_for(alice).post("/api/v1/coverage/", big, content_type="application/yaml")
    assert api.status_code == 413


def test_the_page_refuses_a_provider_that_is_not_the_users(world, bob):
    page = client_for(bob).post(
        "/coverage/", {"text": STORAGE.read_text(), "provider": "provider-a"}
    )
    assert page.status_code == 400 and world["critical"].title not in page.content.decode()


# --- The API -----------------------------------------------------------------------------------


def test_the_api_answers_as_the_command_does(world, alice):
    _, secret = tokens.issue_token(name="ci", scopes=[Scope.READ], user=alice, actor=SYSTEM)
    api = ApiClient(token=secret)
    response = api.client.post(
        "/api/v1/coverage/?provider=provider-a",
        STORAGE.read_text(),
        content_type="application/yaml",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200
    body = response.json()
    expected = coverage_json(STORAGE, provider="provider-a")
    assert body["coverage"] == expected["coverage"]
    assert [(a["alert"], a["runbook"]) for a in body["alerts"]] == [
        (a["alert"], a["runbook"]) for a in expected["alerts"]
    ]
    assert not Runbook.objects.filter(title__startswith="Disk 95%").exists()  # nothing stored


def test_the_api_refuses_strangers_and_other_providers(world, bob):
    anonymous = client_for(None).post(
        "/api/v1/coverage/", STORAGE.read_text(), content_type="application/yaml"
    )
    assert anonymous.status_code == 401
    other = client_for(bob).post(
        "/api/v1/coverage/?provider=provider-a",
        STORAGE.read_text(),
        content_type="application/yaml",
    )
    assert other.status_code == 400 and "not a member" in other.content.decode()


def test_json_rule_files_are_yaml_too(world, alice):
    as_json = json.dumps(yaml.safe_load(STORAGE.read_text()))
    response = client_for(alice).post(
        "/api/v1/coverage/?provider=provider-a", as_json, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["total"] == 4


def test_coverage_of_the_component_form_matches_r_component(world):
    rule = rulefiles.AlertRule(
        file="f", group="ceph", alert="CephOSDDown", labels={}, runbook_url="", where=(0, 0, 0)
    )
    assert report.component_of(rule, {"ceph": "ceph"}) == "ceph"
    dotted = rulefiles.AlertRule(
        file="f", group="ceph-osd.rules", alert="X", labels={}, runbook_url="", where=(0, 0, 0)
    )
    assert report.component_of(dotted, {"ceph": "ceph"}) == "ceph"
    assert report.classify("https://elsewhere.example/r/X", SITE) == report.OTHER
    assert report.classify(f"{SITE}/r/X?provider=a", SITE) == report.OPENOPS
    assert report.classify("/r/X", "") == report.OPENOPS
    assert report.classify("", SITE) == report.NONE


FLOW_AND_ALIASES = """\
# flow style and aliases
groups:
- name: odd
  rules:
  - {alert: FlowRule, expr: up == 0}
  - alert: FlowAnnotations
    expr: up == 0
    annotations: {summary: "it is down"}
  - alert: EmptyAnnotations
    expr: up == 0
    annotations:
  - &shared
    alert: Shared
    expr: up == 0
  - *shared
  - alert: CommonAnnotations
    expr: up == 0
    annotations: &common
      summary: down
  - alert: SharesAnnotations
    expr: up == 0
    annotations: *common
  - alert: LastLineWithoutNewline
    expr: |
      up == 0
    labels:
      severity: critical"""


def test_annotate_handles_flow_style_empty_annotations_aliases_and_a_last_line(world, tmp_path):
    path = tmp_path / "odd.yaml"
    path.write_text(FLOW_AND_ALIASES)
    out = tmp_path / "out"
    err = io.StringIO()
    call_command("rule_coverage", str(path), annotate=str(out), stdout=io.StringIO(), stderr=err)
    annotated = (out / "odd.yaml").read_text()
    alerts = rulefiles.read("odd", annotated).alerts
    urls = {a.alert: a.runbook_url for a in alerts}
    assert urls["FlowRule"] == f"{SITE}/r/FlowRule"
    assert urls["FlowAnnotations"] == f"{SITE}/r/FlowAnnotations"
    assert urls["EmptyAnnotations"] == f"{SITE}/r/EmptyAnnotations"
    assert urls["LastLineWithoutNewline"] == f"{SITE}/r/LastLineWithoutNewline"
    assert urls["Shared"] == f"{SITE}/r/Shared"  # the anchored rule itself gets it, once
    assert urls["CommonAnnotations"] == f"{SITE}/r/CommonAnnotations"
    assert urls["SharesAnnotations"] == f"{SITE}/r/CommonAnnotations"  # the text is shared
    assert err.getvalue().count("left as it was (a YAML alias)") == 1
    assert "SharesAnnotations left as it was" in err.getvalue()
    assert "  - {alert: FlowRule, expr: up == 0, annotations: {runbook_url: " in annotated
    assert 'annotations: {summary: "it is down", runbook_url: ' in annotated
    assert annotated.startswith("# flow style and aliases\n")


def test_an_upload_that_is_not_text_is_refused_clearly(world, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("rules.yaml", b"\xff\xfe\x00groups")
    page = client_for(alice).post("/coverage/", {"files": [upload]})
    assert page.status_code == 400 and "rules.yaml is not UTF-8 text" in page.content.decode()
