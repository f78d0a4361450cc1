"""Rule coverage and `/r/` give one answer (DESIGN §4; issue 38): for every alert of some rule
files, the runbook coverage names is the one its own link opens, also when the link narrows
by a component (`/r/<component>/<alert>`) and two runbooks of different components serve the
same alert. Pinned as a table of rule files, folders and groups."""

from urllib.parse import urlsplit

import pytest

from runbooks.choices import Kind, Visibility
from runbooks.coverage import report, rulefiles
from runbooks.services import documents, routes
from tests.conftest import client_for


@pytest.fixture
def served(alice, provider_a):
    """CephOSDDown is served by a ceph runbook and by a higher-priority kubernetes one (which
    wins wherever no component narrows); A has its own nova runbook for NovaComputeDown."""

    def runbook(title, component, provider=None):
        return documents.create_document(
            kind=Kind.RUNBOOK,
            title=title,
            body="x",
            component=component,
            provider=provider,
            visibility=Visibility.PROVIDER if provider else None,
            actor=alice,
        )

    made = {
        "ceph": runbook("OSD down, Ceph side", "ceph"),
        "kubernetes": runbook("OSD down, Rook side", "kubernetes"),
        "nova": runbook("Compute down at A", "nova", provider_a),
        "any-nova": runbook("Compute down", ""),
    }
    routes.save_route(alertname="CephOSDDown", runbook=made["ceph"], actor=alice)
    routes.save_route(alertname="CephOSDDown", runbook=made["kubernetes"], priority=5, actor=alice)
    routes.save_route(alertname="NovaComputeDown", runbook=made["any-nova"], actor=alice)
    routes.save_route(
        alertname="NovaComputeDown", runbook=made["nova"], provider=provider_a, actor=alice
    )
    return made


def rules(group: str) -> str:
    return (
        f"groups:\n- name: {group}\n  rules:\n"
        "  - alert: CephOSDDown\n    expr: ceph_osd_up == 0\n"
        "  - alert: NovaComputeDown\n    expr: nova_up == 0\n"
        "  - alert: NothingServesThis\n    expr: vector(1)\n"
    )


# (folder, group) -> the runbook each of the three alerts should open, by key of `served`.
FILES = [
    ("", "general", {"CephOSDDown": "kubernetes", "NovaComputeDown": "nova"}),
    ("ceph", "general", {"CephOSDDown": "ceph", "NovaComputeDown": "nova"}),
    ("", "ceph", {"CephOSDDown": "ceph", "NovaComputeDown": "nova"}),
    ("", "ceph-osd.rules", {"CephOSDDown": "ceph", "NovaComputeDown": "nova"}),
    ("kubernetes", "ceph", {"CephOSDDown": "kubernetes", "NovaComputeDown": "nova"}),
    ("nova", "general", {"CephOSDDown": "kubernetes", "NovaComputeDown": "nova"}),
    ("cinder", "cinder", {"CephOSDDown": "kubernetes", "NovaComputeDown": "nova"}),
]


def opened_by(client, link: str) -> str | None:
    """The slug of the runbook a `/r/` link opens for this client, or None."""
    response = client.get(link)
    if response.status_code != 302:
        return None
    return urlsplit(response["Location"]).path.rstrip("/").split("/")[-1]


@pytest.mark.parametrize(("folder", "group", "expected"), FILES)
def test_coverage_names_the_runbook_its_own_link_opens(
    served, alice, provider_a, folder, group, expected
):
    found = rulefiles.read(f"{group}.yaml", rules(group), folder=folder)
    checked = report.check([found], provider_a)
    client = client_for(alice)
    answers = {}
    for covered in checked.alerts:
        named = covered.runbook.slug if covered.runbook else None
        assert named == opened_by(client, covered.link), (covered.rule.alert, covered.link)
        answers[covered.rule.alert] = named
    assert answers == {
        "CephOSDDown": served[expected["CephOSDDown"]].slug,
        "NovaComputeDown": served[expected["NovaComputeDown"]].slug,
        "NothingServesThis": None,
    }
    assert checked.covered == 2 and checked.total == 3


def test_the_component_link_and_the_report_agree_without_a_provider(served, bob):
    found = rulefiles.read("ceph.yaml", rules("general"), folder="ceph")
    checked = report.check([found], None)
    by_alert = {c.rule.alert: c for c in checked.alerts}
    assert by_alert["CephOSDDown"].link == "/r/ceph/CephOSDDown"
    assert by_alert["CephOSDDown"].runbook == served["ceph"]
    assert by_alert["NovaComputeDown"].runbook == served["any-nova"]  # A's is not for everyone
    client = client_for(bob)
    for covered in checked.alerts:
        named = covered.runbook.slug if covered.runbook else None
        assert named == opened_by(client, covered.link), covered.rule.alert
