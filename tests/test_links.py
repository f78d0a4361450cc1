"""Alert links come from one place (issue 30): an alert name with `/`, `%`, spaces, `#`, `?` or
non-ASCII in it gets a link that leads to its runbook from every place that prints one.

What prints an alert's `/r/` link: the runbook page (its routes, and the links a removal would
break), the search suggestions (header box and API), the coverage page's annotated rule files,
the demo's alerts (`runbook_url`), and the offline copy (a site link becomes its look-up page).
No mail, Atom feed or chat message prints an alert link: they link documents."""

import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from runbooks.coverage import rulefiles
from runbooks.demo.alerts import DemoAlert, _raw_alert
from runbooks.models import AlertRoute
from runbooks.services import routes
from tests.conftest import client_for
from tests.test_offline import NODE, _offline, export

# (alert name, a word of it that the search finds)
NAMES = [
    ("ceph/osd down", "ceph"),
    ("10% of disks full", "disks"),
    ("literal%2Fslash", "literal"),
    ("Überlast", "überlast"),
    ("Pager 🔥 burning", "pager"),
    ("why?query", "why"),
    ("alarm#seven", "alarm"),
    ("R&D backup failed", "backup"),
    ("c++ build broken", "build"),
    ("https://grafana.example/alerting?x=1", "grafana"),
    (".hidden.alert.", "hidden"),
    ("semi;colon=equals", "semi"),
]


@pytest.fixture
def routed(alice, make_runbook):
    """{alert name: its runbook}, one community runbook and route per name."""
    found = {}
    for name, word in NAMES:
        runbook = make_runbook(alice, title=f"{word} handling")
        routes.save_route(alertname=name, runbook=runbook, actor=alice)
        found[name] = runbook
    return found


def follow(link: str) -> tuple[str, str]:
    """(runbook path, alert name) that a printed link leads to, as a browser would follow it:
    the link's own site, a 302 from /r/ to the runbook with the alert's name in its query."""
    parts = urlsplit(link)
    if parts.netloc:
        assert f"{parts.scheme}://{parts.netloc}" == settings.BASE_URL, link
    response = Client().get(f"{parts.path}?{parts.query}" if parts.query else parts.path)
    assert response.status_code == 302, f"{link} answered {response.status_code}"
    target = urlsplit(response["Location"])
    return target.path, parse_qs(target.query)["alert"][0]


def printed_on_runbook_page(user, runbook, name: str) -> str:
    page = client_for(user).get(runbook.get_absolute_url()).content.decode()
    found = re.search(rf'<a href="([^"]*)"><code>{re.escape(html.escape(name))}</code></a>', page)
    assert found, name
    return html.unescape(found.group(1))


def printed_on_removal(user, runbook, route_pk: int) -> str:
    url = f"{runbook.get_absolute_url()}?remove_route={route_pk}"
    page = client_for(user).get(url).content.decode()
    return html.unescape(re.search(r'<ul class="links"><li><code>([^<]*)</code>', page).group(1))


def suggested(word: str, name: str) -> str:
    answer = client_for(None).get("/api/v1/search/suggest/", {"q": word}).json()
    return next(s["url"] for s in answer if s["kind"] == "alert" and s["label"] == name)


def annotated_by_coverage(user) -> dict[str, str]:
    """The `runbook_url` that the coverage page writes into a rule file, by alert name."""
    rules = "".join(
        f"  - alert: {json.dumps(name, ensure_ascii=False)}\n    expr: vector(1)\n"
        for name, _ in NAMES
    )
    text = f"groups:\n- name: general\n  rules:\n{rules}"
    answer = client_for(user).post(
        "/coverage/", {"text": text, "provider": "provider-a", "annotate": "1"}
    )
    assert answer.status_code == 200
    written = rulefiles.read("annotated.yaml", answer.content.decode())
    return {rule.alert: rule.runbook_url for rule in written.alerts}


def demo_runbook_url(name: str) -> str:
    alert = DemoAlert(name, "nordwolke", "warning", {"alertname": name}, timezone.now(), None)
    return _raw_alert(alert, resolved=False)["annotations"]["runbook_url"]


def test_every_producer_prints_a_link_that_leads_to_the_runbook(alice, routed):
    coverage = annotated_by_coverage(alice)
    for name, word in NAMES:
        runbook = routed[name]
        route = AlertRoute.objects.get(alertname=name)
        printed = {
            "runbook page": printed_on_runbook_page(alice, runbook, name),
            "removal": printed_on_removal(alice, runbook, route.pk),
            "search": suggested(word, name),
            "coverage": coverage[name],
            "demo": demo_runbook_url(name),
        }
        for producer, link in printed.items():
            assert follow(link) == (runbook.get_absolute_url(), name), (producer, name, link)


