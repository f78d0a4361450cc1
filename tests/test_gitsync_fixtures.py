"""import_runbooks / export_runbooks (DESIGN §8) on our own tree, tests/fixtures/runbooks.

test_gitsync.py checks these rules on the shared corpus (../shared/corpus) and skips without it;
here they hold in any checkout. The tree's README says which rule each file exercises. Seen
through the public faces only (the commands' output, the files they write, the API, /r/), so
that the tests hold however the models are arranged.
"""

import shutil
from io import StringIO
from pathlib import Path, PurePosixPath

import pytest
from django.core.management import call_command
from django.test import Client

from tests.api import ApiClient, validate

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "runbooks"
# Each runbook file of the fixture tree -> (slug, component, title) as import_runbooks makes it.
FIXTURE_RUNBOOKS = {
    "DeadMansSwitch.md": ("deadmansswitch", "", "DeadMansSwitch"),
    "OpenStack/NeutronAgentDown.md": (
        "openstack-neutronagentdown",
        "OpenStack",
        "Neutron agent down",
    ),
    "OpenStack/NodeDiskFillingUp.md": (
        "openstack-nodediskfillingup",
        "OpenStack",
        "NodeDiskFillingUp",
    ),
    "OpenStack/NovaComputeServiceDown.md": (
        "openstack-novacomputeservicedown",
        "OpenStack",
        "Nova compute service down",
    ),
    "ceph/CephMonQuorumAtRisk.md": (
        "ceph-cephmonquorumatrisk",
        "ceph",
        "Ceph monitor quorum at risk",
    ),
    "ceph/CephOSDDown.md": ("ceph-cephosddown", "ceph", "Ceph OSD down"),
    "ceph/NodeDiskFillingUp.md": (
        "ceph-nodediskfillingup",
        "ceph",
        "Disk filling up on a Ceph host",
    ),
    "kubernetes/KubePodCrashLooping.md": (
        "kubernetes-kubepodcrashlooping",
        "kubernetes",
        "KubePodCrashLooping",
    ),
    "kubernetes/KubeletTooManyPods.md": (
        "kubernetes-kubelettoomanypods",
        "kubernetes",
        "KubeletTooManyPods",
    ),
}
FIXTURE_SKIPPED = {
    "skipped   OWNERS (not a .md file)",
    "skipped   README.md (README/OWNERS)",
    "skipped   _drafts (folder starts with _)",
    "skipped   _index.md (starts with _)",
    "skipped   ceph/Owners.md (README/OWNERS)",
    "skipped   ceph/_index.md (starts with _)",
    "skipped   ceph/crush-map.txt (not a .md file)",
    "skipped   ceph/tools (support folder)",
    "skipped   kubernetes/KubePodCrashLooping (not a .md file)",
    "skipped   kubernetes/_index.md (starts with _)",
    "skipped   kubernetes/helpers (support folder)",
}
CRLF_FILE = "OpenStack/NeutronAgentDown.md"


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


def fixture_text(relative: str) -> str:
    return (FIXTURE / relative).read_bytes().decode().replace("\r\n", "\n")


def api_runbooks() -> dict[str, dict]:
    """Every runbook as the API shows it to anyone (imported runbooks are public), by slug."""
    response = validate(ApiClient().get("/api/v1/runbooks/?page_size=200"))
    return {runbook["slug"]: runbook for runbook in response.json()["results"]}


def api_routes() -> list[dict]:
    response = validate(ApiClient().get("/api/v1/alert-routes/?page_size=200"))
    return response.json()["results"]


def test_every_runbook_file_of_the_fixture_tree_becomes_a_runbook(db):
    out = run("import_runbooks", FIXTURE)
    seen = api_runbooks()
    assert {slug: (r["component"], r["title"]) for slug, r in seen.items()} == {
        slug: (component, title) for slug, component, title in FIXTURE_RUNBOOKS.values()
    }
    assert all(
        (r["status"], r["visibility"], r["provider"], r["revision"])
        == ("published", "public", None, 1)
        for r in seen.values()
    )
    created = {line.split()[1] for line in out.splitlines() if line.startswith("created ")}
    assert created == set(FIXTURE_RUNBOOKS)
    assert "9 created, 0 updated, 0 unchanged, 0 failed, 11 skipped; 9 routes created." in out


def test_what_is_not_a_runbook_in_the_fixture_tree_is_skipped_and_listed(db):
    out = run("import_runbooks", FIXTURE)
    assert {line for line in out.splitlines() if line.startswith("skipped")} == FIXTURE_SKIPPED
    # The extensionless file holds other text than the .md of the same alert: the .md wins.
    crash_loop = api_runbooks()["kubernetes-kubepodcrashlooping"]
    assert fixture_text("kubernetes/KubePodCrashLooping.md").endswith(crash_loop["body"])
    assert "old draft" not in crash_loop["body"]


def test_fixture_files_without_front_matter_keep_their_text_and_take_the_h1(db):
    run("import_runbooks", FIXTURE)
    seen = api_runbooks()
    quorum = seen["ceph-cephmonquorumatrisk"]
    text = fixture_text("ceph/CephMonQuorumAtRisk.md")
    assert not text.startswith("---") and quorum["body"] == text
    assert quorum["title"] == "Ceph monitor quorum at risk"
    # No H1 at all (a `# comment` in a code block is none): the file name.
    assert seen["kubernetes-kubelettoomanypods"]["title"] == "KubeletTooManyPods"
    assert seen["deadmansswitch"]["body"] == fixture_text("DeadMansSwitch.md")


def test_the_fixture_front_matter_title_wins_and_the_front_matter_is_not_text(db):
    run("import_runbooks", FIXTURE)
    seen = api_runbooks()
    osd = seen["ceph-cephosddown"]
    assert osd["title"] == "Ceph OSD down" and "\n# CephOSDDown\n" in osd["body"]
    text = fixture_text("ceph/CephOSDDown.md")
    assert text.startswith("---\ntitle: Ceph OSD down\n") and text.endswith(osd["body"])
    # Front matter without a title: the H1 gives it, and the front matter stays out too.
    crash_loop = seen["kubernetes-kubepodcrashlooping"]
    assert crash_loop["title"] == "KubePodCrashLooping"
    for runbook in (osd, crash_loop):
        for key in ("weight:", "aliases:", "/runbooks/"):
            assert key not in runbook["body"] and key not in runbook["html"]
    assert crash_loop["body"].startswith("\n# KubePodCrashLooping\n")


def test_every_fixture_alert_name_gets_a_community_route_to_its_runbook(db):
    run("import_runbooks", FIXTURE)
    routes = {(r["alertname"], r["runbook"]) for r in api_routes()}
    expected = {(PurePosixPath(path).stem, slug) for path, (slug, *_) in FIXTURE_RUNBOOKS.items()}
    assert routes == expected and len(api_routes()) == len(FIXTURE_RUNBOOKS)
    assert all(r["provider"] is None and r["matchers"] == [] for r in api_routes())


@pytest.mark.parametrize("component", ["ceph", "OpenStack"])
def test_one_alert_name_in_two_fixture_components_opens_each_components_runbook(db, component):
    run("import_runbooks", FIXTURE)
    response = Client().get(f"/r/{component}/NodeDiskFillingUp")
    assert response.status_code == 302
    slug = f"{component.lower()}-nodediskfillingup"
    assert response["Location"].startswith(f"/runbooks/{slug}/?")


def test_a_second_import_of_the_fixture_tree_changes_nothing(db):
    run("import_runbooks", FIXTURE)
    before = (api_runbooks(), api_routes())
    out = run("import_runbooks", FIXTURE)
    assert (api_runbooks(), api_routes()) == before
    assert "0 created, 0 updated, 9 unchanged" in out and "0 routes created" in out


def test_every_fixture_file_round_trips_byte_for_byte(db, tmp_path):
    run("import_runbooks", FIXTURE)
    out = run("export_runbooks", tmp_path)
    exported = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert exported == set(FIXTURE_RUNBOOKS) and "9 written, 0 unchanged" in out
    for relative in FIXTURE_RUNBOOKS:
        original = (FIXTURE / relative).read_bytes()
        if relative == CRLF_FILE:  # every save makes line endings LF; nothing else changes
            original = original.replace(b"\r\n", b"\n")
        assert (tmp_path / relative).read_bytes() == original, relative
    assert "0 written, 9 unchanged" in run("export_runbooks", tmp_path)


def test_the_crlf_fixture_is_stored_with_lf_and_imports_again_unchanged(db):
    assert b"\r\n" in (FIXTURE / CRLF_FILE).read_bytes()  # a checkout must keep the CRLF
    out = run("import_runbooks", FIXTURE)
    neutron = api_runbooks()["openstack-neutronagentdown"]
    assert "\r" not in neutron["body"] and neutron["title"] == "Neutron agent down"
    assert neutron["body"] == "\n" + fixture_text(CRLF_FILE).split("\n---\n\n", 1)[1]
    assert f"created   {CRLF_FILE}" in out
    again = run("import_runbooks", FIXTURE)
    assert f"unchanged {CRLF_FILE}" in again and api_runbooks()[neutron["slug"]]["revision"] == 1


def test_a_repository_root_holding_the_fixture_tree_is_read_from_content_runbooks(db, tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "content" / "runbooks")
    (tmp_path / "LICENSE").write_text("Written for the OpenOps tests.\n")
    (tmp_path / "NOTICE.md").write_text("# Not a runbook: outside content/runbooks\n")
    out = run("import_runbooks", tmp_path)
    assert set(api_runbooks()) == {slug for slug, *_ in FIXTURE_RUNBOOKS.values()}
    assert "LICENSE" not in out and "NOTICE" not in out
    # The same files as through the runbooks folder itself: nothing new.
    again = run("import_runbooks", FIXTURE)
    assert "0 created, 0 updated, 9 unchanged" in again