@pytest.mark.skipif(NODE is None, reason="the copy's look-up runs in JavaScript: needs node")
def test_the_offline_copy_leads_each_alert_link_to_the_runbook(
    tmp_path, alice, routed, make_runbook
):
    """The copy prints no /r/ link of its own: it turns the site's (here the runbook page's,
    copied into a text) into its look-up page, which must choose the same runbook."""
    body = "\n".join(
        f"- [{index}]({printed_on_runbook_page(alice, routed[name], name)})"
        for index, (name, _) in enumerate(NAMES)
    )
    index = make_runbook(alice, title="Every alert", body=f"## Alerts\n\n{body}\n")
    folder = export(tmp_path, alice)
    page = (folder / "runbooks" / f"{index.slug}.html").read_text()
    hrefs = [html.unescape(h) for h in re.findall(r'<a href="(\.\./alert\.html\?[^"]*)"', page)]
    assert len(hrefs) == len(NAMES)
    names = [parse_qs(urlsplit(href).query)["alertname"][0] for href in hrefs]
    assert names == [name for name, _ in NAMES]
    chosen = _offline(folder, [[name, {}, None, None] for name in names])
    assert [answer[1] for answer in chosen] == [
        f"runbooks/{routed[name].slug}.html" for name in names
    ]


def test_the_path_form_of_such_names_is_not_what_anyone_prints(alice, routed):
    """`/r/ceph%2Fosd%20down` reaches Django as `/r/ceph/osd down`: a component and a name."""
    assert Client().get("/r/ceph%2Fosd%20down").status_code == 404
    assert printed_on_runbook_page(alice, routed["ceph/osd down"], "ceph/osd down") != (
        "/r/ceph%2Fosd%20down"
    )


# --- alert_url itself ---------------------------------------------------------------------------


def test_alert_url_keeps_plain_names_in_the_path():
    from runbooks.links import alert_url

    assert alert_url("KubePodCrashLooping") == "/r/KubePodCrashLooping"
    assert alert_url("CephOSDDown", component="ceph") == "/r/ceph/CephOSDDown"
    assert alert_url("job:up.rate_5m~x-y") == "/r/job:up.rate_5m~x-y"
    assert alert_url("NodeDown", provider="provider-a") == "/r/NodeDown?provider=provider-a"


@pytest.mark.parametrize(
    ("name", "component", "expected"),
    [
        ("ceph/osd down", None, "/r?alertname=ceph%2Fosd+down"),
        ("10% full", None, "/r?alertname=10%25+full"),
        ("Überlast", None, "/r?alertname=%C3%9Cberlast"),
        ("a#b?c&d+e", None, "/r?alertname=a%23b%3Fc%26d%2Be"),
        ("..", None, "/r?alertname=.."),
        ("OSDDown", "ceph/rados", "/r?alertname=OSDDown&component=ceph%2Frados"),
        ("osd down", "ceph", "/r?alertname=osd+down&component=ceph"),
    ],
)
def test_alert_url_takes_the_query_form_when_the_path_would_not_hold_the_name(
    name, component, expected
):
    from runbooks.links import alert_url

    assert alert_url(name, component=component) == expected


def test_alert_url_puts_the_labels_after_the_scope_sorted_and_encoded():
    from runbooks.links import alert_url

    labels = {"severity": "critical", "instance": "10.0.0.1:9100", "job": "a&b c"}
    assert alert_url("DiskFull", provider="provider-a", labels=labels) == (
        "/r/DiskFull?provider=provider-a&instance=10.0.0.1%3A9100&job=a%26b+c&severity=critical"
    )
    # labels that /r/ would read as the name or the scope are not labels
    assert alert_url("x/y", labels={"alertname": "x/y", "provider": "b", "z": "1"}) == (
        "/r?alertname=x%2Fy&z=1"
    )


def test_the_query_form_carries_the_component(alice, make_runbook):
    """`?component=` narrows as `/r/<component>/<name>` does (DESIGN §4)."""
    ceph = make_runbook(alice, title="OSD down, Ceph side", component="ceph")
    rook = make_runbook(alice, title="OSD down, Rook side", component="kubernetes")
    routes.save_route(alertname="osd down", runbook=ceph, actor=alice)
    routes.save_route(alertname="osd down", runbook=rook, priority=5, actor=alice)
    from runbooks.links import alert_url

    assert follow(alert_url("osd down"))[0] == rook.get_absolute_url()
    assert follow(alert_url("osd down", component="ceph"))[0] == ceph.get_absolute_url()


def test_the_runbook_page_shows_the_annotation_with_prometheus_template(alice, routed):
    runbook = routed["Überlast"]
    page = client_for(alice).get(runbook.get_absolute_url()).content.decode()
    assert (
        "<code>runbook_url: http://127.0.0.1:8000/r/{{ $labels.alertname }}?provider=provider-a"
        "</code>" in page
    )
